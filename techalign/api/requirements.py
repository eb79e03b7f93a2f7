"""Requirements, scenarios, hand-off, questions, and the audit trail of a requirement."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest, HttpResponse
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
)
from techalign.api.plans import PartyOut, parties_out
from techalign.audit.models import AuditEvent
from techalign.core.limits import TEXT_LIMIT, TITLE_LIMIT
from techalign.meetings.selectors import access_meeting
from techalign.org.selectors import get_team, get_user
from techalign.plans import selectors as plans
from techalign.requirements import selectors, services
from techalign.requirements.models import Priority, Question, QuestionReply, Requirement, Risk

router = Router(tags=["requirements"])

Title = Field(min_length=1, max_length=TITLE_LIMIT)
Text = Field(default="", max_length=TEXT_LIMIT)


# --- outputs -------------------------------------------------------------------------------


class ScenarioOut(Schema):
    key: str
    title: str
    description: str
    priority: str
    acceptance_criteria: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    is_out_of_scope: bool
    out_of_scope_reason: str

    @staticmethod
    def resolve_acknowledged_by(obj) -> str | None:
        return obj.acknowledged_by.username if obj.acknowledged_by else None


class NextActionOut(Schema):
    action: str
    message: str
    team: str | None
    roles: list[str]
    users: list[str]


class RequirementSummaryOut(Schema):
    key: str
    title: str
    status: str
    step: int
    lead_team: str
    owner: str
    lead_dev: str | None
    is_private: bool
    risk: str | None = Field(
        description="High-risk category (money, personal_data, security), or null."
    )
    version: int
    created_at: datetime


def _current_revision(requirement: Requirement):
    """The current revision, read once for the whole response: the plan summary and the next
    actions then share its items, owners and coverage."""
    if "_current_revision" not in requirement.__dict__:
        requirement.__dict__["_current_revision"] = plans.current_revision(requirement)
    return requirement.__dict__["_current_revision"]


class PlanSummaryOut(Schema):
    revision: int
    content_hash: str | None
    items: int
    uncovered: list[str]
    suspect_items: list[str]
    unacknowledged: list[str]
    related_parties: list[PartyOut]
    baseline_version: int | None


class RequirementOut(RequirementSummaryOut):
    risk_reason: str
    user_stories: str
    business_process: str
    planned_dev_start_on: date | None
    planned_launch_on: date | None
    handed_off_at: datetime | None
    finalized_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    scenarios: list[ScenarioOut]
    acknowledgement_delegates: list[str]
    plan: PlanSummaryOut
    next_actions: list[NextActionOut]

    # The list's lines are plain values already (selectors.RequirementSummary); one
    # requirement is read as a model.
    @staticmethod
    def resolve_lead_team(obj: Requirement) -> str:
        return obj.lead_team.code

    @staticmethod
    def resolve_risk(obj: Requirement) -> str | None:
        return obj.risk or None

    @staticmethod
    def resolve_owner(obj: Requirement) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_lead_dev(obj: Requirement) -> str | None:
        return obj.lead_dev.username if obj.lead_dev else None

    @staticmethod
    def resolve_acknowledgement_delegates(obj: Requirement) -> list[str]:
        return selectors.acknowledgement_delegate_names(obj)

    @staticmethod
    def resolve_scenarios(obj: Requirement) -> list:
        return plans.live_scenarios(obj)

    @staticmethod
    def resolve_plan(obj: Requirement) -> dict:
        revision = _current_revision(obj)
        baseline = plans.latest_baseline(obj)
        # Read whole first: coverage, suspect marks and parties then come from the same rows.
        items = plans.items_of(revision)
        return {
            "revision": revision.number if revision else 0,
            "content_hash": revision.content_hash if revision else None,
            "items": len(items),
            "uncovered": [s.key for s in plans.uncovered_scenarios(obj, revision)],
            "suspect_items": list(plans.suspect_by_item(obj, revision)),
            "unacknowledged": [s.key for s in plans.unacknowledged_scenarios(obj)],
            "related_parties": parties_out(obj, revision),
            "baseline_version": baseline.version if baseline else None,
        }

    @staticmethod
    def resolve_next_actions(obj: Requirement) -> list[dict]:
        return [a.as_dict() for a in selectors.next_actions(obj, _current_revision(obj))]


class ReplyOut(Schema):
    id: int
    author: str
    kind: str
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: QuestionReply) -> str:
        return obj.author.username


class QuestionOut(Schema):
    key: str
    stage: str
    scenario: str | None
    item: str | None
    meeting: str | None
    raised_by: str
    raised_for_team: str | None
    raised_at: datetime
    body: str
    is_blocking: bool
    state: str
    proposed_reply: int | None
    replies: list[ReplyOut]
    answer: str
    resolved_by: str | None
    resolved_at: datetime | None

    @staticmethod
    def resolve_raised_for_team(obj: Question) -> str | None:
        return obj.raised_for_team.code if obj.raised_for_team else None

    @staticmethod
    def resolve_proposed_reply(obj: Question) -> int | None:
        return obj.answer_reply_id

    @staticmethod
    def resolve_replies(obj: Question) -> list[QuestionReply]:
        return list(obj.replies.all())

    @staticmethod
    def resolve_scenario(obj: Question) -> str | None:
        return f"S-{obj.scenario.number}" if obj.scenario else None

    @staticmethod
    def resolve_item(obj: Question) -> str | None:
        return obj.item_key or None

    @staticmethod
    def resolve_meeting(obj: Question) -> str | None:
        return f"M-{obj.meeting.number}" if obj.meeting else None

    @staticmethod
    def resolve_raised_by(obj: Question) -> str:
        return obj.raised_by.username

    @staticmethod
    def resolve_resolved_by(obj: Question) -> str | None:
        return obj.resolved_by.username if obj.resolved_by else None


class AuditEventOut(Schema):
    seq: int
    occurred_at: datetime
    actor: str | None
    action: str
    outcome: str
    target_type: str
    target_label: str
    summary: dict
    hash: str

    @staticmethod
    def resolve_actor(obj: AuditEvent) -> str | None:
        return obj.actor.username if obj.actor else None


# --- inputs --------------------------------------------------------------------------------


class RequirementIn(Body):
    lead_team: str = Field(max_length=50)
    title: str = Title
    user_stories: str = Text
    business_process: str = Text
    lead_dev: str | None = Field(default=None, max_length=150)
    is_private: bool = False
    planned_dev_start_on: date | None = None
    planned_launch_on: date | None = None


CONFIRM_REVISION = (
    "Once the plan exists, this change makes a new plan revision; while the plan is in review, "
    "approved or aligning, that withdraws the review request, the approval and sign-offs: it "
    "is refused (409 plan.withdrawal_unconfirmed, naming what it withdraws) unless this is "
    "true (or ?confirm=1)."
)


class RequirementPatch(Body):
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_LIMIT)
    user_stories: str | None = Field(default=None, max_length=TEXT_LIMIT)
    business_process: str | None = Field(default=None, max_length=TEXT_LIMIT)
    is_private: bool | None = None
    planned_dev_start_on: date | None = None
    planned_launch_on: date | None = None
    confirm: bool = Field(default=False, description=CONFIRM_REVISION)


class RiskIn(Body):
    risk: Risk
    reason: str = Field(min_length=1, max_length=TEXT_LIMIT)


class LeadDevIn(Body):
    username: str = Field(max_length=150)


class ScenarioIn(Body):
    title: str = Title
    description: str = Text
    priority: Priority = Priority.P1
    acceptance_criteria: str = Text
    confirm: bool = Field(default=False, description=CONFIRM_REVISION)


class ScenarioPatch(Body):
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_LIMIT)
    description: str | None = Field(default=None, max_length=TEXT_LIMIT)
    priority: Priority | None = None
    acceptance_criteria: str | None = Field(default=None, max_length=TEXT_LIMIT)
    confirm: bool = Field(default=False, description=CONFIRM_REVISION)


class OutOfScopeIn(Body):
    reason: str = Field(min_length=1, max_length=TEXT_LIMIT)
    confirm: bool = Field(default=False, description=CONFIRM_REVISION)


class ReasonIn(Body):
    reason: str = Field(min_length=1, max_length=TEXT_LIMIT)


class QuestionIn(Body):
    body: str = Field(min_length=1, max_length=TEXT_LIMIT)
    scenario: str | None = Field(default=None, max_length=20)
    item: str | None = Field(default=None, max_length=20)
    meeting: str | None = Field(default=None, max_length=20)
    is_blocking: bool = False


class AnswerIn(Body):
    answer: str = Field(min_length=1, max_length=TEXT_LIMIT)


class ReplyIn(Body):
    body: str = Field(min_length=1, max_length=TEXT_LIMIT)


class AcceptIn(Body):
    reply: int | None = Field(default=None, ge=1, le=2**31 - 1)


# --- operations ----------------------------------------------------------------------------


def _detail(request: HttpRequest, key: str) -> Requirement:
    return selectors.get_requirement(actor(request), key)


def requirement_etag(requirement: Requirement) -> str:
    """The requirement's ETag: its version (what If-Match compares) and the marks of
    everything else its answer shows (next actions, plan summary)."""
    return etag("v", requirement.version, selectors.change_marks(requirement).marks)


@router.get("", response={200: list[RequirementSummaryOut], **ERRORS})
@paginate
def list_requirements(
    request: HttpRequest,
    status: str | None = None,
    team: str | None = None,
    mine: bool = False,
    risk: str | None = None,
):
    """Requirements visible to the caller, newest first; filter by status, lead team, mine,
    or risk ("high" for any high-risk category, or one category)."""
    return selectors.requirement_summaries(
        actor(request), status=status, team=team, mine=mine, risk=risk
    )


@router.post("", response={201: RequirementOut, **ERRORS})
def create_requirement(request: HttpRequest, body: RequirementIn):
    """Draft a requirement; the caller (a PM of the lead team) owns it."""
    data = body.model_dump()
    requirement = services.create_requirement(
        actor=actor(request),
        lead_team=get_team(data.pop("lead_team")),
        lead_dev=get_user(data["lead_dev"]) if data.get("lead_dev") else None,
        **{k: v for k, v in data.items() if k != "lead_dev"},
    )
    return Status(201, requirement)


@router.get("/{key}", response={200: RequirementOut, **ERRORS})
def get_requirement(request: HttpRequest, key: str, response: HttpResponse):
    """One requirement with its scenarios, plan summary, and who must act next. Its ETag
    changes with every change to the requirement or its scenarios."""
    requirement = _detail(request, key)
    return kept_or_built(
        request,
        response,
        requirement_etag(requirement),
        ("requirement", requirement.pk),
        RequirementOut,
        lambda: _requirement_out(requirement),
    )


def _requirement_out(requirement: Requirement) -> RequirementOut:
    with plans.one_reading(requirement):
        return RequirementOut.from_orm(requirement)


@router.patch("/{key}", response={200: RequirementOut, **PRECONDITION_ERRORS})
def update_requirement(
    request: HttpRequest,
    key: str,
    body: RequirementPatch,
    response: HttpResponse,
    confirm: bool = False,
):
    """Edit the requirement's text or dates; needs If-Match with the ETag you read. A text
    change that withdraws a review, an approval or sign-offs needs `confirm`."""
    requirement = services.update_requirement(
        requirement=_detail(request, key),
        actor=actor(request),
        version=if_match(request, "v"),
        confirm=body.confirm or confirm,
        **body.model_dump(exclude_unset=True, exclude={"confirm"}),
    )
    response["ETag"] = requirement_etag(requirement)
    return requirement


@router.post("/{key}/lead-dev", response={200: RequirementOut, **ERRORS})
def assign_lead_dev(request: HttpRequest, key: str, body: LeadDevIn):
    return services.assign_lead_dev(
        requirement=_detail(request, key), actor=actor(request), lead_dev=get_user(body.username)
    )


@router.post("/{key}/acknowledgement-delegates", response={200: RequirementOut, **ERRORS})
def delegate_acknowledgement(request: HttpRequest, key: str, body: LeadDevIn):
    """The lead DEV lets another DEV of the lead team acknowledge scenarios."""
    requirement = _detail(request, key)
    services.delegate_acknowledgement(
        requirement=requirement, actor=actor(request), delegate=get_user(body.username)
    )
    return _detail(request, key)


@router.delete(
    "/{key}/acknowledgement-delegates/{username}", response={200: RequirementOut, **ERRORS}
)
def undelegate_acknowledgement(request: HttpRequest, key: str, username: str):
    """The lead DEV takes a delegation back."""
    requirement = _detail(request, key)
    services.undelegate_acknowledgement(
        requirement=requirement, actor=actor(request), delegate=get_user(username)
    )
    return _detail(request, key)


@router.post("/{key}/risk", response={200: RequirementOut, **ERRORS})
def mark_high_risk(request: HttpRequest, key: str, body: RiskIn):
    """Mark the requirement high-risk (a PM or tech lead of the lead team, with a reason): its
    plan then needs a committee architect's approval besides the tech lead's."""
    return services.mark_high_risk(
        requirement=_detail(request, key), actor=actor(request), risk=body.risk, reason=body.reason
    )


@router.post("/{key}/risk/clear", response={200: RequirementOut, **ERRORS})
def clear_high_risk(request: HttpRequest, key: str, body: ReasonIn):
    """Clear the high risk (a PM or tech lead of the lead team, with a reason)."""
    return services.clear_high_risk(
        requirement=_detail(request, key), actor=actor(request), reason=body.reason
    )


@router.post("/{key}/cancel", response={200: RequirementOut, **ERRORS})
def cancel_requirement(request: HttpRequest, key: str, body: ReasonIn):
    """Cancel the requirement before its baseline (a PM of the lead team, with a reason): its
    scheduled meetings are cancelled with it and nothing more can be done on it."""
    return services.cancel_requirement(
        requirement=_detail(request, key), actor=actor(request), reason=body.reason
    )


@router.post("/{key}/hand-off", response={200: RequirementOut, **ERRORS})
def hand_off(request: HttpRequest, key: str):
    """Step 1: the PM hands the requirement to the lead DEV."""
    return services.hand_off(requirement=_detail(request, key), actor=actor(request))


@router.post("/{key}/scenarios", response={201: ScenarioOut, **ERRORS})
def add_scenario(request: HttpRequest, key: str, body: ScenarioIn, confirm: bool = False):
    """Add a scenario; once the plan exists, one that withdraws a review, an approval or
    sign-offs needs `confirm`."""
    return Status(
        201,
        services.add_scenario(
            requirement=_detail(request, key),
            actor=actor(request),
            confirm=body.confirm or confirm,
            **body.model_dump(exclude={"confirm"}),
        ),
    )


@router.patch("/{key}/scenarios/{scenario}", response={200: ScenarioOut, **PRECONDITION_ERRORS})
def update_scenario(
    request: HttpRequest, key: str, scenario: str, body: ScenarioPatch, confirm: bool = False
):
    """Edit a scenario; needs If-Match with the requirement's ETag. One that withdraws a
    review, an approval or sign-offs needs `confirm`."""
    found = selectors.get_scenario(_detail(request, key), scenario)
    return services.update_scenario(
        scenario=found,
        actor=actor(request),
        version=if_match(request, "v"),
        confirm=body.confirm or confirm,
        **body.model_dump(exclude_unset=True, exclude={"confirm"}),
    )


@router.post("/{key}/scenarios/{scenario}/acknowledge", response={200: ScenarioOut, **ERRORS})
def acknowledge_scenario(request: HttpRequest, key: str, scenario: str):
    found = selectors.get_scenario(_detail(request, key), scenario)
    return services.acknowledge_scenario(scenario=found, actor=actor(request))


@router.post("/{key}/scenarios/{scenario}/out-of-scope", response={200: ScenarioOut, **ERRORS})
def mark_out_of_scope(
    request: HttpRequest, key: str, scenario: str, body: OutOfScopeIn, confirm: bool = False
):
    """Take a scenario out of scope; one that withdraws a review, an approval or sign-offs
    needs `confirm`."""
    found = selectors.get_scenario(_detail(request, key), scenario)
    return services.mark_out_of_scope(
        scenario=found, actor=actor(request), reason=body.reason, confirm=body.confirm or confirm
    )


@router.delete("/{key}/scenarios/{scenario}/out-of-scope", response={200: ScenarioOut, **ERRORS})
def return_to_scope(request: HttpRequest, key: str, scenario: str, confirm: bool = False):
    """Return a scenario to scope; one that withdraws a review, an approval or sign-offs
    needs `?confirm=1`."""
    found = selectors.get_scenario(_detail(request, key), scenario)
    return services.return_to_scope(scenario=found, actor=actor(request), confirm=confirm)


@router.get("/{key}/questions", response={200: list[QuestionOut], **ERRORS})
@paginate
def list_questions(request: HttpRequest, key: str, open: bool = False):
    return selectors.questions_listing(_detail(request, key), open_only=open)


@router.post("/{key}/questions", response={201: QuestionOut, **ERRORS})
def raise_question(request: HttpRequest, key: str, body: QuestionIn):
    """Ask on a scenario, a plan item, or in a meeting; `is_blocking` stops finalizing."""
    requirement = _detail(request, key)
    return Status(
        201,
        services.raise_question(
            requirement=requirement,
            actor=actor(request),
            body=body.body,
            scenario=selectors.get_scenario(requirement, body.scenario) if body.scenario else None,
            item_key=(body.item or "").upper(),
            meeting=access_meeting(requirement, body.meeting) if body.meeting else None,
            is_blocking=body.is_blocking,
        ),
    )


def _question(request: HttpRequest, key: str, question: str) -> Question:
    return selectors.get_question(_detail(request, key), question)


@router.post("/{key}/questions/{question}/answer", response={200: QuestionOut, **ERRORS})
def answer_question(request: HttpRequest, key: str, question: str, body: AnswerIn):
    """Propose `answer` as the answer (kept for older clients; see `/propose`): the question
    stays open until the asker's side accepts it."""
    found = _question(request, key, question)
    return services.propose_answered(question=found, actor=actor(request), body=body.answer)


@router.post("/{key}/questions/{question}/replies", response={201: ReplyOut, **ERRORS})
def reply_to_question(request: HttpRequest, key: str, question: str, body: ReplyIn):
    """Reply in an open question's thread; the asker hears of it."""
    found = _question(request, key, question)
    return Status(
        201, services.reply_to_question(question=found, actor=actor(request), body=body.body)
    )


@router.post("/{key}/questions/{question}/propose", response={200: QuestionOut, **ERRORS})
def propose_answered(request: HttpRequest, key: str, question: str, body: ReplyIn):
    """The other side replies with the answer it proposes; the asker's side accepts it."""
    found = _question(request, key, question)
    return services.propose_answered(question=found, actor=actor(request), body=body.body)


@router.post("/{key}/questions/{question}/accept", response={200: QuestionOut, **ERRORS})
def accept_answer(request: HttpRequest, key: str, question: str, body: AcceptIn):
    """The asker, or a PM or DEV of the team they asked for, accepts the proposed answer (or
    the reply named by its id): the question is closed."""
    found = _question(request, key, question)
    reply = selectors.get_reply(found, body.reply) if body.reply is not None else None
    return services.accept_answer(question=found, actor=actor(request), reply=reply)


@router.post("/{key}/questions/{question}/reject", response={200: QuestionOut, **ERRORS})
def reject_answer(request: HttpRequest, key: str, question: str, body: ReasonIn):
    """The asker's side sends the proposed answer back, saying why; the question is open."""
    found = _question(request, key, question)
    return services.reject_answer(question=found, actor=actor(request), reason=body.reason)


@router.post("/{key}/questions/{question}/reopen", response={200: QuestionOut, **ERRORS})
def reopen_question(request: HttpRequest, key: str, question: str, body: ReasonIn):
    """The asker's side reopens a closed question, saying why."""
    found = _question(request, key, question)
    return services.reopen_question(question=found, actor=actor(request), reason=body.reason)


@router.get("/{key}/audit", response={200: list[AuditEventOut], **ERRORS})
@paginate
def list_audit_events(request: HttpRequest, key: str):
    """Every state change and refused attempt on this requirement, oldest first."""
    return _detail(request, key).audit_events.select_related("actor").order_by("seq")
