"""Bounds on every date, time and duration a person gives: one validator for all services.

A date far outside the working life of the site breaks more than it says: a stored
9999-12-31T23:00Z cannot be converted to Asia/Shanghai (OverflowError) and every page showing
it fails for every invitee. So each service checks what it is given here, at input, whatever
door it came through (API, form, CLI, Markdown import), and refuses with the field named.

The window is fixed rather than relative to today, so that a date accepted once stays valid
when it is edited again later:

- dates and times: 2000-01-01 to 2100-12-31 (in the value's own time zone);
- a meeting lasts at most 12 hours (MEETING_LONGEST);
- a count of days (a token's lifetime, a search horizon) at most DAYS_LONGEST.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from techalign.core.errors import Refused

EARLIEST_ON = dt.date(2000, 1, 1)
LATEST_ON = dt.date(2100, 12, 31)
MEETING_LONGEST = dt.timedelta(hours=12)
DAYS_LONGEST = 3660


def is_in_range(value: dt.date | dt.datetime | None) -> bool:
    """Whether a date or datetime lies in the accepted window (None: nothing to check)."""
    if value is None:
        return True
    day = value.date() if isinstance(value, dt.datetime) else value
    return EARLIEST_ON <= day <= LATEST_ON


def require_in_range(field: str, value: dt.date | dt.datetime | None) -> None:
    """Refuse a date or datetime outside 2000-01-01..2100-12-31, naming the field."""
    if not is_in_range(value):
        raise Refused(
            "input.date_out_of_range",
            field=field,
            value=value.isoformat() if value is not None else "",
            earliest=EARLIEST_ON.isoformat(),
            latest=LATEST_ON.isoformat(),
        )


def require_span(
    field: str, starts: dt.datetime, ends: dt.datetime, *, longest: dt.timedelta
) -> None:
    """Refuse a span (both ends in range) that lasts longer than `longest`, naming the field."""
    require_in_range(field, starts)
    require_in_range(field, ends)
    if ends - starts > longest:
        raise Refused(
            "input.duration_too_long",
            field=field,
            duration=_hours(ends - starts),
            limit=_hours(longest),
        )


def require_days(field: str, days: int | None, *, longest: int = DAYS_LONGEST) -> None:
    """Refuse a count of days below 0 or above `longest` before it becomes a timedelta."""
    if days is not None and not 0 <= days <= longest:
        raise Refused(
            "input.days_out_of_range", field=field, value=days, earliest=0, latest=longest
        )


def localtime(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time in the current time zone, or None when it lies outside the accepted
    dates (stored before they were bounded), where the zone may not represent it at all."""
    if value is None or not is_in_range(value):
        return None
    return timezone.localtime(value)


def _hours(span: dt.timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} h" if hours < 48 else f"{span.days} d"
