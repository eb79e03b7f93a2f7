"""Each person reads a meeting's time in their own zone, named, and the text in their language:
the inbox (rendered when read, so a change of language shows), the invitation mail and its ICS
DESCRIPTION (at a real SMTP server), and a team's chat in the site's language and zone."""

import datetime as dt

import icalendar
from django.urls import reverse
from django.utils import timezone, translation

from techalign.notify.models import Event, Notification
from techalign.notify.services import add_channel
from techalign.notify.worker import run_ready_tasks
from techalign.org.models import User
from tests.factories import advance
from tests.notify.conftest import give_emails, schedule


def meet_at_two_utc(w, req):
    """ming schedules the meeting at 02:00 UTC three days on: 10:00 in Beijing, 03:00 in Berlin."""
    day = (timezone.now() + dt.timedelta(days=3)).date()
    return schedule(w, req, dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC))


def set_reader(user, language: str, zone: str) -> None:
    User.objects.filter(pk=user.pk).update(language=language, time_zone=zone)


def description(message) -> str:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    (event,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    return str(event["DESCRIPTION"])


def test_the_invitation_mail_is_in_each_recipients_language_and_zone(
    w, smtp, django_capture_on_commit_callbacks
):
    give_emails()
    set_reader(w.jun, "zh-hans", "Asia/Shanghai")
    set_reader(w.lei, "en", "Europe/Berlin")
    req = advance(w, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meet_at_two_utc(w, req)
    run_ready_tasks()
    day = f"{meeting.starts_at:%Y-%m-%d}"

    (chinese,) = smtp.to("jun@example.test")
    assert chinese["Subject"].startswith("[techalign] 邀请：")
    body = chinese.get_body(("plain",)).get_content()
    assert f"{day} 10:00 (Asia/Shanghai)" in body and "议程：" in body
    assert "UTC" not in body and "Agenda:" not in body
    assert f"时间：{day} 10:00–11:00 (Asia/Shanghai)" in description(chinese)
    assert "议程：" in description(chinese)

    (english,) = smtp.to("lei@example.test")
    assert english["Subject"].startswith("[techalign] Invitation: ")
    body = english.get_body(("plain",)).get_content()
    assert f"{day} 03:00 (Europe/Berlin)" in body and "Agenda:" in body
    assert "议程" not in body
    assert f"Time: {day} 03:00–04:00 (Europe/Berlin)" in description(english)
    assert "Agenda:" in description(english)


def test_the_inbox_renders_each_notification_when_read_in_the_readers_language(
    w, client, django_capture_on_commit_callbacks
):
    set_reader(w.jun, "zh-hans", "Asia/Shanghai")
    req = advance(w, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meet_at_two_utc(w, req)
    day = f"{meeting.starts_at:%Y-%m-%d}"
    note = Notification.objects.get(recipient=w.jun, event=Event.MEETING_INVITED)
    assert f"{day} 10:00 (Asia/Shanghai)" in note.body and "UTC" not in note.body

    client.force_login(w.jun)
    page = client.get(reverse("notify:inbox")).content.decode()
    assert f"邀请：{meeting.title}" in page and f"{day} 10:00 (Asia/Shanghai)" in page

    # jun moves to Berlin and reads English: the same row follows, not the text of the day.
    set_reader(w.jun, "en", "Europe/Berlin")
    note = Notification.objects.select_related("recipient").get(pk=note.pk)
    with translation.override("en"):
        assert note.shown_title == f"Invitation: {meeting.title}"
        assert f"{day} 03:00 (Europe/Berlin)" in note.shown_body
    api = client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="en").json()
    (shown,) = [n for n in api["items"] if n["id"] == note.pk]
    assert f"{day} 03:00 (Europe/Berlin)" in shown["body"]


def test_a_row_kept_from_before_parameters_shows_its_stored_text(w, client):
    note = Notification.objects.create(
        recipient=w.jun, event=Event.MEETING_INVITED, title="邀请：旧会议", body="旧的正文"
    )
    assert (note.shown_title, note.shown_body) == ("邀请：旧会议", "旧的正文")
    client.force_login(w.jun)
    page = client.get(reverse("notify:inbox")).content.decode()
    assert "邀请：旧会议" in page and "旧的正文" in page


def test_a_team_chat_reads_in_the_site_language_with_the_site_zone_named(
    w, receiver, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE, settings.TIME_ZONE = "zh-hans", "Asia/Shanghai"
    add_channel(
        actor=w.ming,
        kind="webhook",
        name="order chat",
        url=receiver.url("/hook"),
        secret="s",
        team=w.order,
    )
    req = advance(w, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meet_at_two_utc(w, req)
    run_ready_tasks()
    (message,) = [r.json() for r in receiver.received if r.json()["event"] == "meeting.invited"]
    assert message["title"] == f"邀请：{meeting.title}"
    assert f"{meeting.starts_at:%Y-%m-%d} 10:00 (Asia/Shanghai)" in message["body"]
