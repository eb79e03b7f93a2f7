"""The slot finder as a step of scheduling: no slot over the lunch break, slots after the
alignment deadline marked late (page, API and CLI alike), the reason when nothing fits, and a
picked slot filling the meeting form."""

import datetime as dt
import io
import json
import re
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.utils import timezone

from techalign.calendars.models import WorkingHours
from techalign.calendars.slots import alignment_deadline, find_slots
from techalign.requirements.models import Requirement
from tests.calendars.test_pages import client_for
from tests.factories import advance

SH = ZoneInfo("Asia/Shanghai")
HOUR = dt.timedelta(hours=1)
MONDAY = dt.datetime(2026, 12, 7, 8, 0, tzinfo=SH)


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def local_starts(search) -> list[dt.datetime]:
    return [s.starts_at.astimezone(SH) for s in search.slots]


def test_no_slot_is_offered_over_the_org_lunch_break(w):
    search = find_slots(required=[w.lei, w.jun], duration=HOUR, count=4, now=MONDAY, notice=HOUR)
    assert local_starts(search) == [
        sh(2026, 12, 7, 9),
        sh(2026, 12, 7, 10),
        sh(2026, 12, 7, 11),
        sh(2026, 12, 7, 13, 30),
    ]


def test_a_persons_own_break_replaces_the_org_lunch_break_and_the_setting_can_drop_it(w, settings):
    WorkingHours.objects.create(user=w.lei, break_starts=dt.time(11, 0), break_ends=dt.time(12, 0))
    search = find_slots(required=[w.lei], duration=HOUR, count=3, now=MONDAY, notice=HOUR)
    assert local_starts(search) == [sh(2026, 12, 7, 9), sh(2026, 12, 7, 10), sh(2026, 12, 7, 12)]
    settings.TECHALIGN_LUNCH_BREAK = ""
    search = find_slots(required=[w.jun], duration=HOUR, count=4, now=MONDAY, notice=HOUR)
    assert sh(2026, 12, 7, 12) in local_starts(search)


def test_slots_after_the_alignment_deadline_are_marked_late(w):
    req = advance(w, "approved")
    # Planned start Wednesday 16 December: five working days earlier is Wednesday 9 December.
    Requirement.objects.filter(pk=req.pk).update(planned_dev_start_on=dt.date(2026, 12, 16))
    req.refresh_from_db()
    assert alignment_deadline(req) == dt.date(2026, 12, 9)
    search = find_slots(
        required=[w.lei],
        duration=HOUR,
        count=4,
        now=MONDAY,
        not_before=sh(2026, 12, 9, 15),
        deadline=alignment_deadline(req),
    )
    assert [(s.starts_at.astimezone(SH).day, s.late) for s in search.slots] == [
        (9, False),
        (9, False),
        (9, False),
        (10, True),
    ]


def test_when_nobody_works_the_reason_is_named(w):
    saturday = sh(2026, 12, 5, 8)
    search = find_slots(
        required=[w.lei], duration=HOUR, now=saturday, notice=HOUR, horizon=dt.timedelta(days=1)
    )
    assert search.slots == [] and search.why_none == "outside_working_hours"
    assert search.days == 1


def test_page_api_and_cli_agree_on_the_deadline_and_late_slots(w):
    req = advance(w, "approved")
    planned = timezone.localdate() + dt.timedelta(days=10)
    Requirement.objects.filter(pk=req.pk).update(planned_dev_start_on=planned)
    deadline = alignment_deadline(Requirement.objects.get(pk=req.pk))

    api = client_for(w.ming).get(f"/api/v1/calendars/slots/{req.key}?count=50&days=14").json()
    assert api["deadline"] == deadline.isoformat()
    lates = {s["starts_at"]: s["late"] for s in api["slots"]}
    assert True in lates.values() and False in lates.values()
    for start, late in lates.items():
        on = timezone.localtime(dt.datetime.fromisoformat(start)).date()
        assert late == (on > deadline)

    out = io.StringIO()
    call_command("slots", req.key, "--json", "--count", "50", "--days", "14", stdout=out)
    cli = json.loads(out.getvalue())
    assert cli["deadline"] == api["deadline"]
    assert {dt.datetime.fromisoformat(s["starts_at"]): s["late"] for s in cli["slots"]} == {
        dt.datetime.fromisoformat(k): v for k, v in lates.items()
    }

    page = client_for(w.ming).get(f"/calendars/slots/{req.key}/?count=50").content.decode()
    assert f"{deadline:%Y-%m-%d}" in page
    assert page.count('class="late"') == list(lates.values()).count(True)


def test_a_picked_slot_fills_the_meeting_form(w):
    req = advance(w, "approved")
    browser = client_for(w.ming)
    page = browser.get(f"/calendars/slots/{req.key}/?duration=45").content.decode()
    assert f'href="/r/{req.key}/align/#meetings"' in page  # back to the form
    picks = re.findall(r'<a class="button primary pick" href="([^"]+)"', page)
    assert picks and all(p.startswith(f"/r/{req.key}/align/?slot=") for p in picks)

    first = find_slots(
        required=[u for u in _required(req)], duration=dt.timedelta(minutes=45), count=1
    ).slots[0]
    start = timezone.localtime(first.starts_at)
    form = browser.get(picks[0].replace("&amp;", "&")).content.decode()
    assert f"{start:%Y-%m-%dT%H:%M}" in form
    assert f"{start + dt.timedelta(minutes=45):%Y-%m-%dT%H:%M}" in form


def _required(req):
    from techalign.calendars.selectors import slot_target

    return slot_target(req.key).required
