"""Reading ICS: parse a calendar and expand its events into busy intervals.

Expansion honours RRULE, RDATE, EXDATE and RECURRENCE-ID overrides (recurring-ical-events),
VTIMEZONE definitions and daylight-saving time (icalendar builds the zone from the file when
its TZID is not an IANA name). Transparent (TRANSP:TRANSPARENT) and cancelled events are free
time. All-day events and floating times are read in the calendar owner's time zone.

A calendar comes from outside (an upload, a feed, a CalDAV server) and costs time to read, so
reading is bounded before any work is done, and a calendar past a bound is refused with the
bound named (the last good calendar of a feed stays):

- at most ICS_LIMIT bytes, MAX_LINES content lines, MAX_COMPONENTS components of which
  MAX_EVENTS events, nested at most MAX_DEPTH deep (checked on the text, before parsing);
- recurrence rules are costed before they are expanded: at most MAX_RULE_STEPS repetitions
  from an event's first start to the end of the span read (RRULE:FREQ=SECONDLY from 1970 is
  two billion), and at most MAX_OCCURRENCES occurrences per calendar inside that span;
- busy time is only expanded within EXPANSION_BEHIND before and EXPANSION_AHEAD after now;
  busy time outside that horizon is not read from external calendars.

Parsing and expanding happen before any write transaction (see busy.expand_text).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.utils import timezone
from django.utils.translation import gettext

from techalign.calendars.models import ICS_LIMIT

# Bounds on one calendar source; measured so that the largest calendar they let through is
# read in about a second on a small server.
MAX_LINES = 20_000
MAX_COMPONENTS = 2_000
MAX_EVENTS = 1_000
MAX_DEPTH = 4
MAX_RULE_STEPS = 50_000
MAX_OCCURRENCES = 2_000
EXPANSION_BEHIND = dt.timedelta(days=31)
EXPANSION_AHEAD = dt.timedelta(days=400)

# The shortest time one step of each frequency covers (a month is at least 28 days).
_STEP_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
_FINENESS = list(_STEP_SECONDS)

Interval = tuple[int, int]
TIME_PROPERTIES = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}


class IcsError(Exception):
    """The text is not a calendar we can read; `problem` says why, for the user."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


def decode(text: str | bytes) -> str:
    """The calendar as text, refusing what is not UTF-8 or larger than ICS_LIMIT."""
    if isinstance(text, bytes):
        if len(text) > ICS_LIMIT:
            raise _too_large()
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise IcsError(
                gettext("not UTF-8 text (%(reason)s)") % {"reason": error.reason}
            ) from error
    if len(text) > ICS_LIMIT:
        raise _too_large()
    return text


def _too_large() -> IcsError:
    return IcsError(gettext("the file is larger than %(limit)d KiB") % {"limit": ICS_LIMIT // 1024})


def inspect(text: str) -> None:
    """Refuse, from the text alone and before parsing, a calendar with too many lines,
    components or events, or nested too deep (the parser's time grows with each)."""
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise IcsError(
            gettext("it has %(count)d lines; at most %(limit)d are read")
            % {"count": lines, "limit": MAX_LINES}
        )
    depth = components = events = 0
    for line in text.splitlines():
        head = line[:6].upper()
        if head.startswith("BEGIN:"):
            depth, components = depth + 1, components + 1
            if line[6:].strip().upper() == "VEVENT":
                events += 1
            if depth > MAX_DEPTH:
                raise IcsError(
                    gettext("its components are nested more than %(limit)d deep")
                    % {"limit": MAX_DEPTH}
                )
        elif head.startswith("END:"):
            depth -= 1
    require_few_events(events)
    if components > MAX_COMPONENTS:
        raise IcsError(
            gettext("it has %(count)d components; at most %(limit)d are read per calendar")
            % {"count": components, "limit": MAX_COMPONENTS}
        )


def require_few_events(count: int) -> None:
    """Refuse a calendar of more than MAX_EVENTS events."""
    if count > MAX_EVENTS:
        raise IcsError(
            gettext("it has %(count)d events; at most %(limit)d are read per calendar")
            % {"count": count, "limit": MAX_EVENTS}
        )


def parse(text: str | bytes) -> icalendar.Calendar:
    """Parse one VCALENDAR, refusing what is too large, not ICS, or has no calendar in it."""
    text = decode(text)
    if "BEGIN:VCALENDAR" not in text[:2000].upper():
        raise IcsError(gettext("it has no BEGIN:VCALENDAR line; this is not an ICS calendar"))
    inspect(text)
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise IcsError(gettext("unreadable ICS: %(error)s") % {"error": error}) from error
    if calendar.name != "VCALENDAR":
        raise IcsError(gettext("the file's top component is not VCALENDAR"))
    # Report a broken date or rule now, at upload or fetch, not later at search time. Errors in
    # other properties (attendees, vendor extensions) do not change busy time and are let be.
    for event in calendar.walk("VEVENT"):
        if "DTSTART" not in event:
            raise IcsError(gettext("event %(uid)s has no DTSTART") % {"uid": event.get("UID", "?")})
        for name, problem in event.errors:
            if name in TIME_PROPERTIES:
                raise IcsError(
                    gettext("event %(uid)s: %(name)s: %(problem)s")
                    % {"uid": event.get("UID", "?"), "name": name, "problem": problem}
                )
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


def horizon(
    start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) clipped to the expansion horizon around now (possibly empty)."""
    now = now or timezone.now()
    low, high = max(start, now - EXPANSION_BEHIND), min(end, now + EXPANSION_AHEAD)
    return low, max(low, high)


def _as_datetime(value: dt.date | dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    return dt.datetime.combine(value, dt.time(0), tzinfo=zone)


def _per_step(rule: icalendar.vRecur, freq: str) -> int:
    """At most how many occurrences one step of the rule makes (its BYxxx expansions)."""
    rank = _FINENESS.index(freq)
    count = 1
    # Times of day expand when they are finer than the frequency.
    for part, fineness in (
        ("BYHOUR", "HOURLY"),
        ("BYMINUTE", "MINUTELY"),
        ("BYSECOND", "SECONDLY"),
    ):
        if rank < _FINENESS.index(fineness) and rule.get(part):
            count *= len(rule[part])
    days = {"WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}.get(freq, 1)
    if days > 1:
        chosen = [len(rule.get(part, [])) for part in ("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO")]
        by_day = rule.get("BYDAY", [])
        if by_day:
            # "MO" every week of the period; "2TU" once.
            weeks = {"WEEKLY": 1, "MONTHLY": 5, "YEARLY": 53}[freq]
            chosen.append(sum(1 if str(d)[0] in "+-0123456789" else weeks for d in by_day))
        per = max([n for n in chosen if n] or [1])
        if rule.get("BYMONTH") and freq == "YEARLY":
            per = per * len(rule["BYMONTH"]) if per > 1 else len(rule["BYMONTH"])
        count *= min(per, days)
    if rule.get("BYSETPOS"):
        count = min(count, len(rule["BYSETPOS"]))
    return count


def _steps(
    rule: icalendar.vRecur, first: dt.datetime, start: dt.datetime, end: dt.datetime
) -> tuple[int, int]:
    """(repetitions from `first` to `end`, occurrences in [start, end)), both at most."""
    freq = str((rule.get("FREQ") or ["DAILY"])[0]).upper()
    if freq not in _STEP_SECONDS:
        return 0, 0
    interval = max(int((rule.get("INTERVAL") or [1])[0]), 1)
    step = _STEP_SECONDS[freq] * interval
    until = (rule.get("UNTIL") or [None])[0]
    if until is not None:
        end = min(end, _as_datetime(until, first.tzinfo) + dt.timedelta(days=1))
    per_step = _per_step(rule, freq)

    def within(low: dt.datetime) -> int:
        seconds = (end - max(low, first)).total_seconds()
        return 0 if seconds <= 0 else (math.floor(seconds / step) + 1) * per_step

    total, inside = within(first), within(start)
    if rule.get("COUNT") and not any(k.startswith("BY") for k in rule):
        count = int(rule["COUNT"][0])
        total, inside = min(total, count), min(inside, count)
    return total, inside


def require_bounded(
    calendar: icalendar.Calendar, start: dt.datetime, end: dt.datetime, zone: ZoneInfo
) -> None:
    """Refuse a calendar whose recurrences would cost more than the bounds to expand in
    [start, end): the price is counted from the rules, before dateutil walks them."""
    occurrences = 0
    for event in calendar.walk("VEVENT"):
        uid = event.get("UID", "?")
        rules = event.get("RRULE") or []
        rules = rules if isinstance(rules, list) else [rules]
        try:
            first = _as_datetime(event.decoded("DTSTART"), zone)
        except (ValueError, TypeError, KeyError):
            continue
        inside_event = 1
        for rule in rules:
            total, inside = _steps(rule, first, start, end)
            if total > MAX_RULE_STEPS:
                raise IcsError(
                    gettext(
                        "event %(uid)s repeats about %(count)d times from %(first)s to "
                        "%(end)s; at most %(limit)d repetitions are read per event"
                    )
                    % {
                        "uid": uid,
                        "count": total,
                        "first": first.date().isoformat(),
                        "end": end.date().isoformat(),
                        "limit": MAX_RULE_STEPS,
                    }
                )
            inside_event += inside
        dates = event.get("RDATE") or []
        for listed in dates if isinstance(dates, list) else [dates]:
            inside_event += len(getattr(listed, "dts", []))
        occurrences += inside_event
        if occurrences > MAX_OCCURRENCES:
            raise _too_many(occurrences, start, end)


def _too_many(count: int, start: dt.datetime, end: dt.datetime) -> IcsError:
    return IcsError(
        gettext(
            "its events occur about %(count)d times between %(start)s and %(end)s; at most "
            "%(limit)d occurrences are read per calendar"
        )
        % {
            "count": count,
            "start": start.date().isoformat(),
            "end": end.date().isoformat(),
            "limit": MAX_OCCURRENCES,
        }
    )


def busy_intervals(
    calendar: icalendar.Calendar, start: dt.datetime, end: dt.datetime, zone: ZoneInfo
) -> list[Interval]:
    """Merged busy [start, end) intervals in epoch seconds between two aware datetimes,
    within the expansion horizon. Raises IcsError for a calendar past the bounds."""
    start, end = horizon(start, end)
    if end <= start:
        return []
    low, high = int(start.timestamp()), int(end.timestamp())
    # Floating and all-day events are compared in local time: widen the query by a day so a
    # zone far from UTC cannot lose the edges, then clip exactly.
    margin = dt.timedelta(days=1)
    require_bounded(calendar, start - margin, end + margin, zone)
    try:
        occurrences = recurring_ical_events.of(calendar).between(start - margin, end + margin)
        if len(occurrences) > MAX_OCCURRENCES:
            raise _too_many(len(occurrences), start, end)
        found = []
        for event in occurrences:
            if event.name != "VEVENT" or not is_busy(event):
                continue
            first, last = _span(event)
            s, e = max(_epoch(first, zone), low), min(_epoch(last, zone), high)
            if e > s:
                found.append((s, e))
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise IcsError(gettext("cannot expand the events: %(error)s") % {"error": error}) from error
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
