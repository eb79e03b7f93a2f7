"""Invitees answer their invitation: accept, answer tentatively or decline (with a reason) while
the meeting is scheduled and has not started; only the invitee answers; a reschedule asks again;
a required invitee who declines leaves a seat the organisers hear of and can fill."""

import datetime as dt

import pytest
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.meetings import services as meetings
from techalign.meetings.models import Invitee
from techalign.meetings.selectors import empty_seats
from techalign.notify.models import Event, Notification
from techalign.org.models import Role
from tests.factories import advance, grant, make_user

START = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
END = START + dt.timedelta(hours=1)


def schedule(w, req, **kwargs):
    return meetings.schedule_meeting(
        requirement=req, actor=w.ming, starts_at=START, ends_at=END, **kwargs
    )


def answer_of(meeting, user) -> Invitee:
    return meeting.invitees.get(user=user)


def test_an_invitee_accepts_and_changes_the_answer_while_the_meeting_is_scheduled(w):
    meeting = schedule(w, advance(w, "approved"))

    meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="accepted")
    assert answer_of(meeting, w.jun).response == Invitee.Response.ACCEPTED
    assert answer_of(meeting, w.jun).responded_at is not None

    meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="tentative")
    assert answer_of(meeting, w.jun).response == Invitee.Response.TENTATIVE
    assert answer_of(meeting, w.hua).response == Invitee.Response.NEEDS_ACTION  # others untouched
    audit = AuditEvent.objects.filter(action="meeting.invitation_answered").order_by("seq")
    assert [e.summary["response"] for e in audit] == ["accepted", "tentative"]
    assert audit.last().summary["before"] == "accepted"


def test_a_decline_keeps_its_reason(w):
    meeting = schedule(w, advance(w, "approved"))

    meetings.respond_to_invitation(
        meeting=meeting, actor=w.wei, response="declined", note="On leave that week"
    )

    invitee = answer_of(meeting, w.wei)
    assert invitee.response == Invitee.Response.DECLINED
    assert invitee.response_note == "On leave that week"


def test_someone_not_invited_cannot_answer_for_the_meeting(w):
    meeting = schedule(w, advance(w, "approved"))

    with pytest.raises(Refused) as refused:
        meetings.respond_to_invitation(meeting=meeting, actor=w.charlie, response="accepted")

    assert refused.value.code == "invitation.not_invitee"
    assert "charlie is not invited" in refused.value.message
    assert not meeting.invitees.filter(user=w.charlie).exists()
    refusal = AuditEvent.objects.get(action="meeting.invitation_answered")
    assert refusal.outcome == AuditEvent.Outcome.REFUSED


def test_a_cancelled_meeting_takes_no_answers(w):
    meeting = schedule(w, advance(w, "approved"))
    meetings.cancel_meeting(meeting=meeting, actor=w.ming)

    with pytest.raises(Refused) as refused:
        meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="accepted")

    assert refused.value.code == "meeting.wrong_state"
    assert "needs it to be Scheduled" in refused.value.message
    assert answer_of(meeting, w.jun).response == Invitee.Response.NEEDS_ACTION


def test_a_meeting_that_started_takes_no_answers(w):
    req = advance(w, "approved")
    started = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)
    meeting = meetings.schedule_meeting(
        requirement=req, actor=w.ming, starts_at=started, ends_at=started + dt.timedelta(hours=1)
    )

    with pytest.raises(Refused) as refused:
        meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="declined")

    assert refused.value.code == "invitation.meeting_started"
    assert "M-1 started at" in refused.value.message
    assert answer_of(meeting, w.jun).response == Invitee.Response.NEEDS_ACTION


def test_needs_action_is_not_an_answer(w):
    meeting = schedule(w, advance(w, "approved"))

    with pytest.raises(Refused) as refused:
        meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="needs_action")

    assert refused.value.code == "input.invalid"


def test_a_link_from_an_earlier_invitation_is_refused_after_a_reschedule(w):
    meeting = schedule(w, advance(w, "approved"))
    meetings.reschedule_meeting(
        meeting=meeting,
        actor=w.ming,
        starts_at=START + dt.timedelta(days=1),
        ends_at=END + dt.timedelta(days=1),
    )

    with pytest.raises(Refused) as refused:
        meetings.respond_to_invitation(
            meeting=meeting, actor=w.jun, response="accepted", sequence=0
        )

    assert refused.value.code == "invitation.link_replaced"
    assert answer_of(meeting, w.jun).response == Invitee.Response.NEEDS_ACTION


def test_rescheduling_asks_every_invitee_again(w):
    meeting = schedule(w, advance(w, "approved"))
    meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="accepted")
    meetings.respond_to_invitation(meeting=meeting, actor=w.wei, response="declined", note="away")

    later = START + dt.timedelta(days=1)
    meetings.reschedule_meeting(
        meeting=meeting, actor=w.ming, starts_at=later, ends_at=later + dt.timedelta(hours=1)
    )

    answers = {i.user.username: (i.response, i.response_note) for i in meeting.invitees.all()}
    assert set(answers.values()) == {(Invitee.Response.NEEDS_ACTION, "")}
    assert not meeting.invitees.filter(responded_at__isnull=False).exists()


def test_a_required_decline_notifies_the_organisers_not_the_decliner(
    w, django_capture_on_commit_callbacks
):
    meeting = schedule(w, advance(w, "approved"))

    with django_capture_on_commit_callbacks(execute=True):
        meetings.respond_to_invitation(
            meeting=meeting, actor=w.jun, response="declined", note="On call"
        )

    told = Notification.objects.filter(event=Event.INVITATION_DECLINED)
    # The one who scheduled it and the lead team's PMs and DEVs, who may change invitees.
    assert sorted(n.recipient.username for n in told) == ["fang", "lei", "ming"]
    title, body = told.get(recipient=w.ming).shown()
    assert title == f"jun cannot come to M-1 of {meeting.requirement.key}"
    assert "On call" in body and "Invite another Developer of" in body


def test_an_optional_decline_or_a_second_decline_tells_nobody(
    w, django_capture_on_commit_callbacks
):
    meeting = schedule(w, advance(w, "approved"), optional=[w.fang])

    with django_capture_on_commit_callbacks(execute=True):
        meetings.respond_to_invitation(meeting=meeting, actor=w.fang, response="declined")
        meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="declined")
        meetings.respond_to_invitation(
            meeting=meeting, actor=w.jun, response="declined", note="still no"
        )

    told = Notification.objects.filter(event=Event.INVITATION_DECLINED)
    assert told.count() == 3  # ming, lei, fang for jun's first decline only
    assert answer_of(meeting, w.jun).response_note == "still no"


def test_an_empty_seat_suggests_an_active_uninvited_colleague_of_the_same_team_and_role(w):
    meeting = schedule(w, advance(w, "approved"))
    colleague = grant(make_user("tao"), w.payments, Role.DEV)
    grant(make_user("gone", is_active=False), w.payments, Role.DEV)
    grant(make_user("pm2"), w.payments, Role.PM)  # same team, another role

    meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="declined")
    invitees = list(meeting.invitees.select_related("user"))
    (empty,) = empty_seats(meeting, invitees)

    assert (empty.seat.team, empty.seat.role) == (w.payments, Role.DEV)
    assert [i.user for i in empty.declined] == [w.jun]
    assert empty.stand_ins == [colleague]

    meetings.add_invitee(meeting=meeting, actor=w.ming, user=colleague, is_required=True)
    assert empty_seats(meeting, list(meeting.invitees.select_related("user"))) == []


def test_a_decline_covered_by_another_invitee_of_the_same_seat_leaves_no_seat_empty(w):
    colleague = grant(make_user("tao"), w.payments, Role.DEV)
    meeting = schedule(w, advance(w, "approved"))
    meetings.add_invitee(meeting=meeting, actor=w.ming, user=colleague, is_required=True)

    meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="declined")

    assert empty_seats(meeting, list(meeting.invitees.select_related("user"))) == []
