"""Reads on plans: current revision, coverage, related parties, sign-off state, and the
canonical content that hashes and baselines are made of."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from techalign.core.errors import Refused
from techalign.core.prepared import first, known, prepared
from techalign.org.models import Role, Team
from techalign.org.selectors import teams_with_ids
from techalign.plans.models import (
    Baseline,
    ChangeRequest,
    Item,
    Milestone,
    Phase,
    Plan,
    Review,
    Revision,
    SignOff,
    SuspectLink,
    Verdict,
)
from techalign.plans.sections import content_hash as content_hash  # re-exported: one hash
from techalign.plans.sections import section_hash, section_of
from techalign.requirements.models import Question, Requirement, Scenario, Status

T = TypeVar("T")


def plan_of(requirement: Requirement) -> Plan | None:
    """The plan as stored now: not `requirement.plan`, which Django caches on the object and
    which a caller holding the requirement across several writes would see stale. Within one
    reading (an answer or a page being built), read once, a requirement without a plan too."""
    return _while_reading(requirement, "plan", lambda: first(_plan_of(requirement.pk)))


# Every answer about a requirement or its plan reads these, with the same shapes and other
# values: their SQL is compiled once (core.prepared). Each builds what its caller's related
# manager or `first()` built, by id.
@prepared
def _plan_of(requirement_id: int) -> QuerySet[Plan]:
    return (
        Plan.objects.select_related("current_revision")
        .filter(requirement_id=requirement_id)
        .order_by("pk")[:1]
    )


@prepared
def _items_of(revision_id: int) -> QuerySet[Item]:
    return (
        Item.objects.filter(revision_id=revision_id)
        .select_related("component__owner_team", "owner_team", "author")
        .prefetch_related(
            Prefetch("scenarios", queryset=Scenario.objects.only("id", "number", "requirement_id"))
        )
    )


@prepared
def _live_scenarios(requirement_id: int) -> QuerySet[Scenario]:
    return Scenario.objects.filter(
        requirement_id=requirement_id, is_withdrawn=False
    ).select_related("acknowledged_by")


@prepared
def _latest_baseline(requirement_id: int) -> QuerySet[Baseline]:
    return Baseline.objects.filter(requirement_id=requirement_id).order_by("-version")[:1]


@prepared
def _open_change_request(requirement_id: int) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(
        requirement_id=requirement_id, status=ChangeRequest.Status.OPEN
    )[:1]


@prepared
def _latest_review(revision_id: int) -> QuerySet[Review]:
    return (
        Review.objects.filter(revision_id=revision_id)
        .select_related("reviewer")
        .order_by("-created_at", "-id")[:1]
    )


# A review's or sign-off's revision is named by its number: its content (the whole plan, as
# JSON to decode) is read where it is compared, from the revisions walked.
_NOT_THE_CONTENT = ("revision__content",)


@prepared
def _reviews_of(plan_id: int) -> QuerySet[Review]:
    return (
        Review.objects.filter(revision__plan_id=plan_id)
        .select_related("revision", "reviewer")
        .defer(*_NOT_THE_CONTENT)
    )


@prepared
def _signoffs_of(plan_id: int) -> QuerySet[SignOff]:
    return (
        SignOff.objects.filter(revision__plan_id=plan_id)
        .select_related("revision", "team", "signer")
        .defer(*_NOT_THE_CONTENT)
    )


@prepared
def _signoffs_up_to(plan_id: int, number: int, team_ids: list[int]) -> QuerySet[SignOff]:
    return (
        SignOff.objects.filter(
            revision__plan_id=plan_id, revision__number__lte=number, team_id__in=team_ids
        )
        .select_related("signer", "team", "revision")
        .defer(*_NOT_THE_CONTENT)
        .order_by("revision__number", "created_at", "id")
    )


@prepared
def _revisions_between(plan_id: int, low: int, high: int) -> QuerySet[Revision]:
    return (
        Revision.objects.filter(plan_id=plan_id, number__gte=low, number__lte=high)
        .select_related("change_request")
        .order_by("number")
    )


@prepared
def _owner_team_ids_of(revision_id: int) -> QuerySet[Item, int]:
    return Item.objects.filter(revision_id=revision_id).values_list("owner_team_id", flat=True)


@prepared
def _suspect_marks(requirement_id: int) -> QuerySet[SuspectLink]:
    return SuspectLink.objects.filter(
        requirement_id=requirement_id, cleared_at__isnull=True, scenario__is_withdrawn=False
    ).select_related("scenario", "marked_by")


@prepared
def _open_blocking_questions(requirement_id: int) -> QuerySet[Question]:
    return Question.objects.filter(
        requirement_id=requirement_id, is_blocking=True, resolved_at__isnull=True
    )


def current_revision(requirement: Requirement) -> Revision | None:
    plan = plan_of(requirement)
    return plan.current_revision if plan and plan.current_revision_id else None


def _once(revision: Revision, name: str, read: Callable[[], T]) -> T:
    """A fact of a revision, read once per instance. A written revision never changes, so the
    sections of a page or response that ask for its items, owners or coverage share one read."""
    reads = revision.__dict__.setdefault("_reads", {})
    if name not in reads:
        reads[name] = read()
    value: T = reads[name]
    return value


@contextmanager
def one_reading(requirement: Requirement) -> Iterator[None]:
    """While one read-only answer about `requirement` is built (an API body, a page), the live
    scenarios, suspect marks and related parties its sections each ask for are read once.
    Unlike a revision, a requirement changes: never around a write, whose reads would then be
    stale. Inside another reading of the same object it simply joins it."""
    if "_reads" in requirement.__dict__:
        yield
        return
    requirement.__dict__["_reads"] = {}
    try:
        yield
    finally:
        del requirement.__dict__["_reads"]


def _while_reading(requirement: Requirement, name: str, read: Callable[[], T]) -> T:
    reads = requirement.__dict__.get("_reads")
    if reads is None:
        return read()
    if name not in reads:
        reads[name] = read()
    value: T = reads[name]
    return value


def _has_read(revision: Revision, name: str) -> bool:
    return name in revision.__dict__.get("_reads", {})


def items_of(revision: Revision | None) -> list[Item]:
    """Items of a revision with their component, owner and scenarios, in three queries."""
    if revision is None:
        return []
    # The component's owner too: the approval gate compares it with the item's owner team.
    return _once(
        revision,
        "items",
        lambda: known(_items_of(revision.pk), "revision", revision),
    )


def _owner_team_ids(revision: Revision) -> set[int]:
    if _has_read(revision, "items"):
        return {item.owner_team_id for item in items_of(revision)}
    return set(_owner_team_ids_of(revision.pk))


def _covered_scenario_ids(revision: Revision) -> set[int]:
    if _has_read(revision, "items"):
        return {s.pk for item in items_of(revision) for s in item.scenarios.all()}
    return set(
        Item.scenarios.through.objects.filter(item__revision=revision).values_list(
            "scenario_id", flat=True
        )
    )


def item_keys_of(revision: Revision | None) -> list[str]:
    """The revision's item keys, from its items when they were read already."""
    if revision is None:
        return []
    if _has_read(revision, "items"):
        return [item.key for item in items_of(revision)]
    return _once(
        revision,
        "item_keys",
        lambda: [f"I-{n}" for n in revision.items.values_list("number", flat=True)],
    )


def current_item_keys(requirement: Requirement) -> set[str]:
    return set(item_keys_of(current_revision(requirement)))


def items_covering(scenario: Scenario) -> list[str]:
    revision = current_revision(scenario.requirement)
    if revision is None:
        return []
    numbers = revision.items.filter(scenarios=scenario).values_list("number", flat=True)
    return [f"I-{n}" for n in numbers]


def party_team_ids(requirement: Requirement, revision: Revision | None = None) -> set[int]:
    """Related parties: owners of components that the revision's items touch, but the lead team."""
    revision = revision or current_revision(requirement)
    if revision is None:
        return set()
    owners = _once(revision, "owners", lambda: _owner_team_ids(revision))
    return owners - {requirement.lead_team_id}


def related_parties(requirement: Requirement, revision: Revision | None = None) -> list[Team]:
    ids = party_team_ids(requirement, revision)
    return _while_reading(
        requirement,
        f"parties {sorted(ids)}",
        lambda: teams_with_ids(ids),
    )


def live_scenarios(requirement: Requirement) -> list[Scenario]:
    """With who acknowledged each: the requirement's answer and page name them."""
    return _while_reading(
        requirement,
        "scenarios",
        lambda: known(_live_scenarios(requirement.pk), "requirement", requirement),
    )


def uncovered_scenarios(requirement: Requirement, revision: Revision | None) -> list[Scenario]:
    """Scenarios neither covered by an item of the revision nor marked out of scope."""
    covered: set[int] = set()
    if revision is not None:
        covered = _once(revision, "covered", lambda: _covered_scenario_ids(revision))
    return [s for s in live_scenarios(requirement) if s.pk not in covered and not s.is_out_of_scope]


def canonical_content(requirement: Requirement, items: list[Item]) -> dict[str, Any]:
    """What reviewers, signers and the baseline agree to, in a stable, hashable form."""
    return {
        "requirement": {
            "key": requirement.key,
            "title": requirement.title,
            "user_stories": requirement.user_stories,
            "business_process": requirement.business_process,
        },
        "scenarios": [
            {
                "key": s.key,
                "title": s.title,
                "description": s.description,
                "priority": s.priority,
                "acceptance_criteria": s.acceptance_criteria,
                "out_of_scope_reason": s.out_of_scope_reason,
            }
            for s in live_scenarios(requirement)
        ],
        "items": [
            {
                "key": item.key,
                "component": item.component.key,
                "owner_team": item.owner_team.code,
                "kind": item.kind,
                "title": item.title,
                "description": item.description,
                "ask": item.ask,
                "due_on": item.due_on.isoformat() if item.due_on else None,
                "scenarios": sorted(f"S-{s.number}" for s in item.scenarios.all()),
            }
            for item in sorted(items, key=lambda i: i.number)
        ],
    }


def latest_baseline(requirement: Requirement) -> Baseline | None:
    return _while_reading(
        requirement,
        "baseline",
        lambda: first(known(_latest_baseline(requirement.pk), "requirement", requirement)),
    )


def open_change_request(requirement: Requirement) -> ChangeRequest | None:
    return first(
        known(
            _open_change_request(requirement.pk),
            "requirement",
            requirement,
        )
    )


PHASE_ORDER = list(Phase.values)
LEAD_REVIEWERS = (Role.TECH_LEAD, Role.ARCHITECT)


def is_earlier_phase(phase: str, than: str) -> bool:
    return PHASE_ORDER.index(phase) < PHASE_ORDER.index(than)


def proposed_phase(requirement: Requirement, today: dt.date) -> Phase:
    """The phase a gap found today is proposed to have been found in, from how far the
    parties' milestones have come (a milestone counts from its done day on): a launch done is
    production; handed to test (提测) is testing; development or joint debugging done is
    development; else design. Release is never proposed (nothing marks it), only declared."""
    reached = set(requirement.milestones.filter(done_on__lte=today).values_list("kind", flat=True))
    if Milestone.Kind.LAUNCH in reached:
        return Phase.PRODUCTION
    if Milestone.Kind.TEST in reached:
        return Phase.TESTING
    if reached & {Milestone.Kind.DEV_DONE, Milestone.Kind.JOINT_DEBUGGING}:
        return Phase.DEVELOPMENT
    return Phase.DESIGN


def plan_author_ids(revision: Revision) -> set[int]:
    """Everyone who wrote plan items up to this revision: they may not review it."""
    return _once(
        revision,
        "author_ids",
        lambda: set(
            Revision.objects.filter(
                plan_id=revision.plan_id,
                number__lte=revision.number,
                change_kind=Revision.ChangeKind.ITEMS,
            ).values_list("author_id", flat=True)
        ),
    )


def approval_of(revision: Revision | None) -> Review | None:
    """The review that approved this revision, if its latest verdict is an approval."""
    if revision is None:
        return None
    latest = latest_review(revision)
    return latest if latest and latest.verdict == Verdict.APPROVED else None


class Approval:
    """The approvals a plan revision needs: a tech lead or architect of the lead team (or a
    committee architect) for every plan; for a high-risk requirement, a committee architect
    and the lead team's reviewer, two people."""

    LEAD = "lead"
    COMMITTEE = "committee"
    LABELS = {
        LEAD: _("a tech lead or architect of the lead team"),
        COMMITTEE: _("an architect of the technical committee"),
    }


def missing_approvals(requirement: Requirement, revision: Revision | None) -> list[str]:
    """Which approvals (Approval.LEAD, Approval.COMMITTEE) the revision still needs, counting
    those given since it was last submitted for review."""
    from techalign.org.permissions import committee_architect, has_role

    if revision is None:
        return [Approval.LEAD]
    approvals = revision.reviews.filter(verdict=Verdict.APPROVED).select_related("reviewer")
    if revision.submitted_at is not None:
        approvals = approvals.filter(created_at__gte=revision.submitted_at)
    approvers = {review.reviewer for review in approvals}
    if not requirement.risk:
        return [] if approvers else [Approval.LEAD]
    lead = {u.pk for u in approvers if has_role(u, requirement.lead_team, *LEAD_REVIEWERS)}
    committee = {u.pk for u in approvers if committee_architect(u)}
    missing = []
    if not lead:
        missing.append(Approval.LEAD)
    if not committee or (not missing and len(lead | committee) < 2):
        missing.append(Approval.COMMITTEE)
    return missing


def awaited_approvals(requirement: Requirement, revision: Revision | None) -> list[str]:
    """For a high-risk plan in review, the approvals it still waits for; for a plan approved
    before the requirement was marked high-risk, those it now owes (none otherwise)."""
    if not requirement.risk or revision is None:
        return []
    if requirement.status == "in_review":
        return missing_approvals(requirement, revision)
    if requirement.status in ("approved", "aligning") and approval_of(revision) is not None:
        return missing_approvals(requirement, revision)
    return []


def latest_review(revision: Revision) -> Review | None:
    """The last verdict on this revision, read once per instance: the services that write a
    review forget the instance's reads (`forget_reads`)."""
    return _once(
        revision,
        "latest_review",
        lambda: first(known(_latest_review(revision.pk), "revision", revision)),
    )


def forget_reads(revision: Revision) -> None:
    """Drop what `_once` remembered of this instance, after a write that changes it."""
    revision.__dict__.pop("_reads", None)


def _items_by_team(content: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in content["items"]:
        grouped[item["owner_team"]].append(item)
    return grouped


ASK_FIELDS = ("component", "owner_team", "ask", "due_on")


def asks_written(
    before: dict[str, Any] | None, after: dict[str, Any], lead_code: str
) -> dict[str, list[dict[str, Any]]]:
    """The asks to other teams that a revision wrote or changed, by owning team's code: items
    of `after` (canonical content) on another team's component that are new there, or whose
    component, ask or due date differ from `before`."""
    old = {item["key"]: item for item in (before or {}).get("items", [])}
    written: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in after.get("items", []):
        if item["owner_team"] == lead_code:
            continue
        was = old.get(item["key"])
        if was is None or any(was.get(f) != item.get(f) for f in ASK_FIELDS):
            written[item["owner_team"]].append(item)
    return dict(written)


def section_changes(plan: Plan | None) -> dict[str, Revision]:
    """Per team code, the latest revision that changed that team's section (added, changed or
    removed one of the items on its components), with its author: who last wrote the section.
    Read from the revisions' canonical content, one query however long the history."""
    if plan is None:
        return {}
    latest: dict[str, Revision] = {}
    before: dict[str, list[dict[str, Any]]] = {}
    revisions = (
        Revision.objects.filter(plan=plan, change_kind=Revision.ChangeKind.ITEMS)
        .select_related("author")
        .only("number", "content", "author", "plan_id")
        .order_by("number")
    )
    for revision in revisions:
        after = _items_by_team(revision.content)
        for code in set(before) | set(after):
            if before.get(code) != after.get(code):
                latest[code] = revision
        before = after
    return latest


def required_signer_ids(requirement: Requirement, revision: Revision) -> set[int]:
    """Teams asked to sign `revision`: every party without a sign-off that stands from an
    earlier revision (see `signoff_state`). First baseline: the lead team and every related
    party. Under a change request: the lead team (its section is the whole plan), the parties
    the request names (they sign under it) and every party whose section changed."""
    return {
        party.team.pk for party in signoff_state(requirement, revision).parties if party.is_asked
    }


@dataclass(frozen=True)
class VoidReason:
    """Why a sign-off no longer stands, rendered in the reader's language."""

    code: str
    revision: int
    change: str = ""
    signer: str = ""

    @property
    def message(self) -> str:
        from django.utils.translation import gettext

        texts = {
            "section_changed": gettext("its section changed in r{revision}"),
            "scenarios_changed": gettext("the scenarios it covers changed in r{revision}"),
            "lead_resigns": gettext(
                "the plan changed in r{revision}: the lead team always re-signs"
            ),
            "rejected": gettext("{signer} rejected r{revision}"),
            "change_named": gettext("{change} names this party: it signs again under it"),
        }
        return texts[self.code].format(
            revision=self.revision, change=self.change, signer=self.signer
        )

    def __str__(self) -> str:
        return self.message


@dataclass
class PartySignOffs:
    """One party's sign-offs as they stand on a revision."""

    team: Team
    is_lead: bool
    # Asked to sign this revision: nothing complete stands from an earlier one.
    is_asked: bool = True
    # The latest approval per capacity ("PM", "DEV") that still stands.
    standing: dict[str, SignOff] = field(default_factory=dict)
    voided: list[SignOff] = field(default_factory=list)
    # The party's last word, when it is a rejection of this revision.
    rejected: SignOff | None = None
    # Whose sign-off the party needs: {"DEV"} for a related party, {"PM", "DEV"} for the lead
    # team, whose DEV capacity only its lead DEV fills.
    lead_dev_id: int | None = None

    @property
    def missing_roles(self) -> list[str]:
        if self.rejected is not None:
            return []
        needed = ["PM", "DEV"] if self.is_lead else ["DEV"]
        return [role for role in needed if not self._fills(role)]

    def _fills(self, role: str) -> bool:
        signoff = self.standing.get(role)
        if signoff is None:
            return False
        if self.is_lead and role == "DEV" and self.lead_dev_id is not None:
            return signoff.signer_id == self.lead_dev_id
        return True

    @property
    def is_complete(self) -> bool:
        return self.rejected is None and not self.missing_roles

    @property
    def signoffs(self) -> list[SignOff]:
        """The standing sign-offs, DEV first."""
        return [self.standing[r] for r in ("DEV", "PM") if r in self.standing]


@dataclass
class SignOffState:
    revision: Revision
    parties: list[PartySignOffs]

    def of(self, team_id: int) -> PartySignOffs | None:
        return next((p for p in self.parties if p.team.pk == team_id), None)

    @property
    def required(self) -> list[Team]:
        """The parties asked to sign this revision."""
        return [p.team for p in self.parties if p.is_asked]

    @property
    def missing(self) -> list[Team]:
        """Parties not complete that have not rejected: someone of theirs must still sign."""
        return [p.team for p in self.parties if not p.is_complete and p.rejected is None]

    @property
    def rejected(self) -> dict[int, SignOff]:
        return {p.team.pk: p.rejected for p in self.parties if p.rejected is not None}

    @property
    def is_complete(self) -> bool:
        return all(p.is_complete for p in self.parties)

    def standing_signoffs(self) -> list[SignOff]:
        return [s for p in self.parties for s in p.signoffs]


def signoff_state(requirement: Requirement, revision: Revision) -> SignOffState:
    """Per party (the lead team first): the sign-offs that stand on `revision`, the voided ones
    with the reason, and whether the party is complete.

    A sign-off stands when it was given on this revision, or on an earlier one whose section
    hash equals this revision's for that party, with no rejection and no void in between; the
    party's latest approval per capacity counts. The lead team's section is the whole plan. A
    party a change request names must sign under that request. Read once per instance (the
    sign-off service forgets it)."""
    return _once(revision, "signoff_state", lambda: _signoff_state(requirement, revision))


def _signoff_state(requirement: Requirement, revision: Revision) -> SignOffState:
    lead_id = requirement.lead_team_id
    # The parties as the rest of the answer or page reads them (once per reading).
    teams = sorted(
        [requirement.lead_team, *related_parties(requirement, revision)],
        key=lambda t: (t.pk != lead_id, t.code),
    )
    parties = {
        t.pk: PartySignOffs(team=t, is_lead=t.pk == lead_id, lead_dev_id=requirement.lead_dev_id)
        for t in teams
    }
    signoffs = _signoffs_up_to(revision.plan_id, revision.number, sorted(parties))
    for signoff in signoffs:
        signoff.stands = False
        signoff.voided_reason = None
    walk = _revisions_between(
        revision.plan_id,
        signoffs[0].revision.number if signoffs else revision.number,
        revision.number,
    )
    named = named_parties({r.change_request_id for r in walk})
    for party in parties.values():
        settle_signoffs(
            party,
            walk,
            [s for s in signoffs if s.team_id == party.team.pk],
            named_by=named,
            explain=True,
        )
    for party in parties.values():
        for signoff in party.standing.values():
            signoff.stands = True
    return SignOffState(revision=revision, parties=list(parties.values()))


@dataclass(frozen=True)
class SignOffStep:
    """One revision as a party's standing sign-offs meet it."""

    number: int
    # The party's section hash on this revision.
    section_hash: str
    change_request_id: int | None = None
    change_key: str = ""
    # The revision's change request names the party: it signs again under that request.
    is_named: bool = False
    # The first revision walked: no rejection before it to forget.
    is_first: bool = False


def void_what_no_longer_stands(
    party: PartySignOffs,
    step: SignOffStep,
    *,
    reason: Callable[[], VoidReason | None] = lambda: None,
) -> None:
    """The rule for which of a party's sign-offs stand on a revision, as the revisions are
    walked in order (this half, then `add_signoff` for the sign-offs given on it): on each new
    revision a rejection of the previous one is forgotten (the party is asked again), and a
    standing sign-off is voided when the party's section hash differs from the one it signed
    (why: `reason`, asked only then), or when the revision's change request names the party
    and the sign-off was not given under that request."""
    if not step.is_first:
        party.rejected = None  # a rejection answers one revision; the next is asked
    for role, signoff in list(party.standing.items()):
        voided: VoidReason | None = None
        if step.section_hash != signoff.section_hash:
            voided = reason() or VoidReason("section_changed", step.number)
        elif step.is_named and signoff.revision.change_request_id != step.change_request_id:
            voided = VoidReason("change_named", step.number, change=step.change_key)
        if voided is not None:
            signoff.voided_reason = voided
            party.voided.append(signoff)
            del party.standing[role]


def add_signoff(
    party: PartySignOffs, signoff: SignOff, number: int, *, explain: bool = True
) -> None:
    """A sign-off given on revision `number` (the other half of the rule): an approval stands,
    replacing an earlier one in its capacity; a rejection voids what stood and is the party's
    last word on that revision. `explain=False` names no rejecting signer (a batch that did
    not load them)."""
    if signoff.decision == SignOff.Decision.APPROVE:
        party.standing[signoff.role] = signoff
        party.rejected = None
        return
    for earlier in party.standing.values():
        earlier.voided_reason = (
            VoidReason("rejected", number, signer=str(signoff.signer)) if explain else None
        )
        party.voided.append(earlier)
    party.standing = {}
    party.rejected = signoff


def named_parties(change_request_ids: Collection[int | None]) -> set[tuple[int, int]]:
    """(change request id, team id) for each party these change requests name, in one query."""
    ids = set(change_request_ids) - {None}
    if not ids:
        return set()
    return set(
        ChangeRequest.affected_teams.through.objects.filter(changerequest_id__in=ids).values_list(
            "changerequest_id", "team_id"
        )
    )


def settle_signoffs(
    party: PartySignOffs,
    walk: Sequence[Revision],
    signoffs: Sequence[SignOff],
    *,
    named_by: Collection[tuple[int, int]],
    explain: bool = False,
) -> PartySignOffs:
    """`party`'s sign-offs as they stand on the last revision of `walk`, by the rule above:
    `walk` is every revision of the plan from the one the party's first sign-off was given on
    (or the last alone, when it has none) to the one asked about, in order, each with its
    content and change request id; `signoffs` the party's sign-offs on those revisions in the
    order given; `named_by` the (change request id, team id) pairs of those change requests.
    Every revision is walked, so a section that changed and changed back has voided what was
    signed before. The plan's own state (`signoff_state`, `explain` names why each sign-off
    was voided) and My work's batch over many plans both settle through here."""
    team_id = party.team.pk
    given: dict[int, list[SignOff]] = defaultdict(list)
    for signoff in signoffs:
        given[signoff.revision.number].append(signoff)
    previous: Revision | None = None
    for rev in walk:
        change = rev.change_request_id
        void_what_no_longer_stands(
            party,
            SignOffStep(
                number=rev.number,
                section_hash=section_hash(rev.content, party.team.code, is_lead=party.is_lead),
                change_request_id=change,
                change_key=rev.change_request.key if explain and rev.change_request else "",
                is_named=(change, team_id) in named_by,
                is_first=previous is None,
            ),
            reason=partial(_void_reason, previous, rev, party) if explain else lambda: None,
        )
        if rev is walk[-1]:
            party.is_asked = not party.is_complete
        for signoff in given.get(rev.number, []):
            add_signoff(party, signoff, rev.number, explain=explain)
        previous = rev
    return party


def _void_reason(previous: Revision | None, rev: Revision, party: PartySignOffs) -> VoidReason:
    """Why `party`'s section hash differs in `rev` from the one it signed."""
    if party.is_lead:
        return VoidReason("lead_resigns", rev.number)
    after = section_of(rev.content, party.team.code)
    if (
        previous is not None
        and section_of(previous.content, party.team.code)["items"] == (after["items"])
    ):
        return VoidReason("scenarios_changed", rev.number)
    return VoidReason("section_changed", rev.number)


def open_blocking_questions(requirement: Requirement) -> list[Question]:
    return known(_open_blocking_questions(requirement.pk), "requirement", requirement)


def open_action_items_on_plan_items(requirement: Requirement) -> list[Any]:
    """Meeting action items tied to a plan item that are not done yet, by item and due date."""

    return _open_action_items_on_plan_items(requirement.pk)


@prepared
def _open_action_items_on_plan_items(requirement_id: int) -> QuerySet[Any]:
    from techalign.meetings.models import ActionItem

    return (
        ActionItem.objects.filter(meeting__requirement_id=requirement_id, done_at__isnull=True)
        .exclude(item_key="")
        .select_related("owner", "meeting")
        .order_by("item_key", "due_on", "id")
    )


def open_action_items_by_item(requirement: Requirement) -> dict[str, list[Any]]:
    """Open action items of every kind that serve a plan item, per item key (for the plan)."""
    by_item: dict[str, list[Any]] = defaultdict(list)
    for action_item in open_action_items_on_plan_items(requirement):
        by_item[action_item.item_key].append(action_item)
    return dict(by_item)


def reviews_of(plan: Plan) -> list[Review]:
    """Every review of every revision, oldest first. The current revision's latest one is
    among them: it is remembered as `latest_review` of the plan's revision instance, which the
    approval gaps of the same answer or page ask for next."""
    reviews = _reviews_of(plan.pk)
    if Plan.current_revision.is_cached(plan) and plan.current_revision is not None:
        current = plan.current_revision
        own = [r for r in reviews if r.revision_id == current.pk]
        latest = max(own, key=lambda r: (r.created_at, r.pk), default=None)
        if latest is not None:
            latest.revision = current  # the same row, as latest_review gives it
        _once(current, "latest_review", lambda: latest)
    return reviews


def signoffs_of(plan: Plan) -> list[SignOff]:
    """Every sign-off of every revision, oldest first."""
    return _signoffs_of(plan.pk)


def unacknowledged_scenarios(requirement: Requirement) -> list[Scenario]:
    """Live, in-scope scenarios handed off but not (or no longer) acknowledged: added after the
    hand-off, or changed since the lead DEV acknowledged them."""
    if requirement.status in {Status.DRAFT, Status.CANCELLED}:
        return []
    return [
        s
        for s in live_scenarios(requirement)
        if not s.is_out_of_scope and s.acknowledged_at is None
    ]


def suspect_links(requirement: Requirement, revision: Revision | None) -> list[SuspectLink]:
    """The open suspect marks on items of `revision`: marks on items since removed, or for a
    withdrawn scenario, no longer hold anything up."""
    if revision is None:
        return []
    numbers = {int(key[2:]) for key in item_keys_of(revision)}
    marks = _while_reading(
        requirement,
        "suspect",
        lambda: _suspect_marks(requirement.pk),
    )
    return [mark for mark in marks if mark.item_number in numbers]


def suspect_by_item(
    requirement: Requirement, revision: Revision | None
) -> dict[str, list[SuspectLink]]:
    """The open suspect marks of `revision` by item key ("I-2"), for badges and gates."""
    grouped: dict[str, list[SuspectLink]] = defaultdict(list)
    for mark in suspect_links(requirement, revision):
        grouped[mark.item_key].append(mark)
    return dict(grouped)


def _suspect_gaps(requirement: Requirement, revision: Revision) -> list[Refused]:
    """A scenario changed after hand-off: acknowledged again, and the items covering it
    confirmed or edited, before the plan is approved or finalized."""
    gaps: list[Refused] = []
    unacknowledged = unacknowledged_scenarios(requirement)
    if unacknowledged:
        gaps.append(
            Refused(
                "plan.scenarios_unacknowledged",
                scenarios=[s.key for s in unacknowledged],
                lead_dev=str(requirement.lead_dev),
            )
        )
    suspect = suspect_links(requirement, revision)
    if suspect:
        gaps.append(
            Refused(
                "plan.items_suspect",
                items=sorted({m.item_key for m in suspect}, key=lambda k: int(k[2:])),
                scenarios=sorted({m.scenario.key for m in suspect}, key=lambda k: int(k[2:])),
            )
        )
    return gaps


def org_coverage(requirement_ids: list[int] | None = None) -> dict[int, list[str]]:
    """Uncovered scenario keys per requirement id, over every plan's current revision.

    The same answer as `uncovered_scenarios(requirement, current_revision(requirement))` for each
    requirement with a plan, in one query: the database keeps only in-scope live scenarios that
    no item of their plan's current revision links to. Requirements without gaps are left out.
    """
    covering = Item.scenarios.through.objects.filter(
        scenario_id=OuterRef("pk"),
        item__revision_id=OuterRef("requirement__plan__current_revision_id"),
    )
    gaps = Scenario.objects.filter(
        is_withdrawn=False,
        out_of_scope_at__isnull=True,
        requirement__plan__current_revision__isnull=False,
    ).exclude(Exists(covering))
    if requirement_ids is not None:
        gaps = gaps.filter(requirement_id__in=requirement_ids)
    uncovered: dict[int, list[str]] = defaultdict(list)
    for requirement_id, number in gaps.order_by("requirement_id", "number").values_list(
        "requirement_id", "number"
    ):
        uncovered[requirement_id].append(f"S-{number}")
    return dict(uncovered)


def withdrawn_by_new_revision(requirement: Requirement, revision: Revision | None) -> str:
    """In words, what saving a plan change now would withdraw (a new revision makes the review
    request and the approval of the current one stale, and voids the sign-offs of the lead
    team and of the parties whose section it changes); "" when nothing."""
    from django.utils.translation import gettext

    from techalign.requirements.models import Status

    if revision is None:
        return ""
    withdrawn = {
        Status.IN_REVIEW: gettext("the review request for revision {n}"),
        Status.APPROVED: gettext("the approval of revision {n}"),
        Status.ALIGNING: gettext(
            "the approval of revision {n} and the sign-offs of the lead team and of every "
            "party whose section changes"
        ),
    }.get(Status(requirement.status))
    return withdrawn.format(n=revision.number) if withdrawn else ""


# --- access: one lookup per kind of object, shared by the API, the pages and the command line.
# Visibility is the requirement's (pass one that `get_requirement(user, key)` gave); a reference
# that does not name an object of that requirement is a not-found refusal, never an error.


def access_revision(
    requirement: Requirement, number: str | int | None, *, lock: bool = False
) -> Revision:
    """One revision of the requirement's plan by number (4 or r4); never another one instead."""
    from techalign.requirements.selectors import access_one

    revisions = Revision.objects.select_related("plan__requirement", "author")
    return access_one(
        revisions.filter(plan__requirement=requirement),
        number,
        prefix="R",
        kind="Revision",
        label=f"{requirement.key}/r{number}",
        lock=lock,
    )


def access_baseline(
    requirement: Requirement, version: str | int | None, *, lock: bool = False
) -> Baseline:
    """One baseline of the requirement by version (2 or v2)."""
    from techalign.requirements.selectors import access_one

    return access_one(
        requirement.baselines.select_related("revision", "finalized_by", "change_request"),
        version,
        prefix="V",
        field="version",
        kind="Baseline",
        label=f"{requirement.key}/v{version}",
        lock=lock,
    )


def access_change_request(
    requirement: Requirement, key: str | int | None, *, lock: bool = False
) -> ChangeRequest:
    """One change request of the requirement by key (CR-2, cr-2 or 2)."""
    from techalign.requirements.selectors import access_one

    return access_one(
        requirement.change_requests.select_related("opened_by", "base_baseline"),
        key,
        prefix="CR",
        kind="Change request",
        label=f"{requirement.key}/{key}",
        lock=lock,
    )


def item_key(ref: str | None) -> str:
    """An item reference as the plan names its items (i-2 and 2 -> I-2); what is not an item
    key stays as given, so the refusal names what the client sent."""
    from techalign.requirements.selectors import parse_key

    number = parse_key(ref, "I") if ref is not None else None
    return f"I-{number}" if number else (ref or "")


def approval_gaps(requirement: Requirement, revision: Revision) -> list[Refused]:
    """Every unmet condition for approving `revision`, in the order a reviewer would fix them."""
    gaps: list[Refused] = []
    uncovered = uncovered_scenarios(requirement, revision)
    if uncovered:
        gaps.append(Refused("plan.coverage_incomplete", scenarios=[s.key for s in uncovered]))
    for item in items_of(revision):
        owner = item.component.owner_team
        if owner.pk != item.owner_team_id:
            gaps.append(
                Refused(
                    "plan.related_party_missing", component=item.component.name, team=owner.name
                )
            )
        elif owner.pk != requirement.lead_team_id and not (item.ask.strip() and item.due_on):
            gaps.append(
                Refused(
                    "item.ask_missing",
                    item=item.key,
                    component=item.component.name,
                    team=owner.name,
                )
            )
    gaps.extend(_suspect_gaps(requirement, revision))
    return gaps


def finalize_gaps(requirement: Requirement, revision: Revision) -> list[Refused]:
    """Every unmet condition for finalizing, so the UI can list them all at once."""
    gaps: list[Refused] = []
    change = open_change_request(requirement)
    if change is not None and revision.pk == change.base_baseline.revision_id:
        # Its revision is already baseline v(n); finalizing again would baseline it twice.
        gaps.append(
            Refused(
                "change.nothing_changed", change=change.key, version=change.base_baseline.version
            )
        )
    if approval_of(revision) is None:
        gaps.append(Refused("finalize.not_approved", revision=revision.number))
    elif owed := awaited_approvals(requirement, revision):
        gaps.append(
            Refused(
                "finalize.approval_owed",
                revision=revision.number,
                requirement=requirement.key,
                missing=[Approval.LABELS[m] for m in owed],
            )
        )
    uncovered = uncovered_scenarios(requirement, revision)
    if uncovered:
        gaps.append(Refused("plan.coverage_incomplete", scenarios=[s.key for s in uncovered]))
    blocking = open_blocking_questions(requirement)
    if blocking:
        gaps.append(Refused("finalize.blocking_questions", questions=[q.key for q in blocking]))
    if not_aligned := alignment_gaps(requirement, revision):
        gaps.append(not_aligned)
    if open_items := open_action_items_on_plan_items(requirement):
        gaps.append(
            Refused(
                "finalize.action_items_open",
                items=[f'{a.item_key} "{a.text[:60]}" ({a.owner})' for a in open_items],
            )
        )
    state = signoff_state(requirement, revision)
    if state.rejected:
        gaps.append(
            Refused(
                "finalize.signoffs_rejected",
                revision=revision.number,
                teams=[s.team.name for s in state.rejected.values()],
            )
        )
    unsigned = [p for p in state.parties if not p.standing and p.rejected is None]
    if unsigned:
        gaps.append(
            Refused(
                "finalize.signoffs_missing",
                revision=revision.number,
                teams=[p.team.name for p in unsigned],
            )
        )
    gaps.extend(_suspect_gaps(requirement, revision))
    gaps.extend(
        signer_missing(requirement, revision, party)
        for party in state.parties
        if party.standing and party.missing_roles
    )
    return gaps


def signer_missing(requirement: Requirement, revision: Revision, party: PartySignOffs) -> Refused:
    """The first capacity a partly signed party still needs, named as the refusal."""
    role = party.missing_roles[0]
    if party.is_lead and role == "DEV" and requirement.lead_dev_id is not None:
        return Refused(
            "finalize.lead_dev_missing",
            requirement=requirement.key,
            user=str(requirement.lead_dev),
            team=party.team.name,
            revision=revision.number,
        )
    return Refused(
        "finalize.signer_missing",
        requirement=requirement.key,
        role=role,
        team=party.team.name,
        revision=revision.number,
    )


def meeting_not_held(requirement: Requirement, revision: Revision) -> Refused | None:
    """Sign-offs come after the alignment meeting: the refusal while no meeting of the
    requirement was held on an approved revision. Read once per `revision` instance, like the
    page's other facts of it, so "who acts next" asks once for all its people."""
    from techalign.meetings.selectors import held_meetings

    if _once(revision, "meeting_held", lambda: held_meetings(requirement).exists()):
        return None
    return Refused("signoff.meeting_not_held", requirement=requirement.key)


def alignment_gaps(requirement: Requirement, revision: Revision) -> Refused | None:
    """The parties of `revision` (the lead team first) that no PM or no DEV of theirs
    represented at a held alignment meeting and no waiver excuses, as one finalize gap."""
    from techalign.meetings.selectors import party_attendance

    missing = [
        (row.team, row.missing)
        for row in party_attendance(requirement, revision)
        if not row.is_aligned
    ]
    if not missing:
        return None
    return Refused(
        "finalize.party_not_aligned",
        teams=[team.name for team, _roles in missing],
        parties=[f"{team.name} {role}" for team, roles in missing for role in roles],
    )
