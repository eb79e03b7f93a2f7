"""The calendar, slot and notification endpoints, through HTTP as a client would call them."""

import datetime as dt

import pytest
from django.test import Client

from tests.calendars.ics_builders import busy_at, calendar
from tests.factories import advance, grant

pytestmark = pytest.mark.urls("tests.calendars.api_urls")
JSON = "application/json"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_calendar_sources_are_managed_and_secrets_never_returned(w):
    api = client_for(w.lei)
    day = dt.datetime(2026, 12, 8, 1, tzinfo=dt.UTC)
    upload = api.post(
        "/api/v1/calendars/sources/upload",
        {"name": "work", "ics": calendar(busy_at("a", day, day + dt.timedelta(1)))},
        content_type=JSON,
    )
    assert upload.status_code == 201 and upload.json()["busy_intervals"] == 1
    bad = api.post("/api/v1/calendars/sources/upload", {"ics": "junk"}, content_type=JSON)
    assert bad.status_code == 422 and bad.json()["code"] == "calendar.ics_invalid"
    caldav = api.post(
        "/api/v1/calendars/sources/caldav",
        {"url": "http://127.0.0.1:9/dav/", "username": "lei", "password": "pw-9"},
        content_type=JSON,
    )
    assert caldav.status_code == 201 and "pw-9" not in caldav.content.decode()
    refreshed = api.post(f"/api/v1/calendars/sources/{caldav.json()['id']}/refresh").json()
    assert refreshed["fetch_status"] == "error" and "cannot connect" in refreshed["fetch_error"]
    url = f"/api/v1/calendars/sources/{caldav.json()['id']}"
    assert client_for(w.jun).delete(url, headers={"If-Match": '"v1"'}).status_code == 404
    assert api.delete(url, headers={"If-Match": api.get(url)["ETag"]}).status_code == 204
    assert [s["name"] for s in api.get("/api/v1/calendars/sources").json()["items"]] == ["work"]


def test_working_hours_days_and_slots(w):
    api = client_for(w.lei)
    hours = api.put(
        "/api/v1/calendars/working-hours",
        {"starts": "09:30", "ends": "18:30", "time_zone": "Asia/Shanghai"},
        content_type=JSON,
        headers={"If-Match": api.get("/api/v1/calendars/working-hours")["ETag"]},
    ).json()
    assert hours["starts"] == "09:30:00" and "/calendars/feed/" in hours["feed_url"]
    days = api.get("/api/v1/calendars/days?start=2026-09-30&end=2026-10-01").json()["items"]
    assert [(d["is_workday"], d["source"]) for d in days] == [
        (True, "weekday"),
        (False, "chinesecalendar"),
    ]
    req = advance(w, "aligning")
    slots = api.get(f"/api/v1/calendars/slots/{req.key}/M-1?count=2&optional=fang").json()
    assert slots["suits_everyone"] and len(slots["slots"]) == 2
    assert slots["optional"] == ["fang"]


def test_inbox_preferences_channels_and_the_admin_delivery_log(w):
    api = client_for(w.lei)
    assert api.get("/api/v1/notifications").json() == {"items": [], "count": 0}
    etag = {"If-Match": api.get("/api/v1/notifications/preferences")["ETag"]}
    pref = api.put(
        "/api/v1/notifications/preferences",
        {"event": "meeting.invited", "email": False},
        content_type=JSON,
        headers=etag,
    ).json()
    assert pref == {"event": "meeting.invited", "in_app": True, "email": False, "chat": True}
    etag = {"If-Match": api.get("/api/v1/notifications/preferences")["ETag"]}
    unknown = api.put(
        "/api/v1/notifications/preferences", {"event": "lunch"}, content_type=JSON, headers=etag
    )
    assert unknown.json()["code"] == "notify.unknown_event"
    channel = api.post(
        "/api/v1/channels", {"kind": "slack", "url": "https://h.example/x?t=1"}, content_type=JSON
    ).json()
    assert channel["display_url"] == "https://h.example/x?…"
    assert api.get("/api/v1/deliveries").status_code == 403
    grant(w.charlie, w.elsewhere, "ADMIN")
    assert client_for(w.charlie).get("/api/v1/deliveries").status_code == 200


def _refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    return response.json()["details"]


def test_a_source_is_edited_and_removed_only_as_of_the_etag_read(w):
    api = client_for(w.lei)
    created = api.post(
        "/api/v1/calendars/sources/feed",
        {"name": "work", "url": "https://cal.example/work.ics"},
        content_type=JSON,
    ).json()
    url = f"/api/v1/calendars/sources/{created['id']}"
    read = api.get(url)
    # The version, then a digest of the last fetch (which moves without the version).
    assert read.status_code == 200 and read["ETag"].startswith(f'"v{created["version"]}-')

    _refused(api.patch(url, {"name": "blind"}, content_type=JSON), 428, "precondition.required")
    renamed = api.patch(
        url, {"name": "office"}, content_type=JSON, headers={"If-Match": read["ETag"]}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "office"
    assert renamed["ETag"] != read["ETag"] and renamed["ETag"] == api.get(url)["ETag"]

    stale = {"If-Match": read["ETag"]}
    details = _refused(
        api.patch(url, {"is_active": False}, content_type=JSON, headers=stale),
        412,
        "conflict.stale_version",
    )
    assert renamed["ETag"].startswith(f'"v{details["current"]}-')
    _refused(api.delete(url), 428, "precondition.required")
    _refused(api.delete(url, headers=stale), 412, "conflict.stale_version")
    source = api.get(url).json()
    assert source["name"] == "office" and source["is_active"]

    assert api.delete(url, headers={"If-Match": renamed["ETag"]}).status_code == 204
    assert api.get("/api/v1/calendars/sources").json() == {"items": [], "count": 0}


def test_working_hours_are_set_only_as_of_the_etag_read(w):
    api = client_for(w.lei)
    url = "/api/v1/calendars/working-hours"
    first = api.get(url)
    assert first["ETag"] == '"v0"'  # nothing set yet: the defaults
    hours = {"starts": "10:00", "ends": "19:00"}

    _refused(api.put(url, hours, content_type=JSON), 428, "precondition.required")
    done = api.put(url, hours, content_type=JSON, headers={"If-Match": first["ETag"]})
    assert done.status_code == 200 and done.json()["starts"] == "10:00:00"
    assert done["ETag"] == api.get(url)["ETag"] != first["ETag"]

    late = {"starts": "08:00", "ends": "17:00", "time_zone": "Europe/Berlin"}
    details = _refused(
        api.put(url, late, content_type=JSON, headers={"If-Match": first["ETag"]}),
        412,
        "conflict.stale_version",
    )
    assert f'"v{details["current"]}"' == done["ETag"]
    now = api.get(url).json()
    assert now["starts"] == "10:00:00" and now["time_zone"] != "Europe/Berlin"
