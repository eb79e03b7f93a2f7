"""The busy-time cache: expanded intervals per calendar source, read in one query per search.

Parsing and expanding a busy calendar costs about 0.1 s, so it happens when a source's content
changes (upload, fetch, CalDAV sync) or when a search reaches past the cached window, never
once per search. Meetings scheduled in techalign are busy time too; they are read live.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

from techalign.calendars import ics
from techalign.calendars.models import CalendarSource
from techalign.meetings.models import Invitee, Meeting
from techalign.org.models import User

Interval = tuple[int, int]


def zone_of(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def cache_window(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The span a source's busy time is expanded for by default."""
    now = now or timezone.now()
    ahead = dt.timedelta(days=getattr(settings, "TECHALIGN_BUSY_CACHE_DAYS", 180))
    return now - dt.timedelta(days=2), now + ahead


@dataclass(frozen=True)
class Expansion:
    """Busy time expanded from one calendar text, ready to be stored on its source."""

    busy: list[Interval]
    busy_from: dt.datetime
    busy_until: dt.datetime
    busy_hash: str
    busy_time_zone: str


def expand_text(
    text: str | bytes,
    zone: ZoneInfo,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> Expansion:
    """Parse and expand a calendar text into busy time (at least the default window), with no
    database access: call it before a write transaction, never inside one, because parsing
    and expanding take time and SQLite holds its one write lock for a whole transaction.

    Raises IcsError when the text cannot be read or is past the bounds in calendars.ics."""
    default_start, default_end = cache_window()
    start = min(start or default_start, default_start)
    end = max(end or default_end, default_end)
    text = ics.decode(text)
    busy = ics.busy_intervals(ics.parse(text), start, end, zone) if text else []
    return Expansion(
        busy=busy,
        busy_from=start,
        busy_until=end,
        busy_hash=digest(text) if text else "",
        busy_time_zone=zone.key,
    )


def digest(text: str) -> str:
    """The content hash a source keeps of its calendar text."""
    return hashlib.sha256(text.encode()).hexdigest()


def store_expansion(source: CalendarSource, expansion: Expansion) -> CalendarSource:
    """Write an expansion into the source's busy cache: one short UPDATE."""
    fields = {
        "busy": [list(i) for i in expansion.busy],
        "busy_from": expansion.busy_from,
        "busy_until": expansion.busy_until,
        "busy_hash": expansion.busy_hash or source.content_hash,
        "busy_time_zone": expansion.busy_time_zone,
        "expanded_at": timezone.now(),
    }
    CalendarSource.objects.filter(pk=source.pk).update(**fields)
    for name, value in fields.items():
        setattr(source, name, value)
    return source


def expand_source(
    source: CalendarSource, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> CalendarSource:
    """Expand the source's stored ICS text into its busy cache (at least the default window).
    Not to be called inside a write transaction (see expand_text).

    Raises IcsError when the stored text cannot be read."""
    expansion = expand_text(source.ics_text, zone_of(source.user), start=start, end=end)
    return store_expansion(source, expansion)


def _is_fresh(source: CalendarSource, start: dt.datetime, end: dt.datetime) -> bool:
    return (
        source.busy_hash == source.content_hash
        and source.busy_time_zone == zone_of(source.user).key
        and source.busy_from is not None
        and source.busy_until is not None
        and source.busy_from <= start
        and source.busy_until >= end
    )


def busy_by_user(
    users: Iterable[User],
    start: dt.datetime,
    end: dt.datetime,
    *,
    exclude_meeting: Meeting | None = None,
) -> dict[int, list[Interval]]:
    """Every user's merged busy intervals within [start, end), from the cache and from their
    techalign meetings. Stale cache entries are re-expanded (and saved) on the way."""
    users = list(users)
    low, high = int(start.timestamp()), int(end.timestamp())
    found: dict[int, list[Interval]] = defaultdict(list)
    sources = (
        CalendarSource.objects.filter(user__in=users, is_active=True)
        .exclude(content_hash="")
        .defer("ics_text")
        .select_related("user")
    )
    for source in sources:
        if not _is_fresh(source, start, end):
            source.refresh_from_db(fields=["ics_text"])
            # The stored text was valid when it was accepted; if a library upgrade now
            # rejects it, the last expansion is better than nothing.
            with contextlib.suppress(ics.IcsError):
                expand_source(source, start=start, end=end)
        found[source.user_id] += [(s, e) for s, e in source.busy if e > low and s < high]
    invitations = Invitee.objects.filter(
        user__in=users,
        meeting__status=Meeting.Status.SCHEDULED,
        meeting__starts_at__lt=end,
        meeting__ends_at__gt=start,
    )
    if exclude_meeting is not None:
        invitations = invitations.exclude(meeting=exclude_meeting)
    for user_id, starts_at, ends_at in invitations.values_list(
        "user_id", "meeting__starts_at", "meeting__ends_at"
    ):
        found[user_id].append((int(starts_at.timestamp()), int(ends_at.timestamp())))
    return {u.pk: ics.merge((max(s, low), min(e, high)) for s, e in found[u.pk]) for u in users}
