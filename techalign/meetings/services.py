"""Writes on alignment meetings: scheduling with the minimum invitee set, the presenter rule,
rescheduling, cancelling, and the minutes (attendance, decisions, action items)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from techalign import notify
from techalign.audit.services import record, transition
from techalign.core import bounds, limits
from techalign.core.errors import Refused
from techalign.core.text import check_fields
from techalign.core.versions import compare_and_set
from techalign.meetings import permissions as can
from techalign.meetings import selectors
from techalign.meetings.models import ActionItem, AttendanceWaiver, Decision, Invitee, Meeting
from techalign.org.models import Role, Team, User
from techalign.org.permissions import has_role
from techalign.plans import selectors as plans
from techalign.requirements.models import Question, Requirement, Scenario, Status
from techalign.requirements.services import close_by_decision
from techalign.requirements.workflow import bump_version, lock_requirement, move_to

# The longest reason an invitee may give for declining (Invitee.response_note).
RESPONSE_NOTE_LIMIT = 500


def _check(refusal: Refused | None) -> None:
    """Meeting rules change the meeting row, not the requirement's: the compare-and-set on the
    meeting's version guards their writes."""
    if refusal:
        raise refusal


def _seat_of(requirement: Requirement, held: list[tuple[int, str]]) -> tuple[int, str]:
    """The party and role an invitee fills: lead team first, PM or DEV before other roles."""
    rank: dict[str, int] = {Role.PM: 0, Role.DEV: 1}
    ordered = sorted(held, key=lambda tr: (tr[0] != requirement.lead_team_id, rank.get(tr[1], 9)))
    return ordered[0] if ordered else (requirement.lead_team_id, "GUEST")


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    """Inside the accepted dates, ending after it starts, at most MEETING_LONGEST long."""
    bounds.require_in_range("starts_at", starts_at)
    bounds.require_in_range("ends_at", ends_at)
    if ends_at <= starts_at:
        raise Refused("meeting.bad_time")
    bounds.require_span("ends_at", starts_at, ends_at, longest=bounds.MEETING_LONGEST)


def _check_presenter(requirement: Requirement, presenter: User, invited: set[int]) -> None:
    if not has_role(presenter, requirement.lead_team, Role.DEV):
        raise Refused(
            "meeting.presenter_not_dev", team=requirement.lead_team.name, user=str(presenter)
        )
    if presenter.pk not in invited:
        raise Refused("meeting.presenter_not_invited", user=str(presenter))


@transition("meeting.scheduled")
def schedule_meeting(
    *,
    requirement: Requirement,
    actor: User,
    starts_at: datetime,
    ends_at: datetime,
    presenter: User | None = None,
    required: list[User] | None = None,
    optional: list[User] | None = None,
    title: str = "",
    location: str = "",
) -> Meeting:
    """Step 3: take the approved plan to an alignment meeting with every party's PM and DEV.

    Without `required`, the minimum is filled from team roles; with it, it is checked.
    """
    check_fields(title=title or None, location=location)  # no title: the default one
    lock_requirement(requirement)
    if refusal := can.check_schedule_meeting(actor, requirement):
        raise refusal
    _check_times(starts_at, ends_at)
    revision = plans.current_revision(requirement)
    if revision is None:
        raise Refused(
            "meeting.plan_not_approved",
            requirement=requirement.key,
            revision=0,
            status=Status(requirement.status).label,
        )
    if required is None:
        defaults = selectors.default_invitees(requirement)
        seats = [(u, t.pk, r) for u, t, r in defaults]
        # The defaults invite each person once; someone who is both PM and DEV of a party
        # fills both of its seats.
        held = selectors.party_roles(requirement, [u for u, _t, _r in defaults])
        seats += [(u, t, r) for u, _t, _r in defaults for t, r in held[u.pk]]
    else:
        held = selectors.party_roles(requirement, list(required))
        seats = [(u, *_seat_of(requirement, held[u.pk])) for u in dict.fromkeys(required)]
        # A person holding several roles fills every seat they qualify for.
        seats += [(u, t, r) for u in required for t, r in held[u.pk]]
    missing = selectors.unmet_seats(requirement, seats)
    if missing:
        raise Refused("meeting.invitees_missing", missing=[s.label() for s in missing])
    presenter = presenter or requirement.lead_dev
    if presenter is None:
        raise Refused("requirement.lead_dev_missing", requirement=requirement.key)
    required_ids = {u.pk for u, _t, _r in seats}
    _check_presenter(requirement, presenter, required_ids)
    limits.check_room("meetings_per_requirement", requirement.meetings.count())
    invited_ids = {u.pk for u, _t, _r in seats} | {u.pk for u in optional or []}
    limits.check_count("invitees_per_meeting", len(invited_ids))
    number = (requirement.meetings.aggregate(n=Max("number"))["n"] or 0) + 1
    meeting = Meeting.objects.create(
        requirement=requirement,
        number=number,
        revision=revision,
        presenter=presenter,
        title=title or f"{requirement.key} {requirement.title}",
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        scheduled_by=actor,
    )
    invitees: dict[int, Invitee] = {}
    for user, team_id, role in seats:
        invitees.setdefault(
            user.pk,
            Invitee(meeting=meeting, user=user, team_id=team_id, role=role, is_required=True),
        )
    optional_users = [u for u in (optional or []) if u.pk not in invitees]
    held = selectors.party_roles(requirement, optional_users)
    for user in optional_users:
        team_id, role = _seat_of(requirement, held[user.pk])
        invitees[user.pk] = Invitee(
            meeting=meeting, user=user, team_id=team_id, role=role, is_required=False
        )
    Invitee.objects.bulk_create(invitees.values())
    if requirement.status == Status.APPROVED:
        move_to(requirement, Status.ALIGNING)
    else:
        bump_version(requirement)
    notify.emit("meeting.invited", meeting=meeting, actor=actor)
    record(
        actor=actor,
        target=meeting,
        summary={
            "key": meeting.key,
            "starts_at": starts_at.isoformat(),
            "revision": revision.number,
            "presenter": presenter.username,
            "required": sorted({u.username for u, _t, _r in seats}),
            "optional": sorted(u.username for u in optional_users),
        },
    )
    return meeting


def _cas(meeting: Meeting, version: int | None, **changes: Any) -> None:
    compare_and_set(meeting, version, kind=_("Meeting"), ref=meeting.key, **changes)
    meeting.refresh_from_db()


@transition("meeting.rescheduled")
def reschedule_meeting(
    *,
    meeting: Meeting,
    actor: User,
    starts_at: datetime,
    ends_at: datetime,
    version: int | None = None,
    location: str | None = None,
) -> Meeting:
    """Move a scheduled meeting; SEQUENCE goes up so calendars replace the invitation."""
    _check(
        can.check_organise(actor, meeting, action=_("reschedule the meeting"), step=_("reschedule"))
    )
    check_fields(location=location)
    _check_times(starts_at, ends_at)
    before = meeting.starts_at.isoformat()
    extra = {"location": location} if location is not None else {}
    _cas(
        meeting, version, starts_at=starts_at, ends_at=ends_at, sequence=F("sequence") + 1, **extra
    )
    # A new time is a new question: every invitee is asked again by the updated invitation.
    meeting.invitees.update(
        response=Invitee.Response.NEEDS_ACTION, responded_at=None, response_note=""
    )
    record(
        actor=actor,
        target=meeting,
        summary={"from": before, "to": starts_at.isoformat(), "sequence": meeting.sequence},
    )
    notify.emit("meeting.changed", meeting=meeting, actor=actor)
    return meeting


@transition("meeting.cancelled")
def cancel_meeting(*, meeting: Meeting, actor: User, reason: str = "") -> Meeting:
    """Cancel a scheduled meeting; with no other meeting left the requirement returns to step 3."""
    requirement = meeting.requirement
    _check(can.check_organise(actor, meeting, action=_("cancel the meeting"), step=_("cancel")))
    _call_off(meeting, actor, reason)
    if (
        requirement.status == Status.ALIGNING
        and not selectors.active_meetings(requirement).exists()
    ):
        move_to(requirement, Status.APPROVED)
    return meeting


def cancel_with_requirement(requirement: Requirement, actor: User) -> list[str]:
    """Inside cancel_requirement's transition: each meeting still on the calendar is called off
    as cancel_meeting does, without moving the requirement, which the caller moves to
    cancelled. Returns their keys."""
    reason = str(_("The requirement was cancelled."))
    meetings = requirement.meetings.filter(status=Meeting.Status.SCHEDULED).order_by("number")
    for meeting in meetings:
        _call_off(meeting, actor, reason)
    return [meeting.key for meeting in meetings]


def _call_off(meeting: Meeting, actor: User, reason: str) -> None:
    """The meeting is cancelled: audited as such, its invitees told and their calendar entry
    withdrawn."""
    _cas(meeting, None, status=Meeting.Status.CANCELLED, sequence=F("sequence") + 1)
    record(
        actor=actor,
        action="meeting.cancelled",
        target=meeting,
        summary={"key": meeting.key, "reason": reason[:500]},
    )
    notify.emit("meeting.cancelled", meeting=meeting, actor=actor)


@transition("meeting.invitee_added")
def add_invitee(*, meeting: Meeting, actor: User, user: User, is_required: bool = False) -> Invitee:
    """Invite one more person, required or optional."""
    requirement = meeting.requirement
    _check(can.check_organise(actor, meeting, action=_("change the invitees")))
    lock_requirement(requirement)
    if not meeting.invitees.filter(user=user).exists():
        limits.check_room("invitees_per_meeting", meeting.invitees.count())
    team_id, role = _seat_of(requirement, selectors.party_roles(requirement, [user])[user.pk])
    invitee, _created = Invitee.objects.update_or_create(
        meeting=meeting,
        user=user,
        defaults={"team_id": team_id, "role": role, "is_required": is_required},
    )
    _cas(meeting, None)
    record(
        actor=actor,
        target=meeting,
        summary={"user": user.username, "required": is_required},
    )
    notify.emit("meeting.invited", meeting=meeting, user=user, actor=actor)
    return invitee


@transition("meeting.invitee_removed")
def remove_invitee(*, meeting: Meeting, actor: User, user: User) -> Meeting:
    """Uninvite someone, never below the minimum of a PM and a DEV per party."""
    requirement = meeting.requirement
    _check(can.check_organise(actor, meeting, action=_("change the invitees")))
    remaining = list(
        meeting.invitees.filter(is_required=True).exclude(user=user).select_related("user")
    )
    held = selectors.party_roles(requirement, [i.user for i in remaining])
    seats = [(i.user, t, r) for i in remaining for t, r in held[i.user.pk]]
    missing = selectors.unmet_seats(requirement, seats)
    if missing:
        raise Refused(
            "meeting.below_minimum", user=str(user), role=missing[0].role, team=missing[0].team.name
        )
    if meeting.presenter_id == user.pk:
        raise Refused("meeting.presenter_not_invited", user=str(user))
    meeting.invitees.filter(user=user).delete()
    _cas(meeting, None)
    record(
        actor=actor,
        target=meeting,
        summary={"user": user.username},
    )
    notify.emit("meeting.cancelled", meeting=meeting, user=user, actor=actor)
    return meeting


@transition("meeting.invitation_answered")
def respond_to_invitation(
    *,
    meeting: Meeting,
    actor: User,
    response: str,
    note: str = "",
    sequence: int | None = None,
) -> Invitee:
    """The invitee accepts, declines (with an optional reason) or answers tentatively; they may
    change the answer until the meeting starts. `sequence` is the invitation a link came from:
    a reschedule since then refuses it. A required invitee who declines leaves their party's
    seat empty, so the organisers hear of it."""
    if response not in Invitee.Response.values or response == Invitee.Response.NEEDS_ACTION:
        raise Refused(
            "input.invalid",
            field="response",
            problem=_("must be one of: accepted, tentative, declined"),
        )
    check_fields(note=note)
    if len(note) > RESPONSE_NOTE_LIMIT:
        raise Refused("input.too_long", field="note", limit=RESPONSE_NOTE_LIMIT, value=len(note))
    _cas(meeting, None)  # takes the meeting's row before the rules are read
    invitee = meeting.invitees.filter(user=actor).first()
    _check(can.check_respond(actor, meeting, invitee))
    if sequence is not None and sequence != meeting.sequence:
        raise Refused(
            "invitation.link_replaced", meeting=meeting.key, sent=sequence, current=meeting.sequence
        )
    assert invitee is not None
    before = invitee.response
    note = note.strip() if response == Invitee.Response.DECLINED else ""
    Invitee.objects.filter(pk=invitee.pk).update(
        response=response, responded_at=timezone.now(), response_note=note
    )
    invitee.refresh_from_db()
    record(
        actor=actor,
        target=meeting,
        summary={
            "user": actor.username,
            "response": response,
            "before": before,
            "note": note[:500],
            "by_link": sequence is not None,
        },
    )
    if (
        invitee.is_required
        and response == Invitee.Response.DECLINED
        and before != Invitee.Response.DECLINED
    ):
        notify.emit("meeting.declined", meeting=meeting, invitee=invitee, actor=actor)
    return invitee


@transition("meeting.presenter_changed")
def change_presenter(*, meeting: Meeting, actor: User, presenter: User) -> Meeting:
    """Hand the presentation to another DEV of the lead team; a PM may not present."""
    requirement = meeting.requirement
    _check(can.check_organise(actor, meeting, action=_("change the presenter")))
    _check_presenter(
        requirement, presenter, set(meeting.invitees.values_list("user_id", flat=True))
    )
    _cas(meeting, None, presenter=presenter)
    record(
        actor=actor,
        target=meeting,
        summary={"presenter": presenter.username},
    )
    return meeting


@transition("meeting.attendance_recorded")
def record_attendance(*, meeting: Meeting, actor: User, user: User, attended: bool) -> Invitee:
    """Minutes: who was there."""
    _check(can.check_edit_minutes(actor, meeting, action=_("record attendance")))
    invitee = meeting.invitees.filter(user=user).first()
    if invitee is None:
        raise Refused("meeting.not_invitee", user=str(user), meeting=meeting.key)
    Invitee.objects.filter(pk=invitee.pk).update(attended=attended)
    invitee.attended = attended
    _cas(meeting, None)
    record(
        actor=actor,
        target=meeting,
        summary={"user": user.username, "attended": attended},
    )
    return invitee


@transition("meeting.held")
def mark_held(*, meeting: Meeting, actor: User) -> Meeting:
    """The meeting took place, on the approved current revision; its minutes stay editable.

    Not before its start, and only with every required invitee's attendance recorded: the
    attendance is what finalizing counts, and the parties sign off only after this."""
    lock_requirement(meeting.requirement)
    _check(can.check_mark_held(actor, meeting))
    revision = plans.current_revision(meeting.requirement)
    _cas(meeting, None, status=Meeting.Status.HELD, held_at=timezone.now(), held_revision=revision)
    record(
        actor=actor,
        target=meeting,
        summary={"key": meeting.key, "revision": revision.number if revision else None},
    )
    notify.emit("signoff.requested", meeting=meeting, actor=actor)
    return meeting


@transition("meeting.decision_recorded")
def record_decision(
    *, meeting: Meeting, actor: User, text: str, questions: list[Question] | None = None
) -> Decision:
    """Minutes: a decision taken. The questions it cites are settled by it: each is closed,
    the decision standing as its accepted answer (audited per question)."""
    _check(can.check_edit_minutes(actor, meeting, action=_("record a decision")))
    if not text.strip():
        raise Refused("input.invalid", field="text", problem=_("must not be empty"))
    limits.check_texts(text=text)
    # Locked so that concurrent minute-takers cannot both pass the count.
    lock_requirement(meeting.requirement)
    limits.check_room("decisions_per_meeting", meeting.decisions.count())
    decision = Decision.objects.create(meeting=meeting, text=text, recorded_by=actor)
    closed = []
    for question in dict.fromkeys(questions or []):
        closed.append(close_by_decision(question=question, decision=decision, actor=actor))
    if closed:
        decision.closes.set(closed)
        bump_version(meeting.requirement)
    _cas(meeting, None)
    record(
        actor=actor,
        target=meeting,
        summary={"decision": text[:500], "closes": [q.key for q in closed]},
    )
    return decision


def _check_serves(
    requirement: Requirement, item_key: str, scenario: Scenario | None, question: Question | None
) -> None:
    """What an action item serves must be of its requirement: a plan item of the current
    revision, one of its scenarios or questions."""
    if item_key and item_key not in plans.current_item_keys(requirement):
        raise Refused("question.not_blocking_target", item=item_key)
    for linked, kind in ((scenario, _("Scenario")), (question, _("Question"))):
        if linked is not None and linked.requirement_id != requirement.pk:
            raise Refused("access.not_found", kind=kind, ref=f"{requirement.key}/{linked.key}")


@transition("meeting.action_item_added")
def add_action_item(
    *,
    meeting: Meeting,
    actor: User,
    text: str,
    owner: User,
    due_on: date,
    item_key: str = "",
    scenario: Scenario | None = None,
    question: Question | None = None,
) -> ActionItem:
    """Minutes: a follow-up with an owner and a due date, optionally for a plan item (by its
    stable key), a scenario or a question. The owner finds it in their inbox and is told; an
    open one on a plan item holds finalizing."""
    _check(can.check_edit_minutes(actor, meeting, action=_("add an action item")))
    if not text.strip():
        raise Refused("input.invalid", field="text", problem=_("must not be empty"))
    limits.check_texts(text=text)
    bounds.require_in_range("due_on", due_on)
    item_key = item_key.strip().upper()
    lock_requirement(meeting.requirement)
    limits.check_room("action_items_per_meeting", meeting.action_items.count())
    _check_serves(meeting.requirement, item_key, scenario, question)
    item = ActionItem.objects.create(
        meeting=meeting,
        text=text,
        owner=owner,
        due_on=due_on,
        recorded_by=actor,
        item_key=item_key,
        scenario=scenario,
        question=question,
    )
    _cas(meeting, None)
    record(
        actor=actor,
        target=meeting,
        summary={
            "text": text[:500],
            "owner": owner.username,
            "due_on": due_on.isoformat(),
            "serves": item.serves or None,
        },
    )
    notify.emit("action.assigned", action_item=item, actor=actor)
    return item


@transition("meeting.action_item_done")
def complete_action_item(*, action_item: ActionItem, actor: User) -> ActionItem:
    """The owner (or the lead team) marks an action item done."""
    meeting = action_item.meeting
    _check(can.check_complete_action_item(actor, action_item))
    if not ActionItem.objects.filter(pk=action_item.pk, done_at__isnull=True).update(
        done_at=timezone.now()
    ):
        raise Refused("action_item.already_done", action_item=action_item.text[:60])
    action_item.refresh_from_db()
    record(
        actor=actor,
        target=meeting,
        summary={"action_item": action_item.pk},
    )
    return action_item


@transition("meeting.attendance_waived")
def waive_attendance(
    *, requirement: Requirement, actor: User, team: Team, reason: str
) -> AttendanceWaiver:
    """Excuse a party of the current revision from the alignment meeting, with the reason: a
    tech lead or architect of the lead team, or a committee architect, decides. Finalizing
    accepts the waiver in place of the party's PM and DEV at a held meeting; it never changes."""
    lock_requirement(requirement)
    if refusal := can.check_waive_attendance(actor, requirement, team):
        raise refusal
    if not reason.strip():
        raise Refused("waiver.reason_required", team=team.name)
    check_fields(reason=reason)
    limits.check_texts(reason=reason)
    limits.check_room("waivers_per_requirement", requirement.attendance_waivers.count())
    waiver = AttendanceWaiver.objects.create(
        requirement=requirement, team=team, reason=reason, recorded_by=actor
    )
    bump_version(requirement)
    record(
        actor=actor,
        target=requirement,
        summary={"team": team.code, "reason": reason[:500]},
    )
    notify.emit("waiver.recorded", waiver=waiver, actor=actor)
    return waiver


@transition("meeting.waiver_withdrawn")
def withdraw_waiver(*, waiver: AttendanceWaiver, actor: User, reason: str) -> AttendanceWaiver:
    """Withdraw a waiver recorded by mistake or no longer true, saying why: the party must then
    be met (or waived again) before the next finalizing. Baselines finalized while it was in
    force keep it."""
    requirement = waiver.requirement
    lock_requirement(requirement)
    waiver.refresh_from_db()
    if refusal := can.check_withdraw_waiver(actor, waiver):
        raise refusal
    if not reason.strip():
        raise Refused("waiver.withdrawal_reason_required", team=waiver.team.name)
    check_fields(reason=reason)
    limits.check_texts(reason=reason)
    waiver.withdrawn_at = timezone.now()
    waiver.withdrawn_by = actor
    waiver.withdrawal_reason = reason.strip()
    waiver.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    bump_version(requirement)
    record(
        actor=actor,
        target=requirement,
        summary={"team": waiver.team.code, "waiver": waiver.pk, "reason": reason.strip()[:500]},
    )
    notify.emit("waiver.withdrawn", waiver=waiver, actor=actor)
    return waiver
