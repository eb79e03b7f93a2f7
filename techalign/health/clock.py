"""Running the services at a moment in the past, for history that must read as it happened.

Every service and every `auto_now_add` field takes the time from `django.utils.timezone.now`,
so pointing that one function at a movable clock dates the rows and the audit events alike;
the audit chain stays valid because the events are still written (and hashed) by the
services, in order. Used by the demo's history and by the report tests, never by requests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone


class Clock:
    """A clock that stands at `moment` and ticks by a millisecond per reading, so events
    written in one step keep their order."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment
        self._ticks = 0

    def now(self) -> dt.datetime:
        self._ticks += 1
        return self.moment + dt.timedelta(milliseconds=self._ticks)

    def set(self, moment: dt.datetime) -> None:
        self.moment, self._ticks = moment, 0

    def advance(self, **delta: float) -> None:
        self.set(self.moment + dt.timedelta(**delta))


@contextmanager
def clock_at(moment: dt.datetime) -> Iterator[Clock]:
    """Within the block, `timezone.now()` reads the returned clock."""
    clock, original = Clock(moment), timezone.now
    timezone.now = clock.now
    try:
        yield clock
    finally:
        timezone.now = original
