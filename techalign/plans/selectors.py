"""Reads on plans: current revision, coverage, related parties, sign-off state, and the
canonical content that hashes and baselines are made of."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Exists, OuterRef, Prefetch

from techalign.core.errors import Refused
from techalign.org.models import Team
from techalign.plans.models import (
    Baseline,
    ChangeRequest,
    Item,
    Plan,
    Review,
    Revision,
    SignOff,
    Verdict,
)
from techalign.requirements.models import Question, Requirement, Scenario

T = TypeVar("T")


def plan_of(requirement: Requirement) -> Plan | None:
    """The plan as stored now: not `requirement.plan`, which Django caches on the object and
    which a caller holding the requirement across several writes would see stale."""
    return Plan.objects.select_related("current_revision").filter(requirement=requirement).first()


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
        lambda: list(
            revision.items.select_related(
                "component__owner_team", "owner_team", "author"
            ).prefetch_related(
                Prefetch(
                    "scenarios", queryset=Scenario.objects.only("id", "number", "requirement_id")
                )
            )
        ),
    )


def _owner_team_ids(revision: Revision) -> set[int]:
    if _has_read(revision, "items"):
        return {item.owner_team_id for item in items_of(revision)}
    return set(revision.items.values_list("owner_team_id", flat=True))


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
    return list(Team.objects.filter(pk__in=party_team_ids(requirement, revision)))


def live_scenarios(requirement: Requirement) -> list[Scenario]:
    return list(requirement.scenarios.filter(is_withdrawn=False))


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


def content_hash(content: dict[str, Any]) -> str:
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def latest_baseline(requirement: Requirement) -> Baseline | None:
    return requirement.baselines.order_by("-version").first()


def open_change_request(requirement: Requirement) -> ChangeRequest | None:
    return requirement.change_requests.filter(status=ChangeRequest.Status.OPEN).first()


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


def latest_review(revision: Revision) -> Review | None:
    """The last verdict on this revision, read once per instance: the services that write a
    review forget the instance's reads (`forget_reads`)."""
    return _once(
        revision,
        "latest_review",
        lambda: revision.reviews.select_related("reviewer").order_by("-created_at", "-id").first(),
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
    """Teams that must sign `revision` before it can be finalized.

    First baseline: the lead team and every related party. Under a change request: the lead
    team, the parties the request names, and every party whose part differs from the baseline;
    untouched parties' earlier signatures still stand.
    """
    return _once(revision, "signer_ids", lambda: _required_signer_ids(requirement, revision))


def _required_signer_ids(requirement: Requirement, revision: Revision) -> set[int]:
    parties = party_team_ids(requirement, revision)
    # The request the revision was written under, not whichever is open now: a baseline made
    # under a change request stays fully signed after the request is closed.
    change = revision.change_request
    if change is None:
        return {requirement.lead_team_id, *parties}
    base = change.base_baseline.revision.content
    before, after = _items_by_team(base), _items_by_team(revision.content)
    codes = set(before) | set(after)
    changed_codes = {code for code in codes if before.get(code) != after.get(code)}
    changed = set(Team.objects.filter(code__in=changed_codes).values_list("pk", flat=True))
    affected = set(change.affected_teams.values_list("pk", flat=True))
    return {requirement.lead_team_id} | (affected & parties) | changed


@dataclass
class SignOffState:
    required: list[Team]
    signed: dict[int, SignOff] = field(default_factory=dict)
    rejected: dict[int, SignOff] = field(default_factory=dict)

    @property
    def missing(self) -> list[Team]:
        return [t for t in self.required if t.pk not in self.signed and t.pk not in self.rejected]

    @property
    def is_complete(self) -> bool:
        return not self.missing and not self.rejected


def signoff_state(requirement: Requirement, revision: Revision) -> SignOffState:
    """Each required party's latest decision on exactly this revision."""
    required_ids = required_signer_ids(requirement, revision)
    required = sorted(
        Team.objects.filter(pk__in=required_ids),
        key=lambda t: (t.pk != requirement.lead_team_id, t.code),
    )
    state = SignOffState(required=required)
    latest: dict[int, SignOff] = {}
    for signoff in revision.signoffs.select_related("signer", "team").order_by("created_at", "id"):
        latest[signoff.team_id] = signoff
    for team_id, signoff in latest.items():
        if team_id not in required_ids:
            continue
        bucket = state.signed if signoff.decision == SignOff.Decision.APPROVE else state.rejected
        bucket[team_id] = signoff
    return state


def open_blocking_questions(requirement: Requirement) -> list[Question]:
    return list(requirement.questions.filter(is_blocking=True, resolved_at__isnull=True))


def reviews_of(plan: Plan) -> list[Review]:
    """Every review of every revision, oldest first."""
    return list(Review.objects.filter(revision__plan=plan).select_related("revision", "reviewer"))


def signoffs_of(plan: Plan) -> list[SignOff]:
    """Every sign-off of every revision, oldest first."""
    return list(
        SignOff.objects.filter(revision__plan=plan).select_related("revision", "team", "signer")
    )


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
    request, the approval and the sign-offs of the current one stale); "" when nothing."""
    from django.utils.translation import gettext

    from techalign.requirements.models import Status

    if revision is None:
        return ""
    withdrawn = {
        Status.IN_REVIEW: gettext("the review request for revision {n}"),
        Status.APPROVED: gettext("the approval of revision {n}"),
        Status.ALIGNING: gettext("the approval of revision {n} and every sign-off"),
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
    uncovered = uncovered_scenarios(requirement, revision)
    if uncovered:
        gaps.append(Refused("plan.coverage_incomplete", scenarios=[s.key for s in uncovered]))
    blocking = open_blocking_questions(requirement)
    if blocking:
        gaps.append(Refused("finalize.blocking_questions", questions=[q.key for q in blocking]))
    state = signoff_state(requirement, revision)
    if state.rejected:
        gaps.append(
            Refused(
                "finalize.signoffs_rejected",
                revision=revision.number,
                teams=[s.team.name for s in state.rejected.values()],
            )
        )
    if state.missing:
        gaps.append(
            Refused(
                "finalize.signoffs_missing",
                revision=revision.number,
                teams=[t.name for t in state.missing],
            )
        )
    return gaps
