"""Scheduling, rescheduling and cancelling a meeting email RFC 5545 invitations (REQUEST with
the agenda, updates with a higher SEQUENCE, CANCEL) that arrive at a real SMTP server."""

import datetime as dt

import icalendar
from django.utils import timezone

from techalign.calendars.invitations import feed, feed_token
from techalign.meetings.services import (
    add_invitee,
    cancel_meeting,
    reschedule_meeting,
)
from techalign.notify.models import Delivery
from techalign.notify.worker import run_ready_tasks
from tests.factories import advance
from tests.notify.conftest import give_emails, schedule

INVITEES = {"ming", "lei", "hua", "jun", "li", "wei"}


def invitation_of(message) -> icalendar.Calendar:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


def event_of(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def test_invitations_updates_and_cancellation_reach_every_invitee(
    w, smtp, django_capture_on_commit_callbacks
):
    give_emails()
    req = advance(w, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(w, req)
    run_ready_tasks()
    invited = {m["X-Envelope-To"].split("@")[0] for m in smtp.messages}
    assert invited == INVITEES
    message = smtp.to("jun@example.test")[0]
    assert message["Subject"].startswith("[techalign] ") and req.key in message["Subject"]
    calendar = invitation_of(message)
    event = event_of(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"{meeting.uid}@techalign"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == meeting.starts_at
    assert len(event.get("ATTENDEE")) == 6
    assert "S-1" in str(event["DESCRIPTION"]) and "Agenda" in str(event["DESCRIPTION"])
    assert "S-1" in message.get_body(("plain",)).get_content()

    later = meeting.starts_at + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        reschedule_meeting(
            meeting=meeting, actor=w.ming, starts_at=later, ends_at=later + dt.timedelta(hours=1)
        )
    run_ready_tasks()
    update = event_of(invitation_of(smtp.to("jun@example.test")[-1]))
    assert int(update["SEQUENCE"]) == 1 and update.decoded("DTSTART") == later
    assert str(update["UID"]) == f"{meeting.uid}@techalign"

    with django_capture_on_commit_callbacks(execute=True):
        cancel_meeting(meeting=meeting, actor=w.ming, reason="merged into M-2")
    run_ready_tasks()
    cancellation = invitation_of(smtp.to("jun@example.test")[-1])
    assert str(cancellation["METHOD"]) == "CANCEL"
    assert int(event_of(cancellation)["SEQUENCE"]) == 2
    assert str(event_of(cancellation)["STATUS"]) == "CANCELLED"
    assert len(smtp.messages) == 3 * len(INVITEES)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_a_person_added_later_gets_the_invitation_alone(
    w, smtp, django_capture_on_commit_callbacks
):
    req = advance(w, "aligning")
    give_emails(w.fang)
    with django_capture_on_commit_callbacks(execute=True):
        add_invitee(meeting=req.meetings.get(), actor=w.ming, user=w.fang)
    run_ready_tasks()
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["fang@example.test"]
    event = event_of(invitation_of(smtp.messages[0]))
    assert "OPT-PARTICIPANT" in [a.params["ROLE"] for a in event.get("ATTENDEE")]


def test_an_unreachable_mail_server_keeps_the_invitation_pending_with_its_error(
    w, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.TECHALIGN_NOTIFY_BACKOFF = [600]
    give_emails()
    req = advance(w, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        schedule(w, req)
    run_ready_tasks()
    email = Delivery.objects.filter(medium=Delivery.Medium.EMAIL).first()
    assert email.status == Delivery.Status.PENDING and email.attempts == 1
    assert "SMTP" in email.last_error
    assert email.next_attempt_at > timezone.now() + dt.timedelta(minutes=9)
    assert w.jun.notifications.filter(event="meeting.invited").exists()  # the inbox has it


def test_each_person_has_a_private_feed_of_their_meetings(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    calendar = icalendar.Calendar.from_ical(feed(w.jun))
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{meeting.uid}@techalign"
    assert not icalendar.Calendar.from_ical(feed(w.fang)).walk("VEVENT")
    assert feed_token(w.jun, "a") != feed_token(w.jun, "b") != feed_token(w.hua, "a")
