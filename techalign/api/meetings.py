"""Alignment meetings: scheduling with the minimum invitee set, minutes, attendance."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field, model_validator

from techalign.api.common import (
    ERRORS,
    PRECONDITION_ERRORS,
    Body,
    actor,
    etag,
    if_match,
    listed,
    listing,
    not_modified,
)
from techalign.core.limits import TEXT_LIMIT, TITLE_LIMIT
from techalign.meetings import services
from techalign.meetings.models import ActionItem, AttendanceWaiver, Meeting
from techalign.meetings.selectors import access_action_item, access_meeting, access_waiver
from techalign.meetings.services import RESPONSE_NOTE_LIMIT
from techalign.org.selectors import get_team, get_user, get_users
from techalign.requirements.models import Requirement
from techalign.requirements.selectors import (
    change_marks,
    get_question,
    get_requirement,
    get_scenario,
)

router = Router(tags=["meetings"])


class InviteeOut(Schema):
    username: str
    display_name: str
    team: str
    role: str
    is_required: bool
    attended: bool | None
    response: str = Field(description="needs_action, accepted, tentative or declined")
    responded_at: datetime | None
    response_note: str


class DecisionOut(Schema):
    text: str
    recorded_by: str
    recorded_at: datetime
    closes: list[str] = []


class ActionItemOut(Schema):
    id: int
    text: str
    owner: str
    due_on: date
    done_at: datetime | None
    item: str | None
    scenario: str | None
    question: str | None

    @staticmethod
    def resolve_item(obj: ActionItem) -> str | None:
        return obj.item_key or None

    @staticmethod
    def resolve_scenario(obj: ActionItem) -> str | None:
        return obj.scenario.key if obj.scenario is not None else None

    @staticmethod
    def resolve_question(obj: ActionItem) -> str | None:
        return obj.question.key if obj.question is not None else None

    @staticmethod
    def resolve_owner(obj: ActionItem) -> str:
        return obj.owner.username


class WaiverOut(Schema):
    id: int
    team: str
    team_name: str
    reason: str
    recorded_by: str
    recorded_at: datetime
    withdrawn_at: datetime | None = Field(
        description="When the waiver was withdrawn; null while it is in force."
    )
    withdrawn_by: str | None
    withdrawal_reason: str

    @staticmethod
    def resolve_team(obj: AttendanceWaiver) -> str:
        return obj.team.code

    @staticmethod
    def resolve_team_name(obj: AttendanceWaiver) -> str:
        return obj.team.name

    @staticmethod
    def resolve_recorded_by(obj: AttendanceWaiver) -> str:
        return obj.recorded_by.username

    @staticmethod
    def resolve_withdrawn_by(obj: AttendanceWaiver) -> str | None:
        return obj.withdrawn_by.username if obj.withdrawn_by else None


class MeetingOut(Schema):
    key: str
    uid: str
    title: str
    status: str
    revision: int
    held_revision: int | None = Field(
        description="The approved revision the meeting was held on; null until it is held."
    )
    presenter: str
    starts_at: datetime
    ends_at: datetime
    location: str
    sequence: int
    version: int
    invitees: list[InviteeOut]
    decisions: list[DecisionOut]
    action_items: list[ActionItemOut]
    questions: list[str]

    @staticmethod
    def resolve_uid(obj: Meeting) -> str:
        return str(obj.uid)

    @staticmethod
    def resolve_revision(obj: Meeting) -> int:
        return obj.revision.number

    @staticmethod
    def resolve_held_revision(obj: Meeting) -> int | None:
        return obj.held_revision.number if obj.held_revision is not None else None

    @staticmethod
    def resolve_presenter(obj: Meeting) -> str:
        return obj.presenter.username

    @staticmethod
    def resolve_invitees(obj: Meeting) -> list[dict]:
        return [
            {
                "username": i.user.username,
                "display_name": str(i.user),
                "team": i.team.code,
                "role": i.role,
                "is_required": i.is_required,
                "attended": i.attended,
                "response": i.response,
                "responded_at": i.responded_at,
                "response_note": i.response_note,
            }
            for i in obj.invitees.select_related("user", "team")
        ]

    @staticmethod
    def resolve_decisions(obj: Meeting) -> list[dict]:
        return [
            {
                "text": d.text,
                "recorded_by": d.recorded_by.username,
                "recorded_at": d.recorded_at,
                "closes": [f"Q-{q.number}" for q in d.closes.all()],
            }
            for d in obj.decisions.select_related("recorded_by").prefetch_related("closes")
        ]

    @staticmethod
    def resolve_action_items(obj: Meeting) -> list:
        return list(obj.action_items.select_related("owner", "scenario", "question"))

    @staticmethod
    def resolve_questions(obj: Meeting) -> list[str]:
        return [f"Q-{n}" for n in obj.questions.values_list("number", flat=True)]


class MeetingIn(Body):
    starts_at: datetime
    ends_at: datetime
    presenter: str | None = Field(default=None, max_length=150)
    required: list[str] | None = Field(
        default=None,
        max_length=200,
        description="Usernames; omitted = the minimum filled from team roles.",
    )
    optional: list[str] = Field(default_factory=list, max_length=200)
    title: str = Field(default="", max_length=TITLE_LIMIT)
    location: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def times_are_aware(self) -> MeetingIn:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need a UTC offset, e.g. 2026-12-01T14:00:00+08:00")
        return self


class RescheduleIn(Body):
    starts_at: datetime
    ends_at: datetime
    location: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def times_are_aware(self) -> RescheduleIn:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need a UTC offset, e.g. 2026-12-01T14:00:00+08:00")
        return self


class CancelIn(Body):
    reason: str = Field(default="", max_length=TEXT_LIMIT)


class InviteeIn(Body):
    username: str = Field(max_length=150)
    is_required: bool = False


class ResponseIn(Body):
    response: Literal["accepted", "tentative", "declined"]
    note: str = Field(
        default="", max_length=RESPONSE_NOTE_LIMIT, description="Why, when declining."
    )


class PresenterIn(Body):
    username: str = Field(max_length=150)


class AttendanceIn(Body):
    username: str = Field(max_length=150)
    attended: bool


class DecisionIn(Body):
    text: str = Field(min_length=1, max_length=TEXT_LIMIT)
    # Keys of the questions this decision settles: recording it closes them.
    closes: list[str] = Field(default_factory=list, max_length=100)


class ActionItemIn(Body):
    text: str = Field(min_length=1, max_length=TEXT_LIMIT)
    owner: str = Field(max_length=150)
    due_on: date
    # What it serves, if anything: a plan item (I-2), a scenario (S-1) or a question.
    item: str | None = Field(default=None, max_length=20)
    scenario: str | None = Field(default=None, max_length=20)
    question: str | None = Field(default=None, max_length=20)


class WaiverWithdrawalIn(Body):
    reason: str = Field(max_length=TEXT_LIMIT, description="Why the waiver is withdrawn.")


class WaiverIn(Body):
    team: str = Field(max_length=50, description="The code of the excused party's team.")
    reason: str = Field(max_length=TEXT_LIMIT)


def _requirement(request: HttpRequest, key: str) -> Requirement:
    return get_requirement(actor(request), key)


def _meeting(request: HttpRequest, key: str, meeting: str) -> Meeting:
    return access_meeting(_requirement(request, key), meeting)


@router.get("/{key}/meetings", response={200: listing(MeetingOut), **ERRORS})
def list_meetings(request: HttpRequest, key: str):
    return listed(
        _requirement(request, key).meetings.select_related("revision", "presenter", "held_revision")
    )


@router.post("/{key}/meetings", response={201: MeetingOut, **ERRORS})
def schedule_meeting(request: HttpRequest, key: str, body: MeetingIn):
    """Step 3: schedule the alignment meeting for the approved plan."""
    return Status(
        201,
        services.schedule_meeting(
            requirement=_requirement(request, key),
            actor=actor(request),
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            presenter=get_user(body.presenter) if body.presenter else None,
            required=get_users(body.required) if body.required is not None else None,
            optional=get_users(body.optional),
            title=body.title,
            location=body.location,
        ),
    )


@router.get("/{key}/meetings/{meeting}", response={200: MeetingOut, **ERRORS})
def get_meeting_detail(request: HttpRequest, key: str, meeting: str, response: HttpResponse):
    """One meeting with invitees and minutes; its ETag changes with every change to it."""
    found = _meeting(request, key, meeting)
    # Invitees' answers, minutes and decisions are audited within the requirement: the marks
    # cover what the meeting's version does not.
    tag = etag("v", found.version, change_marks(found.requirement).marks)
    if unchanged := not_modified(request, response, tag):
        return unchanged
    return found


@router.post(
    "/{key}/meetings/{meeting}/reschedule", response={200: MeetingOut, **PRECONDITION_ERRORS}
)
def reschedule_meeting(request: HttpRequest, key: str, meeting: str, body: RescheduleIn):
    """Move the meeting; needs If-Match with the meeting's ETag. Calendars get an update."""
    return services.reschedule_meeting(
        meeting=_meeting(request, key, meeting),
        actor=actor(request),
        version=if_match(request, "v"),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        location=body.location,
    )


@router.post("/{key}/meetings/{meeting}/cancel", response={200: MeetingOut, **ERRORS})
def cancel_meeting(request: HttpRequest, key: str, meeting: str, body: CancelIn):
    return services.cancel_meeting(
        meeting=_meeting(request, key, meeting), actor=actor(request), reason=body.reason
    )


@router.post("/{key}/meetings/{meeting}/invitees", response={200: MeetingOut, **ERRORS})
def add_invitee(request: HttpRequest, key: str, meeting: str, body: InviteeIn):
    found = _meeting(request, key, meeting)
    services.add_invitee(
        meeting=found,
        actor=actor(request),
        user=get_user(body.username),
        is_required=body.is_required,
    )
    return found


@router.delete(
    "/{key}/meetings/{meeting}/invitees/{username}", response={200: MeetingOut, **ERRORS}
)
def remove_invitee(request: HttpRequest, key: str, meeting: str, username: str):
    return services.remove_invitee(
        meeting=_meeting(request, key, meeting), actor=actor(request), user=get_user(username)
    )


@router.post("/{key}/meetings/{meeting}/response", response={200: MeetingOut, **ERRORS})
def respond_to_invitation(request: HttpRequest, key: str, meeting: str, body: ResponseIn):
    """Answer your own invitation (accept, tentative, decline with an optional note) until the
    meeting starts; a reschedule asks again."""
    found = _meeting(request, key, meeting)
    services.respond_to_invitation(
        meeting=found, actor=actor(request), response=body.response, note=body.note
    )
    found.refresh_from_db()
    return found


@router.post("/{key}/meetings/{meeting}/presenter", response={200: MeetingOut, **ERRORS})
def change_presenter(request: HttpRequest, key: str, meeting: str, body: PresenterIn):
    return services.change_presenter(
        meeting=_meeting(request, key, meeting),
        actor=actor(request),
        presenter=get_user(body.username),
    )


@router.post("/{key}/meetings/{meeting}/attendance", response={200: MeetingOut, **ERRORS})
def record_attendance(request: HttpRequest, key: str, meeting: str, body: AttendanceIn):
    found = _meeting(request, key, meeting)
    services.record_attendance(
        meeting=found, actor=actor(request), user=get_user(body.username), attended=body.attended
    )
    return found


@router.post("/{key}/meetings/{meeting}/held", response={200: MeetingOut, **ERRORS})
def mark_held(request: HttpRequest, key: str, meeting: str):
    return services.mark_held(meeting=_meeting(request, key, meeting), actor=actor(request))


@router.post("/{key}/meetings/{meeting}/decisions", response={201: DecisionOut, **ERRORS})
def record_decision(request: HttpRequest, key: str, meeting: str, body: DecisionIn):
    found = _meeting(request, key, meeting)
    requirement = found.requirement
    decision = services.record_decision(
        meeting=found,
        actor=actor(request),
        text=body.text,
        questions=[get_question(requirement, ref) for ref in body.closes],
    )
    return Status(
        201,
        {
            "text": decision.text,
            "recorded_by": decision.recorded_by.username,
            "recorded_at": decision.recorded_at,
            "closes": [q.key for q in decision.closes.all()],
        },
    )


@router.post("/{key}/meetings/{meeting}/action-items", response={201: ActionItemOut, **ERRORS})
def add_action_item(request: HttpRequest, key: str, meeting: str, body: ActionItemIn):
    found = _meeting(request, key, meeting)
    requirement = found.requirement
    return Status(
        201,
        services.add_action_item(
            meeting=found,
            actor=actor(request),
            text=body.text,
            owner=get_user(body.owner),
            due_on=body.due_on,
            item_key=(body.item or "").upper(),
            scenario=get_scenario(requirement, body.scenario) if body.scenario else None,
            question=get_question(requirement, body.question) if body.question else None,
        ),
    )


@router.post(
    "/{key}/meetings/{meeting}/action-items/{item_id}/done", response={200: ActionItemOut, **ERRORS}
)
def complete_action_item(request: HttpRequest, key: str, meeting: str, item_id: str):
    found = access_action_item(_meeting(request, key, meeting), item_id)
    return services.complete_action_item(action_item=found, actor=actor(request))


@router.get("/{key}/waivers", response={200: listing(WaiverOut), **ERRORS})
def list_waivers(request: HttpRequest, key: str):
    """Parties excused from the alignment meeting, with the reason, oldest first."""
    return listed(
        _requirement(request, key)
        .attendance_waivers.select_related("team", "recorded_by", "withdrawn_by")
        .order_by("recorded_at", "id")
    )


@router.post("/{key}/waivers", response={201: WaiverOut, **ERRORS})
def waive_attendance(request: HttpRequest, key: str, body: WaiverIn):
    """Excuse a party of the current revision from the alignment meeting (a tech lead or
    architect of the lead team, or a committee architect); finalizing accepts it instead of
    the party's PM and DEV at a held meeting."""
    return Status(
        201,
        services.waive_attendance(
            requirement=_requirement(request, key),
            actor=actor(request),
            team=get_team(body.team),
            reason=body.reason,
        ),
    )


@router.post("/{key}/waivers/{waiver_id}/withdraw", response={200: WaiverOut, **ERRORS})
def withdraw_waiver(request: HttpRequest, key: str, waiver_id: str, body: WaiverWithdrawalIn):
    """Withdraw a waiver, saying why (those who may record one): the party must be met, or
    waived again, before the next finalizing; baselines finalized before keep it."""
    return services.withdraw_waiver(
        waiver=access_waiver(_requirement(request, key), waiver_id),
        actor=actor(request),
        reason=body.reason,
    )
