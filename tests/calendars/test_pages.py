"""The calendar and notification pages: what a person sees and can do there."""

import icalendar
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

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


def test_an_admin_keeps_the_company_calendar_on_its_page(w):
    from techalign.audit.models import AuditEvent
    from techalign.calendars.models import CompanyDay

    grant(w.charlie, w.elsewhere, "ADMIN")
    page = client_for(w.charlie)
    next_year = timezone.localdate().year + 1
    added = page.post(
        "/calendars/company/", {"form": "day", "on": f"{next_year}-03-13", "name": "年会"}
    )
    assert added.status_code == 302
    html = page.get("/calendars/company/").content.decode()
    assert "年会" in html and "company calendar" in html  # listed, with its source
    assert 'name="use_public_holidays" checked' in html

    page.post("/calendars/company/", {"form": "policy", "country": "CN"})  # box unticked
    assert "Public holidays are not observed" in page.get("/calendars/company/").content.decode()

    day = CompanyDay.objects.get(name="年会")
    page.post("/calendars/company/", {"form": "remove", "day": str(day.pk)})
    assert not CompanyDay.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "calendar.company_day_set",
        "calendar.holiday_policy_set",
        "calendar.company_day_removed",
    } <= actions


def test_everyone_reads_the_company_calendar_and_only_admins_change_it(w):
    from techalign.calendars.models import CompanyDay

    page = client_for(w.lei)
    html = page.get("/calendars/company/").content.decode()
    assert "Company calendar" in html and 'name="is_working_day"' not in html
    refused = page.post("/calendars/company/", {"form": "day", "on": "2027-03-13", "name": "x"})
    assert refused.status_code == 403
    assert "Only an administrator may change company days; lei is not one." in (
        refused.content.decode()
    )
    assert not CompanyDay.objects.exists()


def test_the_company_calendar_reads_in_chinese(w):
    page = client_for(w.lei)
    type(w.lei).objects.filter(pk=w.lei.pk).update(language="zh-hans")
    html = page.get("/calendars/company/").content.decode()
    assert "公司日历" in html and "未来十二个月" in html and "法定节假日" in html
