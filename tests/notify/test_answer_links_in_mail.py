"""The invitation mail and its calendar event carry each invitee's own answer links, which work
from the mail; ATTENDEE lines show the answers known, and a reschedule asks again with new
links. A required invitee who declines is flagged to the organisers by mail too."""

import datetime as dt
import re
from urllib.parse import urlsplit

import icalendar
from django.test import Client
from django.utils import timezone

from techalign.calendars.invitations import feed
from techalign.meetings.models import Invitee
from techalign.meetings.services import reschedule_meeting, respond_to_invitation
from techalign.notify.worker import run_ready_tasks
from techalign.org.models import User
from tests.factories import advance
from tests.notify.conftest import give_emails, schedule
from tests.notify.test_invitations import event_of, invitation_of

LINK = re.compile(r"https?://\S+/answer/(accept|tentative|decline)/\S+/")


def links_in(text: str) -> dict[str, str]:
    """The answer links in a text, by answer, as paths (the test client's view of them)."""
    unfolded = text.replace("\r\n ", "").replace("\n ", "")
    return {m.group(1): urlsplit(m.group(0)).path for m in LINK.finditer(unfolded)}


def mail_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def invite_everyone(w, capture, *answers: tuple[User, str]):
    """Everyone has a mail address; ming schedules the meeting, the invitations are sent, and
    each (invitee, answer) in `answers` answers in the same transaction."""
    give_emails()
    req = advance(w, "approved")
    with capture(execute=True):
        meeting = schedule(w, req)
        for user, answer in answers:
            respond_to_invitation(meeting=meeting, actor=user, response=answer)
    run_ready_tasks()
    return meeting


def test_each_invitee_gets_their_own_links_in_the_mail_and_the_event(
    w, smtp, django_capture_on_commit_callbacks
):
    meeting = invite_everyone(w, django_capture_on_commit_callbacks)

    jun_mail = smtp.to("jun@example.test")[0]
    in_mail = links_in(mail_text(jun_mail))
    event = event_of(invitation_of(jun_mail))
    in_event = links_in(str(event["DESCRIPTION"]))
    assert set(in_mail) == {"accept", "tentative", "decline"}
    assert in_event == in_mail
    assert in_mail != links_in(mail_text(smtp.to("hua@example.test")[0]))
    attendees = {str(a): a.params for a in event.get("ATTENDEE")}
    assert attendees["mailto:jun@example.test"]["PARTSTAT"] == "NEEDS-ACTION"
    assert attendees["mailto:jun@example.test"]["RSVP"] == "TRUE"

    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(in_mail["decline"])
    assert page.status_code == 200
    assert Invitee.objects.get(meeting=meeting, user=w.jun).response == "needs_action"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    visitor.post(
        in_mail["decline"],
        {"csrfmiddlewaretoken": token.group(1), "response": "declined", "note": "on leave"},
    )
    assert Invitee.objects.get(meeting=meeting, user=w.jun).response == "declined"


def test_a_reschedule_resets_the_answers_and_sends_new_links(
    w, smtp, django_capture_on_commit_callbacks
):
    meeting = invite_everyone(w, django_capture_on_commit_callbacks, (w.hua, "accepted"))
    first = links_in(mail_text(smtp.to("hua@example.test")[0]))

    later = meeting.starts_at + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        reschedule_meeting(
            meeting=meeting, actor=w.ming, starts_at=later, ends_at=later + dt.timedelta(hours=1)
        )
    run_ready_tasks()

    update = smtp.to("hua@example.test")[-1]
    event = event_of(invitation_of(update))
    assert int(event["SEQUENCE"]) == 1
    assert {a.params["PARTSTAT"] for a in event.get("ATTENDEE")} == {"NEEDS-ACTION"}
    second = links_in(mail_text(update))
    assert set(second) == {"accept", "tentative", "decline"} and second != first
    assert Client().get(first["accept"]).status_code == 410
    assert Client().get(second["accept"]).status_code == 200


def test_known_answers_show_in_the_attendee_lines_of_the_next_update_and_the_feed(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    respond_to_invitation(meeting=meeting, actor=w.jun, response="accepted")
    respond_to_invitation(meeting=meeting, actor=w.wei, response="declined")

    (event,) = icalendar.Calendar.from_ical(feed(w.jun)).walk("VEVENT")

    partstat = {str(a): a.params["PARTSTAT"] for a in event.get("ATTENDEE")}
    assert partstat["mailto:jun@invalid"] == "ACCEPTED"
    assert partstat["mailto:wei@invalid"] == "DECLINED"
    assert partstat["mailto:hua@invalid"] == "NEEDS-ACTION"
    assert set(links_in(str(event["DESCRIPTION"]))) == {"accept", "tentative", "decline"}


def test_a_required_decline_is_mailed_to_the_organiser(w, smtp, django_capture_on_commit_callbacks):
    give_emails()
    req = advance(w, "approved")
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    meeting = schedule(w, req, starts_at=start)
    run_ready_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        respond_to_invitation(meeting=meeting, actor=w.wei, response="declined", note="年假")
    run_ready_tasks()

    (mail,) = smtp.to("ming@example.test")
    assert "wei cannot come to M-1" in mail["Subject"]
    assert "年假" in mail_text(mail)
    assert not [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert not smtp.to("wei@example.test")
