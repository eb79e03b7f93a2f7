"""Uploaded calendars are expanded into busy time correctly: recurrences, exceptions, overrides,
all-day and transparent events, VTIMEZONE definitions and daylight-saving time."""

import datetime as dt

import pytest

from techalign.calendars import services
from techalign.calendars.models import CalendarSource
from techalign.core.errors import Refused
from tests.calendars.ics_builders import calendar, event

UTC = dt.UTC

# A zone defined only by the file (not an IANA name), with US rules: DST from 14 March 2027.
CUSTOM_EASTERN = (
    "BEGIN:VTIMEZONE\r\nTZID:Custom Eastern\r\n"
    "BEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"
    "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"
    "TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def intervals(source: CalendarSource, start: dt.datetime, end: dt.datetime):
    low, high = start.timestamp(), end.timestamp()
    return [
        (dt.datetime.fromtimestamp(s, UTC), dt.datetime.fromtimestamp(e, UTC))
        for s, e in source.busy
        if e > low and s < high
    ]


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_recurrences_exceptions_overrides_and_dst_are_expanded(w):
    text = calendar(
        event(
            "standup",
            ";TZID=Custom Eastern:20270312T090000",
            ";TZID=Custom Eastern:20270312T100000",
            "RRULE:FREQ=DAILY;COUNT=5",
            "EXDATE;TZID=Custom Eastern:20270313T090000",
        ),
        event(
            "standup",
            ";TZID=Custom Eastern:20270315T150000",
            ";TZID=Custom Eastern:20270315T160000",
            "RECURRENCE-ID;TZID=Custom Eastern:20270315T090000",
        ),
        timezones=CUSTOM_EASTERN,
    )
    source = services.add_upload(actor=w.lei, user=w.lei, name="work", content=text)
    assert intervals(source, at(2027, 3, 10), at(2027, 3, 20)) == [
        (at(2027, 3, 12, 14), at(2027, 3, 12, 15)),  # 09:00 EST = UTC-5
        # 13 March is an EXDATE; 14 March is the first day of daylight-saving time (UTC-4)
        (at(2027, 3, 14, 13), at(2027, 3, 14, 14)),
        (at(2027, 3, 15, 19), at(2027, 3, 15, 20)),  # moved to 15:00 by RECURRENCE-ID
        (at(2027, 3, 16, 13), at(2027, 3, 16, 14)),
    ]


def test_all_day_and_floating_events_are_read_in_the_owners_zone(w):
    text = calendar(
        event("leave", ";VALUE=DATE:20270317", ";VALUE=DATE:20270318", summary="vacation"),
        event("focus", ":20270319T100000", ":20270319T110000"),  # floating local time
    )
    source = services.add_upload(actor=w.lei, user=w.lei, name="work", content=text)
    # lei is in Asia/Shanghai (UTC+8).
    assert intervals(source, at(2027, 3, 16), at(2027, 3, 20)) == [
        (at(2027, 3, 16, 16), at(2027, 3, 17, 16)),
        (at(2027, 3, 19, 2), at(2027, 3, 19, 3)),
    ]


def test_transparent_and_cancelled_events_leave_the_time_free(w):
    text = calendar(
        event("free", ":20270322T010000Z", ":20270322T020000Z", "TRANSP:TRANSPARENT"),
        event("off", ":20270322T030000Z", ":20270322T040000Z", "STATUS:CANCELLED"),
        event("busy", ":20270322T050000Z", ":20270322T060000Z", "TRANSP:OPAQUE"),
    )
    source = services.add_upload(actor=w.lei, user=w.lei, name="work", content=text)
    assert intervals(source, at(2027, 3, 21), at(2027, 3, 23)) == [
        (at(2027, 3, 22, 5), at(2027, 3, 22, 6))
    ]


def test_iana_zone_with_dst_and_weekly_rule(w):
    text = calendar(
        event(
            "weekly",
            ";TZID=Europe/Berlin:20270322T100000",
            ";TZID=Europe/Berlin:20270322T110000",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        )
    )
    source = services.add_upload(actor=w.lei, user=w.lei, name="work", content=text)
    # Berlin moves to summer time on 28 March 2027: 10:00 is 09:00Z, then 08:00Z.
    assert intervals(source, at(2027, 3, 20), at(2027, 4, 1)) == [
        (at(2027, 3, 22, 9), at(2027, 3, 22, 10)),
        (at(2027, 3, 29, 8), at(2027, 3, 29, 9)),
    ]


@pytest.mark.parametrize(
    "content, problem",
    [
        ("hello, this is not a calendar", "BEGIN:VCALENDAR"),
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:garbage\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n",
            "",
        ),
        (b"\xff\xfe\x00broken", "UTF-8"),
    ],
)
def test_a_malformed_upload_is_refused_with_the_reason_and_nothing_is_stored(w, content, problem):
    with pytest.raises(Refused) as refused:
        services.add_upload(actor=w.lei, user=w.lei, name="bad", content=content)
    assert refused.value.code == "calendar.ics_invalid"
    assert "bad" in refused.value.message and problem in refused.value.message
    assert not CalendarSource.objects.exists()


def test_only_the_owner_or_an_admin_manages_a_calendar(w):
    with pytest.raises(Refused) as refused:
        services.add_upload(actor=w.charlie, user=w.lei, name="x", content=calendar())
    assert refused.value.code == "calendar.not_owner"
