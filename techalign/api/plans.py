"""The technical plan: items (each edit a new revision), review, sign-off, finalize, baselines,
change requests and milestones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from techalign.api.common import (
    ERRORS,
    PRECONDITION_ERRORS,
    Body,
    actor,
    etag,
    if_match,
    kept_or_built,
    listed,
    listing,
)
from techalign.api.meetings import WaiverOut
from techalign.core.errors import Refused
from techalign.core.limits import TEXT_LIMIT, TITLE_LIMIT
from techalign.meetings.selectors import access_meeting, waivers_in_force
from techalign.org.selectors import get_component, get_team
from techalign.plans import selectors, services
from techalign.plans.models import (
    ChangeRequest,
    Item,
    ItemKind,
    Milestone,
    Phase,
    Revision,
    SuspectLink,
)
from techalign.requirements.models import Requirement
from techalign.requirements.selectors import change_marks, get_requirement

router = Router(tags=["plans"])


# --- outputs -------------------------------------------------------------------------------


class SuspectMarkOut(Schema):
    """Why an item is suspect: the covered scenario's changed fields, before and after."""

    scenario: str
    before: dict[str, str]
    after: dict[str, str]
    marked_by: str
    marked_at: datetime

    @staticmethod
    def resolve_scenario(obj: SuspectLink) -> str:
        return obj.scenario.key

    @staticmethod
    def resolve_marked_by(obj: SuspectLink) -> str:
        return obj.marked_by.username


class ItemOut(Schema):
    key: str
    component: str
    owner_team: str
    kind: str
    title: str
    description: str
    ask: str
    due_on: date | None
    scenarios: list[str]
    author: str
    suspect: list[SuspectMarkOut] = Field(
        description="Open suspect marks: a covered scenario changed since the item was written."
    )

    @staticmethod
    def resolve_component(obj: Item) -> str:
        return obj.component.key

    @staticmethod
    def resolve_suspect(obj: Item) -> list[SuspectLink]:
        if hasattr(obj, "suspect_marks"):
            return obj.suspect_marks
        requirement = obj.revision.plan.requirement
        return selectors.suspect_by_item(requirement, obj.revision).get(obj.key, [])

    @staticmethod
    def resolve_owner_team(obj: Item) -> str:
        return obj.owner_team.code

    @staticmethod
    def resolve_scenarios(obj: Item) -> list[str]:
        return sorted(f"S-{s.number}" for s in obj.scenarios.all())

    @staticmethod
    def resolve_author(obj: Item) -> str:
        return obj.author.username


class ReviewOut(Schema):
    revision: int
    reviewer: str
    verdict: str
    comment: str
    is_stale: bool
    created_at: datetime


class SignOffOut(Schema):
    team: str
    signer: str
    role: Literal["PM", "DEV"] = Field(description="The capacity the signer signed in.")
    decision: str
    reason: str
    revision: int
    content_hash: str
    section_hash: str = Field(
        description="SHA-256 of the party's section as signed (the whole plan for the lead team)."
    )
    is_stale: bool
    stands: bool = Field(
        description="Whether it still counts on the revision read (the current one, or the "
        "baseline's): given on it, or on an earlier one with the same section hash."
    )
    voided_reason: str | None = Field(description="Why it no longer stands, when it does not.")
    created_at: datetime


class PartySignOffOut(Schema):
    team: str
    name: str
    is_lead: bool
    is_asked: bool = Field(description="Asked to sign this revision (nothing complete stands).")
    is_complete: bool
    missing_roles: list[str] = Field(description="Capacities still needed: PM, DEV.")
    standing: list[SignOffOut]
    voided: list[SignOffOut]
    rejected: SignOffOut | None


class PartyOut(Schema):
    team: str
    name: str
    is_lead: bool
    asks: list[str]


class PlanOut(Schema):
    requirement: str
    status: str
    revision: int
    content_hash: str | None
    items: list[ItemOut]
    uncovered: list[str]
    out_of_scope: dict[str, str]
    suspect: dict[str, list[str]] = Field(
        description="Suspect items of the coverage: item key -> the changed scenarios it covers."
    )
    unacknowledged: list[str]
    related_parties: list[PartyOut]
    reviews: list[ReviewOut]
    signoffs: list[SignOffOut]
    missing_signoffs: list[str]
    signoff_status: list[PartySignOffOut]
    approval_gaps: list[str]
    finalize_gaps: list[str]


class RevisionOut(Schema):
    number: int
    author: str
    created_at: datetime
    change_kind: str
    summary: str
    content_hash: str
    submitted_at: datetime | None
    change_request: str | None

    @staticmethod
    def resolve_author(obj: Revision) -> str:
        return obj.author.username

    @staticmethod
    def resolve_change_request(obj: Revision) -> str | None:
        return f"CR-{obj.change_request.number}" if obj.change_request else None


class RevisionDetailOut(RevisionOut):
    content: dict


class BaselineOut(Schema):
    version: int
    revision: int
    content_hash: str
    finalized_by: str
    finalized_at: datetime
    change_request: str | None
    signoffs: list[SignOffOut]
    waivers: list[WaiverOut] = Field(
        description="Parties excused from the alignment meeting when the baseline was made."
    )


class BaselineDetailOut(BaselineOut):
    content: dict


class ChangeRequestOut(Schema):
    key: str
    title: str
    reason: str
    phase_found: str
    phase_proposed: str = Field(
        description="The phase the milestones proposed when it was opened (empty for older "
        "change requests)."
    )
    phase_reason: str = Field(description="Why a phase earlier than the proposed one.")
    root_cause: str = Field(description="unknown: opened before the root cause was asked for.")
    cause_scenario: str = Field(description="The scenario concerned (S-n), or empty.")
    cause_item: str = Field(description="The plan item concerned (I-n), or empty.")
    cause_party: str | None = Field(description="The code of the party concerned.")
    cost_weight: int
    affected_teams: list[str]
    status: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    base_version: int

    @staticmethod
    def resolve_affected_teams(obj: ChangeRequest) -> list[str]:
        return sorted(t.code for t in obj.affected_teams.all())

    @staticmethod
    def resolve_opened_by(obj: ChangeRequest) -> str:
        return obj.opened_by.username

    @staticmethod
    def resolve_base_version(obj: ChangeRequest) -> int:
        return obj.base_baseline.version

    @staticmethod
    def resolve_cause_scenario(obj: ChangeRequest) -> str:
        return obj.cause_scenario_key

    @staticmethod
    def resolve_cause_item(obj: ChangeRequest) -> str:
        return obj.cause_item_key

    @staticmethod
    def resolve_cause_party(obj: ChangeRequest) -> str | None:
        return obj.cause_team.code if obj.cause_team is not None else None


class MilestoneOut(Schema):
    team: str
    kind: str
    due_on: date
    done_on: date | None
    updated_by: str

    @staticmethod
    def resolve_team(obj: Milestone) -> str:
        return obj.team.code

    @staticmethod
    def resolve_updated_by(obj: Milestone) -> str:
        return obj.updated_by.username


# --- inputs --------------------------------------------------------------------------------

ScenarioKeys = list[str]


BASED_ON = (
    "The revision you edited (0 for an empty plan); an older one is refused with 409 and the "
    "current number. Instead, If-Match may carry the plan's ETag."
)


REVISION = "The revision you act on; refused with the current one when it is not current."
CONFIRM_WITHDRAWAL = (
    "While the plan is in review, approved or aligning, a change makes a new revision that "
    "withdraws the review request, the approval and changed sign-offs: it is refused "
    "(409 plan.withdrawal_unconfirmed, naming what it withdraws) unless this is true "
    "(or ?confirm=1)."
)
CONFIRM_GAPS = (
    "A revision with gaps a reviewer would have to refuse is submitted only when this is true "
    "(or ?confirm=1); otherwise 409 plan.gaps_unconfirmed lists the gaps in details."
)
CONTENT_HASH = "The content hash of that revision, as you read it."


class ItemIn(Body):
    based_on: int | None = Field(default=None, ge=0, description=BASED_ON)
    component: str = Field(max_length=100)
    kind: ItemKind
    title: str = Field(min_length=1, max_length=TITLE_LIMIT)
    description: str = Field(default="", max_length=TEXT_LIMIT)
    ask: str = Field(default="", max_length=TEXT_LIMIT)
    due_on: date | None = None
    scenarios: ScenarioKeys = Field(default_factory=list, max_length=500)
    confirm: bool = Field(default=False, description=CONFIRM_WITHDRAWAL)


class ItemPatch(Body):
    based_on: int | None = Field(default=None, ge=0, description=BASED_ON)
    component: str | None = Field(default=None, max_length=100)
    kind: ItemKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_LIMIT)
    description: str | None = Field(default=None, max_length=TEXT_LIMIT)
    ask: str | None = Field(default=None, max_length=TEXT_LIMIT)
    due_on: date | None = None
    scenarios: ScenarioKeys | None = Field(default=None, max_length=500)
    confirm: bool = Field(default=False, description=CONFIRM_WITHDRAWAL)


class ConfirmIn(Body):
    based_on: int | None = Field(default=None, ge=0, description=BASED_ON)


class RevisionRef(Body):
    revision: int = Field(ge=1, description=REVISION)


class SubmitIn(RevisionRef):
    confirm: bool = Field(default=False, description=CONFIRM_GAPS)


class ReviewIn(Body):
    revision: int = Field(ge=1, description=REVISION)
    content_hash: str = Field(min_length=64, max_length=64, description=CONTENT_HASH)
    comment: str = Field(default="", max_length=TEXT_LIMIT)


class PathReviewIn(Body):
    """The deprecated review body: the revision is in the path."""

    content_hash: str = Field(min_length=64, max_length=64, description=CONTENT_HASH)
    comment: str = Field(default="", max_length=TEXT_LIMIT)


class SignOffIn(Body):
    team: str = Field(max_length=50)
    revision: int = Field(ge=1, description=REVISION)
    content_hash: str = Field(min_length=64, max_length=64, description=CONTENT_HASH)
    decision: Literal["approve", "reject"] = "approve"
    reason: str = Field(default="", max_length=TEXT_LIMIT)
    meeting: str | None = Field(default=None, max_length=20)
    as_role: Literal["PM", "DEV"] | None = Field(
        default=None,
        description="The capacity to sign in; by default the first one the signer holds (DEV "
        "first) that the party still lacks.",
    )


class FinalizeIn(Body):
    revision: int = Field(ge=1, description=REVISION)
    content_hash: str = Field(min_length=64, max_length=64, description=CONTENT_HASH)


# The root causes a new change request may give ("unknown" is only for older ones).
RecordedCause = Literal[
    "party_missing",
    "scenario_not_covered",
    "scenario_misunderstood",
    "requirement_changed",
    "technical_discovery",
    "external",
]


class ChangeRequestIn(Body):
    title: str = Field(min_length=1, max_length=TITLE_LIMIT)
    reason: str = Field(min_length=1, max_length=TEXT_LIMIT)
    phase_found: Phase
    phase_reason: str = Field(
        default="",
        max_length=TEXT_LIMIT,
        description="Required when phase_found is earlier than the phase the milestones propose.",
    )
    affected_teams: list[str] = Field(default_factory=list, max_length=200)
    root_cause: RecordedCause | None = Field(
        default=None, description="Why the alignment missed the gap; required."
    )
    cause_scenario: str = Field(default="", max_length=20, description="S-n")
    cause_item: str = Field(default="", max_length=20, description="I-n")
    cause_party: str | None = Field(default=None, max_length=50, description="a team code")


class MilestoneIn(Body):
    team: str = Field(max_length=50)
    kind: Milestone.Kind
    due_on: date
    done_on: date | None = None


# --- helpers -------------------------------------------------------------------------------


def _requirement(request: HttpRequest, key: str) -> Requirement:
    return get_requirement(actor(request), key)


@contextmanager
def _plan_edit(request: HttpRequest, requirement: Requirement, given: int | None) -> Iterator[int]:
    """The revision a plan write is based on: the body's `based_on`, else If-Match.

    A stale `based_on` is a conflict (409, `plan.stale_revision`); a stale If-Match is a failed
    precondition (412, `precondition.failed`), as for every other If-Match. Both name the current
    revision in `details.current_revision`."""
    if given is not None:
        yield given
        return
    try:
        yield if_match(request, "r")
    except Refused as refused:
        if refused.code != "plan.stale_revision":
            raise
        current = int(refused.details["current"])
        raise Refused(
            "precondition.failed",
            kind=gettext_lazy("Plan"),
            ref=requirement.key,
            seen=request.headers.get("If-Match", ""),
            current=f'"r{current}"',
            current_revision=current,
        ) from refused


@contextmanager
def _naming_current(requirement: Requirement, named: int | str) -> Iterator[None]:
    """A refusal of a write that names a revision says which revision is current, when the
    named one is not: in `details.current_revision`."""
    try:
        yield
    except Refused as refused:
        current = selectors.current_revision(requirement)
        number = current.number if current else 0
        if str(named) != str(number):
            refused.details.setdefault("current_revision", number)
        raise


def _item_fields(data: dict) -> dict:
    """API field names -> service field names (component key -> Component, scenarios -> keys)."""
    fields = {
        k: v for k, v in data.items() if k not in {"based_on", "component", "scenarios", "confirm"}
    }
    if data.get("component") is not None:
        fields["component"] = get_component(data["component"])
    if data.get("scenarios") is not None:
        fields["scenario_keys"] = [k.upper() for k in data["scenarios"]]
    return fields


def _signoff_out(signoff, current: Revision | None) -> dict:
    """A sign-off as of `current`; whether it stands is what `signoff_state` marked on it
    (a sign-off no state has read counts as standing only on its own revision)."""
    on_current = current is not None and signoff.revision_id == current.pk
    reason = signoff.voided_reason
    return {
        "team": signoff.team.code,
        "signer": signoff.signer.username,
        "role": signoff.role,
        "decision": signoff.decision,
        "reason": signoff.reason,
        "revision": signoff.revision.number,
        "content_hash": signoff.content_hash,
        "section_hash": signoff.section_hash,
        "is_stale": not on_current,
        "stands": (on_current if signoff.stands is None else signoff.stands)
        and signoff.decision == signoff.Decision.APPROVE,
        "voided_reason": str(reason) if reason else None,
        "created_at": signoff.created_at,
    }


def signoff_status_out(state: selectors.SignOffState) -> list[dict]:
    """Per party: its standing sign-offs, the voided ones with the reason, and what it lacks."""
    current = state.revision
    return [
        {
            "team": party.team.code,
            "name": party.team.name,
            "is_lead": party.is_lead,
            "is_asked": party.is_asked,
            "is_complete": party.is_complete,
            "missing_roles": party.missing_roles,
            "standing": [_signoff_out(s, current) for s in party.signoffs],
            "voided": [_signoff_out(s, current) for s in party.voided],
            "rejected": _signoff_out(party.rejected, current) if party.rejected else None,
        }
        for party in state.parties
    ]


def parties_out(requirement: Requirement, revision: Revision | None) -> list[dict]:
    """The lead team, then each related party with its asks: the one shape of
    `related_parties` wherever the API shows them."""
    items = selectors.items_of(revision)
    parties = selectors.related_parties(requirement, revision)
    return [
        {
            "team": requirement.lead_team.code,
            "name": requirement.lead_team.name,
            "is_lead": True,
            "asks": [],
        },
        *[
            {
                "team": t.code,
                "name": t.name,
                "is_lead": False,
                "asks": [f"{i.key}: {i.ask}" for i in items if i.owner_team_id == t.pk],
            }
            for t in sorted(parties, key=lambda t: t.code)
        ],
    ]


def _plan_out(requirement: Requirement) -> dict:
    with selectors.one_reading(requirement):
        return _plan_sections(requirement)


def _plan_sections(requirement: Requirement) -> dict:
    plan = selectors.plan_of(requirement)
    revision = plan.current_revision if plan and plan.current_revision_id else None
    items = selectors.items_of(revision)
    suspect = selectors.suspect_by_item(requirement, revision)
    for item in items:
        item.suspect_marks = suspect.get(item.key, [])  # type: ignore[attr-defined]
    reviews, signoffs = [], []
    if plan is not None:
        for review in selectors.reviews_of(plan):
            reviews.append(
                {
                    "revision": review.revision.number,
                    "reviewer": review.reviewer.username,
                    "verdict": review.verdict,
                    "comment": review.comment,
                    "is_stale": review.revision_id != (revision.pk if revision else None),
                    "created_at": review.created_at,
                }
            )
    missing, approval, finalize, status = [], [], [], []
    if plan is not None and revision is not None:
        state = selectors.signoff_state(requirement, revision)
        missing = [t.code for t in state.missing]
        status = signoff_status_out(state)
        # The history with each sign-off's standing on the current revision.
        marked = {s.pk: s for p in state.parties for s in [*p.signoffs, *p.voided]}
        signoffs = [
            _signoff_out(marked.get(s.pk, s), revision) for s in selectors.signoffs_of(plan)
        ]
        approval = [g.message for g in selectors.approval_gaps(requirement, revision)]
        finalize = [g.message for g in selectors.finalize_gaps(requirement, revision)]
    return {
        "requirement": requirement.key,
        "status": requirement.status,
        "revision": revision.number if revision else 0,
        "content_hash": revision.content_hash if revision else None,
        "items": items,
        "uncovered": [s.key for s in selectors.uncovered_scenarios(requirement, revision)],
        "out_of_scope": {
            s.key: s.out_of_scope_reason
            for s in selectors.live_scenarios(requirement)
            if s.is_out_of_scope
        },
        "suspect": {key: sorted(m.scenario.key for m in marks) for key, marks in suspect.items()},
        "unacknowledged": [s.key for s in selectors.unacknowledged_scenarios(requirement)],
        "related_parties": parties_out(requirement, revision),
        "reviews": reviews,
        "signoffs": signoffs,
        "missing_signoffs": missing,
        "signoff_status": status,
        "approval_gaps": approval,
        "finalize_gaps": finalize,
    }


# --- operations ----------------------------------------------------------------------------


@router.get("/{key}/plan", response={200: PlanOut, **ERRORS})
def get_plan(request: HttpRequest, key: str, response: HttpResponse):
    """The current revision: items, coverage, related parties with their asks, reviews,
    sign-offs, and what is still missing to approve and to finalize. ETag: the revision."""
    requirement = _requirement(request, key)
    marks = change_marks(requirement)
    # The revision is what If-Match compares for plan edits; the marks cover the reviews,
    # sign-offs and parties the answer shows beside it.
    return kept_or_built(
        request,
        response,
        etag("r", marks.revision, marks.marks),
        ("plan", requirement.pk),
        PlanOut,
        lambda: _plan_out(requirement),
    )


@router.post("/{key}/plan/items", response={201: ItemOut, **PRECONDITION_ERRORS})
def add_item(request: HttpRequest, key: str, body: ItemIn, confirm: bool = False):
    """Add an item (a DEV of the lead team); the plan gets a new revision."""
    data = body.model_dump()
    requirement = _requirement(request, key)
    with _plan_edit(request, requirement, data["based_on"]) as based_on:
        item = services.add_item(
            requirement=requirement,
            actor=actor(request),
            based_on=based_on,
            confirm=body.confirm or confirm,
            **_item_fields(data),
        )
    return Status(201, item)


@router.patch("/{key}/plan/items/{item}", response={200: ItemOut, **PRECONDITION_ERRORS})
def update_item(request: HttpRequest, key: str, item: str, body: ItemPatch, confirm: bool = False):
    data = body.model_dump(exclude_unset=True)
    requirement = _requirement(request, key)
    with _plan_edit(request, requirement, data.get("based_on")) as based_on:
        return services.update_item(
            requirement=requirement,
            actor=actor(request),
            based_on=based_on,
            item_key=selectors.item_key(item),
            confirm=body.confirm or confirm,
            **_item_fields(data),
        )


@router.post("/{key}/plan/items/{item}/confirm", response={200: ItemOut, **PRECONDITION_ERRORS})
def confirm_item(request: HttpRequest, key: str, item: str, body: ConfirmIn):
    """Confirm a suspect item as it stands (a DEV who may edit the plan): its suspect marks are
    cleared and the plan gets no new revision."""
    requirement = _requirement(request, key)
    item_key = selectors.item_key(item)
    with _plan_edit(request, requirement, body.based_on) as based_on:
        services.confirm_item(
            requirement=requirement, actor=actor(request), based_on=based_on, item_key=item_key
        )
    revision = selectors.current_revision(requirement)
    if revision is None:
        raise Refused("plan.empty")
    return revision.items.get(number=int(item_key[2:]))


@router.delete("/{key}/plan/items/{item}", response={200: RevisionOut, **PRECONDITION_ERRORS})
def remove_item(
    request: HttpRequest,
    key: str,
    item: str,
    based_on: int | None = None,
    confirm: bool = False,
):
    requirement = _requirement(request, key)
    with _plan_edit(request, requirement, based_on) as based_on_revision:
        return services.remove_item(
            requirement=requirement,
            actor=actor(request),
            based_on=based_on_revision,
            item_key=selectors.item_key(item),
            confirm=confirm,
        )


@router.get("/{key}/plan/revisions", response={200: list[RevisionOut], **ERRORS})
@paginate
def list_revisions(request: HttpRequest, key: str):
    plan = selectors.plan_of(_requirement(request, key))
    if plan is None:
        return Revision.objects.none()
    return plan.revisions.select_related("author", "change_request").order_by("-number")


@router.get("/{key}/plan/revisions/{number}", response={200: RevisionDetailOut, **ERRORS})
def get_revision(request: HttpRequest, key: str, number: str):
    """One revision with its canonical content (what its hash covers)."""
    return selectors.access_revision(_requirement(request, key), number)


@router.post("/{key}/plan/submit", response={200: RevisionOut, **ERRORS})
def submit_for_review(request: HttpRequest, key: str, body: SubmitIn, confirm: bool = False):
    """A DEV of the lead team asks for review of the current revision, named by `revision`;
    one with gaps a reviewer would have to refuse only with `confirm`."""
    requirement = _requirement(request, key)
    with _naming_current(requirement, body.revision):
        return services.submit_for_review(
            requirement=requirement,
            actor=actor(request),
            revision_number=body.revision,
            confirm=body.confirm or confirm,
        )


@router.post("/{key}/plan/approve", response={200: ReviewOut, **ERRORS})
def approve(request: HttpRequest, key: str, body: ReviewIn):
    """A tech lead or architect, not an author, approves exactly this revision and hash."""
    return _review(request, key, body.revision, body, services.approve_revision)


@router.post("/{key}/plan/request-changes", response={200: ReviewOut, **ERRORS})
def request_changes(request: HttpRequest, key: str, body: ReviewIn):
    """A reviewer sends this revision back with what must change."""
    return _review(request, key, body.revision, body, services.request_changes)


DEPRECATED_REVIEW = (
    " Deprecated since 0.2.0, removed in 0.3.0: use POST /{key}/plan/%s with "
    '`{"revision": N, "content_hash": "…"}`.'
)


@router.post(
    "/{key}/plan/revisions/{number}/approve",
    response={200: ReviewOut, **ERRORS},
    deprecated=True,
    description="The revision in the path." + DEPRECATED_REVIEW % "approve",
)
def approve_revision(
    request: HttpRequest, key: str, number: str, body: PathReviewIn, response: HttpResponse
):
    response["Deprecation"] = "true"
    return _review(request, key, number, body, services.approve_revision)


@router.post(
    "/{key}/plan/revisions/{number}/request-changes",
    response={200: ReviewOut, **ERRORS},
    deprecated=True,
    description="The revision in the path." + DEPRECATED_REVIEW % "request-changes",
)
def request_changes_of_revision(
    request: HttpRequest, key: str, number: str, body: PathReviewIn, response: HttpResponse
):
    response["Deprecation"] = "true"
    return _review(request, key, number, body, services.request_changes)


def _review(
    request: HttpRequest, key: str, number: int | str, body: ReviewIn | PathReviewIn, verdict
) -> dict:
    requirement = _requirement(request, key)
    revision = selectors.access_revision(requirement, number)
    with _naming_current(requirement, revision.number):
        review = verdict(
            revision=revision,
            actor=actor(request),
            comment=body.comment,
            content_hash=body.content_hash,
        )
    return _review_out(review)


def _review_out(review) -> dict:
    return {
        "revision": review.revision.number,
        "reviewer": review.reviewer.username,
        "verdict": review.verdict,
        "comment": review.comment,
        "is_stale": False,
        "created_at": review.created_at,
    }


@router.post("/{key}/sign-offs", response={201: SignOffOut, **ERRORS})
def sign_off(request: HttpRequest, key: str, body: SignOffIn):
    """A PM or DEV of a party signs (or rejects) one exact revision, named with its hash."""
    requirement = _requirement(request, key)
    with _naming_current(requirement, body.revision):
        signoff = services.sign_off(
            requirement=requirement,
            actor=actor(request),
            team=get_team(body.team),
            revision_number=body.revision,
            content_hash=body.content_hash,
            approve=body.decision == "approve",
            reason=body.reason,
            meeting=access_meeting(requirement, body.meeting) if body.meeting else None,
            as_role=body.as_role,
        )
    return Status(201, _signoff_out(signoff, signoff.revision))


@router.post("/{key}/finalize", response={201: BaselineDetailOut, **ERRORS})
def finalize(request: HttpRequest, key: str, body: FinalizeIn):
    """Step 5: freeze the fully signed current revision as the next baseline."""
    requirement = _requirement(request, key)
    with _naming_current(requirement, body.revision):
        baseline = services.finalize(
            requirement=requirement,
            actor=actor(request),
            revision_number=body.revision,
            content_hash=body.content_hash,
        )
    return Status(201, _baseline_out(baseline, with_content=True))


def _baseline_out(baseline, *, with_content: bool = False) -> dict:
    # Every party's sign-off that stood when it was finalized, some on earlier revisions.
    signoffs = list(
        baseline.signoffs.select_related("team", "signer", "revision").order_by(
            "team__code", "role"
        )
    )
    for signoff in signoffs:
        signoff.stands = True
    out = {
        "version": baseline.version,
        "revision": baseline.revision.number,
        "content_hash": baseline.content_hash,
        "finalized_by": baseline.finalized_by.username,
        "finalized_at": baseline.finalized_at,
        "change_request": f"CR-{baseline.change_request.number}"
        if baseline.change_request_id
        else None,
        "signoffs": [_signoff_out(s, baseline.revision) for s in signoffs],
        "waivers": waivers_in_force(
            baseline.requirement, baseline.revision, before=baseline.finalized_at
        ),
    }
    if with_content:
        out["content"] = baseline.revision.content
    return out


@router.get("/{key}/baselines", response={200: listing(BaselineOut), **ERRORS})
def list_baselines(request: HttpRequest, key: str):
    requirement = _requirement(request, key)
    baselines = requirement.baselines.select_related("revision", "finalized_by", "change_request")
    return listed(_baseline_out(b) for b in baselines)


@router.get("/{key}/baselines/{version}", response={200: BaselineDetailOut, **ERRORS})
def get_baseline(request: HttpRequest, key: str, version: str):
    baseline = selectors.access_baseline(_requirement(request, key), version)
    return _baseline_out(baseline, with_content=True)


@router.get("/{key}/change-requests", response={200: list[ChangeRequestOut], **ERRORS})
@paginate
def list_change_requests(request: HttpRequest, key: str):
    return (
        _requirement(request, key)
        .change_requests.select_related("opened_by", "base_baseline", "cause_team")
        .prefetch_related("affected_teams")
    )


@router.post("/{key}/change-requests", response={201: ChangeRequestOut, **ERRORS})
def open_change_request(request: HttpRequest, key: str, body: ChangeRequestIn):
    """Reopen a baselined plan for one tracked change, weighted by the phase it was found in."""
    return Status(
        201,
        services.open_change_request(
            requirement=_requirement(request, key),
            actor=actor(request),
            title=body.title,
            reason=body.reason,
            phase_found=body.phase_found,
            affected_teams=[get_team(code) for code in body.affected_teams],
            phase_reason=body.phase_reason,
            root_cause=body.root_cause,
            cause_scenario_key=body.cause_scenario.strip().upper(),
            cause_item_key=body.cause_item.strip().upper(),
            cause_team=get_team(body.cause_party) if body.cause_party else None,
        ),
    )


@router.post("/{key}/change-requests/{change}/withdraw", response={200: ChangeRequestOut, **ERRORS})
def withdraw_change_request(request: HttpRequest, key: str, change: str):
    found = selectors.access_change_request(_requirement(request, key), change)
    return services.withdraw_change_request(change=found, actor=actor(request))


@router.get("/{key}/milestones", response={200: listing(MilestoneOut), **ERRORS})
def list_milestones(request: HttpRequest, key: str, response: HttpResponse):
    """Every party's milestones; the ETag is the requirement's, which they belong to."""
    requirement = _requirement(request, key)
    return kept_or_built(
        request,
        response,
        etag("v", requirement.version, change_marks(requirement).marks),
        ("milestones", requirement.pk),
        listing(MilestoneOut),
        lambda: listed(requirement.milestones.select_related("team", "updated_by")),
    )


@router.put("/{key}/milestones", response={200: MilestoneOut, **PRECONDITION_ERRORS})
def set_milestone(request: HttpRequest, key: str, body: MilestoneIn):
    """Plan or report one of a party's milestones (dev done, joint debugging, test, launch);
    needs If-Match with the requirement's ETag."""
    return services.set_milestone(
        requirement=_requirement(request, key),
        actor=actor(request),
        version=if_match(request, "v"),
        team=get_team(body.team),
        kind=body.kind,
        due_on=body.due_on,
        done_on=body.done_on,
    )
