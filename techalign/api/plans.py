"""The technical plan: items (each edit a new revision), review, sign-off, finalize, baselines,
change requests and milestones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from techalign.api.common import ERRORS, PRECONDITION_ERRORS, Body, actor, if_match, set_etag
from techalign.core.errors import Refused
from techalign.org.selectors import get_component, get_team
from techalign.plans import selectors, services
from techalign.plans.models import ChangeRequest, Item, ItemKind, Milestone, Phase, Revision
from techalign.requirements.models import TEXT_LIMIT, TITLE_LIMIT, Requirement
from techalign.requirements.selectors import get_requirement, parse_key

router = Router(tags=["plans"])


# --- outputs -------------------------------------------------------------------------------


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

    @staticmethod
    def resolve_component(obj: Item) -> str:
        return obj.component.key

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
    decision: str
    reason: str
    revision: int
    content_hash: str
    is_stale: bool
    created_at: datetime


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
    related_parties: list[PartyOut]
    reviews: list[ReviewOut]
    signoffs: list[SignOffOut]
    missing_signoffs: list[str]
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
        return f"CR-{obj.change_request.number}" if obj.change_request_id else None


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


class BaselineDetailOut(BaselineOut):
    content: dict


class ChangeRequestOut(Schema):
    key: str
    title: str
    reason: str
    phase_found: str
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


class ItemIn(Body):
    based_on: int | None = Field(default=None, ge=0, description=BASED_ON)
    component: str = Field(max_length=100)
    kind: ItemKind
    title: str = Field(min_length=1, max_length=TITLE_LIMIT)
    description: str = Field(default="", max_length=TEXT_LIMIT)
    ask: str = Field(default="", max_length=TEXT_LIMIT)
    due_on: date | None = None
    scenarios: ScenarioKeys = Field(default_factory=list, max_length=500)


class ItemPatch(Body):
    based_on: int | None = Field(default=None, ge=0, description=BASED_ON)
    component: str | None = Field(default=None, max_length=100)
    kind: ItemKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_LIMIT)
    description: str | None = Field(default=None, max_length=TEXT_LIMIT)
    ask: str | None = Field(default=None, max_length=TEXT_LIMIT)
    due_on: date | None = None
    scenarios: ScenarioKeys | None = Field(default=None, max_length=500)


class RevisionRef(Body):
    revision: int = Field(ge=1)


class ReviewIn(Body):
    content_hash: str = Field(
        min_length=64, max_length=64, description="The content hash of the revision you reviewed."
    )
    comment: str = Field(default="", max_length=TEXT_LIMIT)


class SignOffIn(Body):
    team: str = Field(max_length=50)
    revision: int = Field(ge=1)
    content_hash: str = Field(min_length=64, max_length=64)
    decision: Literal["approve", "reject"] = "approve"
    reason: str = Field(default="", max_length=TEXT_LIMIT)
    meeting: str | None = Field(default=None, max_length=20)


class FinalizeIn(Body):
    revision: int = Field(ge=1)
    content_hash: str = Field(min_length=64, max_length=64)


class ChangeRequestIn(Body):
    title: str = Field(min_length=1, max_length=TITLE_LIMIT)
    reason: str = Field(min_length=1, max_length=TEXT_LIMIT)
    phase_found: Phase
    affected_teams: list[str] = Field(default_factory=list, max_length=200)


class MilestoneIn(Body):
    team: str = Field(max_length=50)
    kind: Milestone.Kind
    due_on: date
    done_on: date | None = None


# --- helpers -------------------------------------------------------------------------------


def _requirement(request: HttpRequest, key: str) -> Requirement:
    return get_requirement(actor(request), key)


def _based_on(request: HttpRequest, given: int | None) -> int:
    """The revision a plan write is based on: the body's `based_on`, else If-Match."""
    if given is not None:
        return given
    return if_match(request, "r")  # type: ignore[return-value]


def _item_fields(data: dict) -> dict:
    """API field names -> service field names (component key -> Component, scenarios -> keys)."""
    fields = {k: v for k, v in data.items() if k not in {"based_on", "component", "scenarios"}}
    if data.get("component") is not None:
        fields["component"] = get_component(data["component"])
    if data.get("scenarios") is not None:
        fields["scenario_keys"] = [k.upper() for k in data["scenarios"]]
    return fields


def _signoff_out(signoff, current: Revision | None) -> dict:
    return {
        "team": signoff.team.code,
        "signer": signoff.signer.username,
        "decision": signoff.decision,
        "reason": signoff.reason,
        "revision": signoff.revision.number,
        "content_hash": signoff.content_hash,
        "is_stale": current is None or signoff.revision_id != current.pk,
        "created_at": signoff.created_at,
    }


def _plan_out(requirement: Requirement) -> dict:
    plan = selectors.plan_of(requirement)
    revision = plan.current_revision if plan and plan.current_revision_id else None
    items = selectors.items_of(revision)
    parties = selectors.related_parties(requirement, revision)
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
        signoffs = [_signoff_out(s, revision) for s in selectors.signoffs_of(plan)]
    missing, approval, finalize = [], [], []
    if revision is not None:
        missing = [t.code for t in selectors.signoff_state(requirement, revision).missing]
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
        "related_parties": [
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
        ],
        "reviews": reviews,
        "signoffs": signoffs,
        "missing_signoffs": missing,
        "approval_gaps": approval,
        "finalize_gaps": finalize,
    }


def _revision(requirement: Requirement, number: int) -> Revision:
    plan = selectors.plan_of(requirement)
    revision = plan.revisions.filter(number=number).first() if plan else None
    if revision is None:
        raise Refused("access.not_found", kind="Revision", ref=f"{requirement.key}/r{number}")
    return revision


# --- operations ----------------------------------------------------------------------------


@router.get("/{key}/plan", response={200: PlanOut, **ERRORS})
def get_plan(request: HttpRequest, key: str, response: HttpResponse):
    """The current revision: items, coverage, related parties with their asks, reviews,
    sign-offs, and what is still missing to approve and to finalize. ETag: the revision."""
    plan = _plan_out(_requirement(request, key))
    set_etag(response, "r", plan["revision"])
    return plan


@router.post("/{key}/plan/items", response={201: ItemOut, **PRECONDITION_ERRORS})
def add_item(request: HttpRequest, key: str, body: ItemIn):
    """Add an item (a DEV of the lead team); the plan gets a new revision."""
    data = body.model_dump()
    return Status(
        201,
        services.add_item(
            requirement=_requirement(request, key),
            actor=actor(request),
            based_on=_based_on(request, data["based_on"]),
            **_item_fields(data),
        ),
    )


@router.patch("/{key}/plan/items/{item}", response={200: ItemOut, **PRECONDITION_ERRORS})
def update_item(request: HttpRequest, key: str, item: str, body: ItemPatch):
    data = body.model_dump(exclude_unset=True)
    return services.update_item(
        requirement=_requirement(request, key),
        actor=actor(request),
        based_on=_based_on(request, data.get("based_on")),
        item_key=item.upper(),
        **_item_fields(data),
    )


@router.delete("/{key}/plan/items/{item}", response={200: RevisionOut, **PRECONDITION_ERRORS})
def remove_item(request: HttpRequest, key: str, item: str, based_on: int | None = None):
    return services.remove_item(
        requirement=_requirement(request, key),
        actor=actor(request),
        based_on=_based_on(request, based_on),
        item_key=item.upper(),
    )


@router.get("/{key}/plan/revisions", response={200: list[RevisionOut], **ERRORS})
@paginate
def list_revisions(request: HttpRequest, key: str):
    plan = selectors.plan_of(_requirement(request, key))
    if plan is None:
        return Revision.objects.none()
    return plan.revisions.select_related("author", "change_request").order_by("-number")


@router.get("/{key}/plan/revisions/{number}", response={200: RevisionDetailOut, **ERRORS})
def get_revision(request: HttpRequest, key: str, number: int):
    """One revision with its canonical content (what its hash covers)."""
    return _revision(_requirement(request, key), number)


@router.post("/{key}/plan/submit", response={200: RevisionOut, **ERRORS})
def submit_for_review(request: HttpRequest, key: str, body: RevisionRef):
    return services.submit_for_review(
        requirement=_requirement(request, key),
        actor=actor(request),
        revision_number=body.revision,
    )


@router.post("/{key}/plan/revisions/{number}/approve", response={200: ReviewOut, **ERRORS})
def approve_revision(request: HttpRequest, key: str, number: int, body: ReviewIn):
    """A tech lead or architect, not an author, approves exactly this revision and hash."""
    return _review(request, key, number, body, services.approve_revision)


@router.post("/{key}/plan/revisions/{number}/request-changes", response={200: ReviewOut, **ERRORS})
def request_changes(request: HttpRequest, key: str, number: int, body: ReviewIn):
    """A reviewer sends this revision back with what must change."""
    return _review(request, key, number, body, services.request_changes)


def _review(request: HttpRequest, key: str, number: int, body: ReviewIn, verdict) -> dict:
    revision = _revision(_requirement(request, key), number)
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
    from techalign.meetings.selectors import get_meeting

    requirement = _requirement(request, key)
    signoff = services.sign_off(
        requirement=requirement,
        actor=actor(request),
        team=get_team(body.team),
        revision_number=body.revision,
        content_hash=body.content_hash,
        approve=body.decision == "approve",
        reason=body.reason,
        meeting=get_meeting(requirement, body.meeting) if body.meeting else None,
    )
    return Status(201, _signoff_out(signoff, signoff.revision))


@router.post("/{key}/finalize", response={201: BaselineDetailOut, **ERRORS})
def finalize(request: HttpRequest, key: str, body: FinalizeIn):
    """Step 5: freeze the fully signed current revision as the next baseline."""
    baseline = services.finalize(
        requirement=_requirement(request, key),
        actor=actor(request),
        revision_number=body.revision,
        content_hash=body.content_hash,
    )
    return Status(201, _baseline_out(baseline, with_content=True))


def _baseline_out(baseline, *, with_content: bool = False) -> dict:
    signoffs = baseline.revision.signoffs.select_related("team", "signer", "revision")
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
    }
    if with_content:
        out["content"] = baseline.revision.content
    return out


@router.get("/{key}/baselines", response={200: list[BaselineOut], **ERRORS})
def list_baselines(request: HttpRequest, key: str):
    requirement = _requirement(request, key)
    baselines = requirement.baselines.select_related("revision", "finalized_by", "change_request")
    return [_baseline_out(b) for b in baselines]


@router.get("/{key}/baselines/{version}", response={200: BaselineDetailOut, **ERRORS})
def get_baseline(request: HttpRequest, key: str, version: int):
    requirement = _requirement(request, key)
    baseline = requirement.baselines.filter(version=version).first()
    if baseline is None:
        raise Refused("access.not_found", kind="Baseline", ref=f"{requirement.key}/v{version}")
    return _baseline_out(baseline, with_content=True)


@router.get("/{key}/change-requests", response={200: list[ChangeRequestOut], **ERRORS})
@paginate
def list_change_requests(request: HttpRequest, key: str):
    return (
        _requirement(request, key)
        .change_requests.select_related("opened_by", "base_baseline")
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
        ),
    )


@router.post("/{key}/change-requests/{change}/withdraw", response={200: ChangeRequestOut, **ERRORS})
def withdraw_change_request(request: HttpRequest, key: str, change: str):
    requirement = _requirement(request, key)
    number = parse_key(change, "CR")
    found = requirement.change_requests.filter(number=number).first() if number else None
    if found is None:
        raise Refused("access.not_found", kind="Change request", ref=f"{requirement.key}/{change}")
    return services.withdraw_change_request(change=found, actor=actor(request))


@router.get("/{key}/milestones", response={200: list[MilestoneOut], **ERRORS})
def list_milestones(request: HttpRequest, key: str, response: HttpResponse):
    """Every party's milestones; the ETag is the requirement's, which they belong to."""
    requirement = _requirement(request, key)
    set_etag(response, "v", requirement.version)
    return list(requirement.milestones.select_related("team", "updated_by"))


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
