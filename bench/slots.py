"""The slot finder for 20 required invitees, each with a year of recurring and single events.

Calendars are uploaded through the calendar services (parsed and expanded as in production)
inside a transaction that is rolled back at the end, so the benchmark database is unchanged.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from typing import Any

from django.db import connection

INVITEES = 20
RUNS = 30


class NotReady(Exception):
    """The calendars app is not there yet (or not migrated)."""


class _Rollback(Exception):
    pass


def year_of_events(rng: random.Random, start: dt.datetime) -> str:
    """An ICS calendar: weekly meetings and a daily stand-up for a year, and 150 one-offs."""
    stamp = "%Y%m%dT%H%M%SZ"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//techalign bench//EN"]

    def event(uid: str, begin: dt.datetime, minutes: int, rule: str = "") -> None:
        lines.extend(
            [
                "BEGIN:VEVENT",
                f"UID:{uid}@bench",
                f"DTSTAMP:{start.strftime(stamp)}",
                f"DTSTART:{begin.strftime(stamp)}",
                f"DTEND:{(begin + dt.timedelta(minutes=minutes)).strftime(stamp)}",
                *([f"RRULE:{rule}"] if rule else []),
                "SUMMARY:busy",
                "END:VEVENT",
            ]
        )

    monday = (start - dt.timedelta(days=start.weekday())).replace(
        hour=1, minute=0, second=0, microsecond=0
    )
    event(
        "standup", monday + dt.timedelta(hours=1), 15, "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=260"
    )
    for n in range(5):
        begin = monday + dt.timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 8))
        event(f"weekly-{n}", begin, rng.choice((30, 60, 90)), "FREQ=WEEKLY;COUNT=52")
    for n in range(150):
        begin = monday + dt.timedelta(
            days=rng.randint(0, 364), hours=rng.randint(0, 9), minutes=rng.choice((0, 15, 30, 45))
        )
        event(f"single-{n}", begin, rng.choice((30, 60, 120)))
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def measure() -> dict[str, Any]:
    try:
        from techalign.calendars.models import CalendarSource
        from techalign.calendars.services import add_upload
        from techalign.calendars.slots import find_slots
    except ImportError as missing:
        raise NotReady(f"techalign.calendars incomplete ({missing})") from None
    if CalendarSource._meta.db_table not in connection.introspection.table_names():
        raise NotReady("calendars tables not migrated")
    from techalign.audit.services import batch
    from techalign.org.models import User

    rng = random.Random(20)
    users = list(User.objects.order_by("pk")[: INVITEES * 10 : 10])
    now = dt.datetime.now(dt.UTC)
    values: dict[str, Any] = {}
    try:
        # A batch, so the upload services (durable transitions) nest in the rolled-back block.
        with batch():
            started = time.perf_counter()
            for user in users:
                add_upload(
                    actor=user, user=user, name="bench year", content=year_of_events(rng, now)
                )
            values["upload_and_expand_s_per_calendar"] = round(
                (time.perf_counter() - started) / len(users), 3
            )
            for horizon in (14, 90):
                samples = []
                for _ in range(RUNS):
                    t = time.perf_counter()
                    search = find_slots(
                        required=users,
                        duration=dt.timedelta(hours=1),
                        horizon=dt.timedelta(days=horizon),
                    )
                    samples.append((time.perf_counter() - t) * 1000)
                cuts = statistics.quantiles(samples, n=100, method="inclusive")
                values[f"horizon_{horizon}d"] = {
                    "p50": round(cuts[49], 1),
                    "p95": round(cuts[94], 1),
                    "candidates": search.candidates,
                    "slots": len(search.slots),
                }
            raise _Rollback
    except _Rollback:
        pass
    values["p50"] = values["horizon_14d"]["p50"]
    values["p95"] = values["horizon_14d"]["p95"]
    return values
