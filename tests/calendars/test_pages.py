"""The calendar and notification pages: what a person sees and can do there."""

import icalendar
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from techalign.calendars.models import CalendarSource
from techalign.notify.models import Notification
from tests.calendars.ics_builders import calendar, event
from tests.factories import advance, grant


def client_for(user) -> Client:
    """A signed-in browser of `user`, who reads English (the assertions quote English text)."""
    type(user).objects.filter(pk=user.pk).update(language="en")
    client = Client()
    client.force_login(user)
    return client


def test_my_calendars_page_uploads_shows_errors_and_gives_a_feed_url(w):
    page = client_for(w.lei)
    ics = calendar(event("x", ":20261208T010000Z", ":20261208T020000Z"))
    answer = page.post(
        "/calendars/",
        {"form": "upload", "name": "work", "file": SimpleUploadedFile("work.ics", ics.encode())},
    )
    assert answer.status_code == 302 and CalendarSource.objects.filter(user=w.lei).count() == 1
    bad = page.post(
        "/calendars/",
        {"form": "upload", "name": "broken", "file": SimpleUploadedFile("b.ics", b"not ics")},
    )
    assert "cannot be read" in bad.content.decode()
    page.post("/calendars/", {"form": "feed_key"})
    html = page.get("/calendars/").content.decode()
    assert "work" in html and "/calendars/feed/" in html
    feed_url = html.split("/calendars/feed/")[1].split(".ics")[0]
    req = advance(w, "aligning")
    feed = Client().get(f"/calendars/feed/{feed_url}.ics")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    (meeting,) = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(meeting["UID"]) == f"{req.meetings.get().uid}@techalign"
    assert Client().get(f"/calendars/feed/{w.lei.pk}/forged.ics").status_code == 404


def test_the_slot_finder_page_lists_times_for_a_meeting(w):
    req = advance(w, "aligning")
    html = client_for(w.ming).get(f"/calendars/slots/{req.key}/M-1/?count=3").content.decode()
    assert html.count("<tr>") >= 4 and "required invitees" in html


def test_notifications_page_and_the_admin_only_delivery_log(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        req = advance(w, "handed_off")
    page = client_for(w.lei)
    assert f"/r/{req.key}/" in page.get("/notifications/").content.decode()
    page.post("/notifications/", {"form": "read"})
    assert not Notification.objects.filter(recipient=w.lei, read_at__isnull=True).exists()
    assert page.get("/notifications/deliveries/").status_code == 403
    grant(w.charlie, w.elsewhere, "ADMIN")
    assert client_for(w.charlie).get("/notifications/deliveries/").status_code == 200
