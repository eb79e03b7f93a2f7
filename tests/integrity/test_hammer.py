"""A storm of editors, reviewers, signers and finalizers on one requirement, through the API of a
server with several workers, on SQLite and on PostgreSQL; meanwhile two PMs draft requirements
elsewhere, whose keys are numbered across all teams.

What must hold afterwards: no server error; every acknowledged edit is in exactly one revision
and revision numbers have no gap; every baseline froze a revision whose lead team (PM and lead
DEV) and every party (a DEV) had a standing sign-off on their section as frozen (in commit
order, before the finalization) and that a reviewer had approved; the audit chain verifies
with gap-free sequence numbers.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from techalign.audit.models import AuditEvent
from techalign.audit.services import verify_chain
from techalign.plans.models import Baseline, Review, SignOff, Verdict
from techalign.plans.sections import section_hash
from techalign.requirements.models import Requirement
from tests.factories import advance, hold_meeting
from tests.integrity.load import lost_or_doubled_edits, revision_numbers_are_contiguous
from tests.integrity.support import Reply, call

pytestmark = pytest.mark.slow

EDITABLE = {"planning", "in_review", "approved", "aligning"}
SIGNABLE = {"approved", "aligning"}
# Besides success: 409, refused by a gate; 412, based on a revision or version that has moved
# on. Anything else (or a 503 without Retry-After) is a failure.
ANSWERS = {200, 201, 409, 412}


@dataclass
class Storm:
    port: int
    requirement: str
    token: dict[str, str]
    # The storm ends after this many baselines, or when its time or action budget is spent.
    cycles: int = 2
    seconds: float = 20.0
    actions_per_thread: int = 80
    statuses: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    edits: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, who: str, method: str, path: str, body=None) -> Reply:
        """`path` is under the storm's requirement unless it is a full /api/ path."""
        if not path.startswith("/api/"):
            path = f"/api/v1/requirements/{self.requirement}{path}"
        reply = call(self.port, method, path, token=self.token[who], body=body)
        with self._lock:
            self.statuses[reply.status] += 1
            busy = reply.status == 503 and reply.headers.get("retry-after")
            if reply.status not in ANSWERS and not busy:
                self.failures.append(
                    f"{who} {method} {path} {body} -> {reply.status} {reply.body!r}"
                )
        return reply

    def note(self, what: str, reply: Reply) -> None:
        with self._lock:
            self.outcomes[f"{what} {reply.status}"] += 1
            if self.outcomes["finalize 201"] >= self.cycles:
                self.done.set()

    def actor(self, step, *args) -> None:
        """Repeat one actor's step until its budget or the storm's time is used up."""
        deadline = time.monotonic() + self.seconds
        rng = random.Random(f"{step.__name__}{args}")
        for attempt in range(self.actions_per_thread):
            if time.monotonic() > deadline or self.done.is_set():
                return
            plan = self.request(args[0], "GET", "/plan")
            if plan.ok:
                step(plan.body, attempt, rng, *args)

    def edit(self, plan: dict, attempt: int, rng, who: str, item: str) -> None:
        if plan["status"] == "finalized":
            opened = self.request(
                who,
                "POST",
                "/change-requests",
                {
                    "title": f"{who} reopens",
                    "reason": "found in testing",
                    "phase_found": "testing",
                    "affected_teams": ["payments", "finance"],
                    "root_cause": "technical_discovery",
                },
            )
            self.note("change-request", opened)
        # Mostly while planning; now and then later too, which makes approvals and sign-offs
        # stale under the reviewers' and signers' feet.
        elif plan["status"] == "planning" or (plan["status"] in EDITABLE and rng.random() < 0.15):
            marker = f"{who} {item} edit {attempt}"
            reply = self.request(
                who,
                "PATCH",
                f"/plan/items/{item}",
                # Under review it withdraws the approval or sign-offs: meant, so confirmed.
                {"based_on": plan["revision"], "description": marker, "confirm": True},
            )
            self.note("edit", reply)
            if reply.ok:
                with self._lock:
                    self.edits.append(marker)

    def review(self, plan: dict, attempt: int, rng, submitter: str, reviewer: str) -> None:
        if plan["status"] == "planning":
            self.note(
                "submit",
                self.request(
                    submitter,
                    "POST",
                    "/plan/submit",
                    {"revision": plan["revision"], "confirm": True},
                ),
            )
        elif plan["status"] == "in_review":
            self.note(
                "approve",
                self.request(
                    reviewer,
                    "POST",
                    f"/plan/revisions/{plan['revision']}/approve",
                    {"content_hash": plan["content_hash"]},
                ),
            )

    def sign(self, plan: dict, attempt: int, rng, who: str, team: str) -> None:
        party = next((p for p in plan["signoff_status"] if p["team"] == team), None)
        if plan["status"] not in SIGNABLE or party is None or not party["is_asked"]:
            return
        if any(s["signer"] == who and not s["is_stale"] for s in party["standing"]):
            return  # signed this revision already
        # Now and then a party rejects, so finalizers meet revisions that are not fully signed.
        approve = rng.random() > 0.2
        reply = self.request(
            who,
            "POST",
            "/sign-offs",
            {
                "team": team,
                "revision": plan["revision"],
                "content_hash": plan["content_hash"],
                "decision": "approve" if approve else "reject",
                "reason": "" if approve else "not yet",
            },
        )
        self.note("sign-off" if approve else "reject", reply)

    def finalize(self, plan: dict, attempt: int, rng, who: str) -> None:
        # Half the time without looking at the gaps: the server must refuse, not trust us.
        if plan["status"] in SIGNABLE and (not plan["finalize_gaps"] or rng.random() < 0.5):
            self.note(
                "finalize",
                self.request(
                    who,
                    "POST",
                    "/finalize",
                    {
                        "revision": plan["revision"],
                        "content_hash": plan["content_hash"],
                    },
                ),
            )

    def create(self, who: str, team: str) -> None:
        """Draft requirements elsewhere meanwhile: their keys are numbered across all teams."""
        deadline = time.monotonic() + self.seconds
        for n in range(self.actions_per_thread // 4):
            if time.monotonic() > deadline or self.done.is_set():
                return
            reply = self.request(
                who,
                "POST",
                "/api/v1/requirements",
                {"lead_team": team, "title": f"{who} drafts #{n}"},
            )
            self.note("create", reply)

    def run(self) -> None:
        actors = [
            (self.edit, "lei", "I-1"),
            (self.edit, "fang", "I-2"),
            (self.review, "lei", "qiang"),
            (self.sign, "lei", "order"),
            (self.sign, "ming", "order"),
            (self.sign, "jun", "payments"),
            (self.sign, "wei", "finance"),
            (self.finalize, "ming"),
            (self.finalize, "qiang"),
        ]
        threads = [threading.Thread(target=self.actor, args=a) for a in actors]
        threads += [
            threading.Thread(target=self.create, args=("ming", "order")),
            threading.Thread(target=self.create, args=("hua", "payments")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=self.seconds + 60)
        assert not any(t.is_alive() for t in threads), "an actor hung"


def unsigned_baselines(requirement) -> list[str]:
    """Baselines that do not list, for the lead team (its PM and lead DEV) and for each party
    owning one of its items (a DEV), an approving sign-off pinned to that party's section as
    frozen, given before the finalization with no rejection of the party in between, or that
    lack an approving review.

    "Before" is commit order: the audit chain's seq, taken under the chain's lock.
    """
    problems = []
    for baseline in Baseline.objects.filter(requirement=requirement).select_related("revision"):
        revision = baseline.revision
        lead = requirement.lead_team.code
        required = {lead} | {item["owner_team"] for item in revision.content["items"]}
        finalized = AuditEvent.objects.get(
            action="plan.finalized", target_type="plans.baseline", target_id=str(baseline.pk)
        )
        decisions = list(
            AuditEvent.objects.filter(
                action__in=["plan.signed_off", "plan.sign_off_rejected"],
                outcome=AuditEvent.Outcome.DONE,
                target_type="plans.revision",
                seq__lt=finalized.seq,
            ).order_by("seq")
        )
        unsigned = []
        for team in sorted(required):
            needed = {"PM", "DEV"} if team == lead else {"DEV"}
            frozen = section_hash(revision.content, team, is_lead=team == lead)
            held = set()
            for signoff in baseline.signoffs.filter(team__code=team, section_hash=frozen):
                given = [
                    e.seq
                    for e in decisions
                    if e.action == "plan.signed_off"
                    and e.target_id == str(signoff.revision_id)
                    and e.summary["team"] == team
                    and e.summary.get("role") == signoff.role
                ]
                rejected_after = any(
                    e.action == "plan.sign_off_rejected"
                    and e.summary["team"] == team
                    and given
                    and e.seq > given[-1]
                    for e in decisions
                )
                if given and not rejected_after and signoff.decision == SignOff.Decision.APPROVE:
                    held.add(signoff.role)
            if not needed <= held:
                unsigned.append(team)
        approved = Review.objects.filter(revision=revision, verdict=Verdict.APPROVED).exists()
        if unsigned or not approved:
            problems.append(
                f"v{baseline.version} r{revision.number}: unsigned {unsigned}, approved {approved}"
            )
    return problems


def test_a_storm_of_editors_signers_and_finalizers_loses_nothing_and_freezes_only_signed_plans(
    stage, tw
):
    # Signing waits for the alignment meeting: it took place before the storm.
    requirement = advance(tw, to="aligning")
    hold_meeting(tw, requirement)
    names = ("ming", "lei", "fang", "qiang", "jun", "wei", "hua")
    storm = Storm(0, requirement.key, {n: stage.token(getattr(tw, n)) for n in names})
    server = stage.serve(workers=4)
    storm.port = server.port

    storm.run()
    server.stop()
    stage.reload()

    assert storm.failures == [], server.tracebacks()
    # The storm went through every step: edits, reviews, sign-offs, baselines, change requests.
    assert storm.outcomes["edit 200"] >= 3, (storm.outcomes, storm.statuses)
    assert storm.outcomes["finalize 201"] >= 1, (storm.outcomes, storm.statuses)
    assert storm.outcomes["create 201"] >= 2, (storm.outcomes, storm.statuses)
    numbers = sorted(Requirement.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 2 + storm.outcomes["create 201"]))
    assert lost_or_doubled_edits(requirement, storm.edits) == {}
    assert revision_numbers_are_contiguous(requirement)
    versions = list(
        Baseline.objects.filter(requirement=requirement)
        .order_by("version")
        .values_list("version", flat=True)
    )
    assert versions == list(range(1, len(versions) + 1))
    assert unsigned_baselines(requirement) == []
    checked, broken = verify_chain()
    assert broken is None
    seqs = list(AuditEvent.objects.values_list("seq", flat=True))
    assert len(seqs) == len(set(seqs)) == checked
