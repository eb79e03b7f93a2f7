"""Working time: each person's working hours in their own time zone, on the org's working days.

Without a break of their own, everyone keeps the org-wide lunch break (see `lunch_break`).
A public holiday or company day off removes a day for everyone; a make-up working day (调休) or
an extra company working day adds one, even on a weekday the person does not normally work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings

from techalign.calendars import workdays
from techalign.calendars.busy import zone_of
from techalign.calendars.models import WorkingHours
from techalign.org.models import User

Interval = tuple[int, int]


def hours_of(users: Iterable[User]) -> dict[int, WorkingHours]:
    """Each user's working hours, the defaults for those who set none (one query)."""
    users = list(users)
    stored = {h.user_id: h for h in WorkingHours.objects.filter(user__in=users)}
    return {u.pk: stored.get(u.pk) or WorkingHours(user=u) for u in users}


def lunch_break(hours: WorkingHours) -> tuple[dt.time | None, dt.time | None]:
    """The person's own break; without one, the org-wide lunch break (setting
    TECHALIGN_LUNCH_BREAK, "12:00-13:30" by default, the usual Chinese office lunch and nap;
    "" for none), in the person's own zone. Nobody is offered a meeting over lunch."""
    if hours.break_starts and hours.break_ends:
        return hours.break_starts, hours.break_ends
    default = getattr(settings, "TECHALIGN_LUNCH_BREAK", "12:00-13:30")
    if not default:
        return None, None
    begins, _sep, ends = default.partition("-")
    try:
        return dt.time.fromisoformat(begins.strip()), dt.time.fromisoformat(ends.strip())
    except ValueError:
        return None, None  # an unreadable setting takes no hours away from anyone


def works_on(hours: WorkingHours, day: workdays.DayInfo) -> bool:
    if not day.is_workday:
        return False
    # Make-up and company working days come from a named source, not the weekday rule.
    return day.source != workdays.Source.WEEKDAY or day.on.isoweekday() in hours.weekdays


def working_windows(
    user: User,
    hours: WorkingHours,
    calendar: workdays.Calendar,
    start: dt.datetime,
    end: dt.datetime,
) -> list[Interval]:
    """The user's working intervals (epoch seconds) overlapping [start, end)."""
    zone = zone_of(user)
    low, high = int(start.timestamp()), int(end.timestamp())
    first = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    parts = [(hours.starts, hours.ends)]
    break_starts, break_ends = lunch_break(hours)
    if break_starts and break_ends and hours.starts < break_starts < break_ends < hours.ends:
        parts = [(hours.starts, break_starts), (break_ends, hours.ends)]
    windows = []
    for n in range((last - first).days + 1):
        on = first + dt.timedelta(days=n)
        if not works_on(hours, calendar.day(on)):
            continue
        for begins, ends in parts:
            # Combining with a ZoneInfo applies that day's offset, daylight-saving included.
            s = int(dt.datetime.combine(on, begins, tzinfo=zone).timestamp())
            e = int(dt.datetime.combine(on, ends, tzinfo=zone).timestamp())
            s, e = max(s, low), min(e, high)
            if e > s:
                windows.append((s, e))
    return windows


def subtract(windows: list[Interval], busy: list[Interval], pad: int = 0) -> list[Interval]:
    """`windows` minus `busy`, each busy interval widened by `pad` seconds on both sides.
    Both lists are sorted and non-overlapping."""
    free = []
    busy = [(s - pad, e + pad) for s, e in busy]
    j = 0
    for start, end in windows:
        cursor = start
        while j < len(busy) and busy[j][1] <= cursor:
            j += 1
        k = j
        while k < len(busy) and busy[k][0] < end:
            if busy[k][0] > cursor:
                free.append((cursor, busy[k][0]))
            cursor = max(cursor, busy[k][1])
            k += 1
        if cursor < end:
            free.append((cursor, end))
    return free
