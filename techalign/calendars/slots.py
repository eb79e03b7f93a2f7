"""The slot finder: when can every required invitee meet?

Candidates start on a grid (every `step`) from now + minimum notice to the end of the horizon.
A person can attend a candidate when it lies inside their working time and keeps `buffer`
away from their busy time. The answer is the earliest `count` non-overlapping candidates that
suit every required invitee, best first for the optional ones. When none does, it offers the
candidates with the fewest required invitees missing, names them, and ranks who blocks most:
the people whose calendar alone stands in the way of the most candidates. With a `deadline`
(see `alignment_deadline`), slots after it are marked late.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import timezone

from techalign.calendars import availability, workdays
from techalign.calendars.busy import busy_by_user
from techalign.core import bounds
from techalign.core.errors import Refused

if TYPE_CHECKING:
    from techalign.meetings.models import Meeting
    from techalign.org.models import User
    from techalign.requirements.models import Requirement

Interval = tuple[int, int]


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    missing: tuple[User, ...] = ()
    optional_available: tuple[User, ...] = ()
    # Starts after the alignment deadline (see `alignment_deadline`).
    late: bool = False

    @property
    def suits_everyone(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class Blocker:
    user: User
    # Candidates where this person is the only required invitee who cannot come.
    sole_blocker: int
    # Candidates this person cannot attend at all.
    unavailable: int


@dataclass
class SlotSearch:
    required: list[User]
    optional: list[User]
    duration: dt.timedelta
    starts_at: dt.datetime
    ends_at: dt.datetime
    slots: list[Slot] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    candidates: int = 0
    # The last day to align on (site zone), when the requirement has a planned start.
    deadline: dt.date | None = None

    @property
    def suits_everyone(self) -> bool:
        return bool(self.slots) and self.slots[0].suits_everyone

    @property
    def days(self) -> int:
        return max(1, round((self.ends_at - self.starts_at) / dt.timedelta(days=1)))

    @property
    def why_none(self) -> str | None:
        """Why no slot suits everyone: "outside_working_hours" (no required invitee works in
        the period), "everyone_busy" (some work then, never all at once), or None."""
        if not self.slots:
            return "outside_working_hours"
        return None if self.suits_everyone else "everyone_busy"


def alignment_deadline(requirement: Requirement) -> dt.date | None:
    """The last day to hold the alignment meeting: the planned development start minus the
    working days the health rule TA111 asks for (HealthSettings.alignment_days_before_dev_start,
    or its high-risk threshold for a high-risk requirement)."""
    from techalign.health.models import HealthSettings

    planned = getattr(requirement, "planned_dev_start_on", None)
    if planned is None:
        return None
    settings = HealthSettings.current()
    minimum = (
        settings.alignment_days_before_dev_start_high_risk
        if getattr(requirement, "risk", "")
        else settings.alignment_days_before_dev_start
    )
    return workdays.add_working_days(planned, -minimum)


class _Free:
    """One person's free intervals, searchable by bisection."""

    def __init__(self, intervals: list[Interval]) -> None:
        self.starts = [s for s, _e in intervals]
        self.intervals = intervals

    def fits(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start) - 1
        return i >= 0 and self.intervals[i][1] >= end


def _aware(value: dt.datetime) -> dt.datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def find_slots(
    *,
    required: list[User],
    optional: list[User] | None = None,
    duration: dt.timedelta,
    count: int = 5,
    horizon: dt.timedelta = dt.timedelta(days=14),
    not_before: dt.datetime | None = None,
    notice: dt.timedelta = dt.timedelta(hours=2),
    buffer: dt.timedelta = dt.timedelta(0),
    step: dt.timedelta = dt.timedelta(minutes=15),
    exclude_meeting: Meeting | None = None,
    now: dt.datetime | None = None,
    deadline: dt.date | None = None,
) -> SlotSearch:
    """Search the invitees' cached busy time for meeting slots (see the module docstring)."""
    if not required:
        raise Refused("slots.no_invitees")
    if duration <= dt.timedelta(0) or duration > dt.timedelta(hours=12):
        raise Refused("slots.bad_request", problem="duration must be between 1 minute and 12 hours")
    if not 1 <= count <= 50 or horizon <= dt.timedelta(0) or horizon > dt.timedelta(days=366):
        raise Refused(
            "slots.bad_request", problem="count must be 1-50 and the horizon at most one year"
        )
    bounds.require_in_range("not_before", not_before)
    bounds.require_days("notice", notice.days)
    bounds.require_days("buffer", buffer.days)
    optional = [u for u in (optional or []) if u.pk not in {r.pk for r in required}]
    now = _aware(now or timezone.now())
    grid = int(step.total_seconds())
    first = max(_aware(not_before) if not_before else now, now + notice)
    low = -(-int(first.timestamp()) // grid) * grid
    start = dt.datetime.fromtimestamp(low, dt.UTC)
    end = start + horizon
    high = int(end.timestamp())
    length, pad = int(duration.total_seconds()), int(buffer.total_seconds())

    people = [*required, *optional]
    calendar = workdays.Calendar(
        start.date() - dt.timedelta(days=2), end.date() + dt.timedelta(days=2)
    )
    hours = availability.hours_of(people)
    busy = busy_by_user(people, start - buffer, end + buffer, exclude_meeting=exclude_meeting)
    free = {
        u.pk: _Free(
            availability.subtract(
                availability.working_windows(u, hours[u.pk], calendar, start, end), busy[u.pk], pad
            )
        )
        for u in people
    }
    search = SlotSearch(
        required=required,
        optional=optional,
        duration=duration,
        starts_at=start,
        ends_at=end,
        deadline=deadline,
    )
    candidates: list[tuple[int, tuple[User, ...]]] = []
    # By user id: candidate slots they alone miss, and slots they miss at all.
    sole: Counter[int] = Counter()
    unavailable: Counter[int] = Counter()
    for s in range(low, high - length + 1, grid):
        missing = tuple(u for u in required if not free[u.pk].fits(s, s + length))
        if len(missing) == len(required):
            continue  # nobody required is working then: not a candidate worth naming
        candidates.append((s, missing))
        unavailable.update(u.pk for u in missing)
        if len(missing) == 1:
            sole[missing[0].pk] += 1
    search.candidates = len(candidates)
    candidates.sort(key=lambda c: (len(c[1]), c[0]))
    if candidates and candidates[0][1]:
        fewest = len(candidates[0][1])
        candidates = [c for c in candidates if len(c[1]) == fewest]
    chosen: list[Slot] = []
    for s, missing in candidates:
        if any(
            s < int(c.ends_at.timestamp()) and s + length > int(c.starts_at.timestamp())
            for c in chosen
        ):
            continue
        coming = tuple(u for u in optional if free[u.pk].fits(s, s + length))
        begins = dt.datetime.fromtimestamp(s, dt.UTC)
        late = deadline is not None and timezone.localtime(begins).date() > deadline
        chosen.append(
            Slot(begins, dt.datetime.fromtimestamp(s + length, dt.UTC), missing, coming, late)
        )
        if len(chosen) == count:
            break
    # The earliest suitable slots, shown best-for-optional-invitees first.
    search.slots = sorted(
        chosen, key=lambda c: (len(c.missing), -len(c.optional_available), c.starts_at)
    )
    if not search.suits_everyone:
        search.blockers = sorted(
            (Blocker(u, sole[u.pk], unavailable[u.pk]) for u in required if unavailable[u.pk]),
            key=lambda b: (-b.sole_blocker, -b.unavailable, str(b.user)),
        )
    return search


def picked(query: Mapping[str, str]) -> tuple[dt.datetime, dt.datetime] | None:
    """The slot a person picked in the slot finder (`slot`: its start in ISO 8601, `minutes`:
    its length), to fill the meeting form with; None when absent or unreadable."""
    try:
        start = dt.datetime.fromisoformat(query.get("slot") or "")
        minutes = int(query.get("minutes") or 60)
    except (TypeError, ValueError):
        return None
    if not 1 <= minutes <= 720:
        return None
    start = timezone.localtime(_aware(start))
    return start, start + dt.timedelta(minutes=minutes)


def pick_query(slot: Slot) -> str:
    """The query string that hands `slot` to the meeting form (see `picked`)."""
    from urllib.parse import urlencode

    minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    return urlencode({"slot": slot.starts_at.isoformat(), "minutes": minutes})
