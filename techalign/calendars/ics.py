"""Reading ICS: parse a calendar and expand its events into busy intervals.

Expansion honours RRULE, RDATE, EXDATE and RECURRENCE-ID overrides (recurring-ical-events),
VTIMEZONE definitions and daylight-saving time (icalendar builds the zone from the file when
its TZID is not an IANA name). Transparent (TRANSP:TRANSPARENT) and cancelled events are free
time. All-day events and floating times are read in the calendar owner's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from techalign.calendars.models import ICS_LIMIT

Interval = tuple[int, int]
TIME_PROPERTIES = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}


class IcsError(Exception):
    """The text is not a calendar we can read; `problem` says why, for the user."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


def parse(text: str | bytes) -> icalendar.Calendar:
    """Parse one VCALENDAR, refusing what is too large, not ICS, or has no calendar in it."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise IcsError(f"not UTF-8 text ({error.reason})") from error
    if len(text) > ICS_LIMIT:
        raise IcsError(f"larger than {ICS_LIMIT // (1024 * 1024)} MiB")
    if "BEGIN:VCALENDAR" not in text[:2000].upper():
        raise IcsError("no BEGIN:VCALENDAR line; this is not an ICS calendar")
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise IcsError(f"unreadable ICS: {error}") from error
    if calendar.name != "VCALENDAR":
        raise IcsError("the file's top component is not VCALENDAR")
    # Report a broken date or rule now, at upload or fetch, not later at search time. Errors in
    # other properties (attendees, vendor extensions) do not change busy time and are let be.
    for event in calendar.walk("VEVENT"):
        if "DTSTART" not in event:
            raise IcsError(f"event {event.get('UID', '?')} has no DTSTART")
        for name, problem in event.errors:
            if name in TIME_PROPERTIES:
                raise IcsError(f"event {event.get('UID', '?')}: {name}: {problem}")
    return calendar


def _epoch(value: dt.date | dt.datetime, zone: ZoneInfo) -> int:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return int(value.timestamp())
    return int(dt.datetime.combine(value, dt.time(0), tzinfo=zone).timestamp())


def _span(event: icalendar.Event) -> tuple[dt.date | dt.datetime, dt.date | dt.datetime]:
    start = event.decoded("DTSTART")
    if "DTEND" in event:
        return start, event.decoded("DTEND")
    if "DURATION" in event:
        return start, start + event.decoded("DURATION")
    # RFC 5545 3.6.1: a date lasts one day; a date-time without an end takes no time.
    if not isinstance(start, dt.datetime):
        return start, start + dt.timedelta(days=1)
    return start, start


def is_busy(event: icalendar.Event) -> bool:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    return str(event.get("STATUS", "")).upper() != "CANCELLED"


def busy_intervals(
    calendar: icalendar.Calendar, start: dt.datetime, end: dt.datetime, zone: ZoneInfo
) -> list[Interval]:
    """Merged busy [start, end) intervals in epoch seconds between two aware datetimes."""
    low, high = int(start.timestamp()), int(end.timestamp())
    # Floating and all-day events are compared in local time: widen the query by a day so a
    # zone far from UTC cannot lose the edges, then clip exactly.
    margin = dt.timedelta(days=1)
    try:
        occurrences = recurring_ical_events.of(calendar).between(start - margin, end + margin)
        found = []
        for event in occurrences:
            if event.name != "VEVENT" or not is_busy(event):
                continue
            first, last = _span(event)
            s, e = max(_epoch(first, zone), low), min(_epoch(last, zone), high)
            if e > s:
                found.append((s, e))
    except (ValueError, TypeError, KeyError) as error:
        raise IcsError(f"cannot expand the events: {error}") from error
    return merge(found)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join overlapping or touching intervals."""
    merged: list[list[int]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]
