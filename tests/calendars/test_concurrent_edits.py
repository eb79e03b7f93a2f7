"""Two people (or two tabs) saving the same version at once: one edit wins, the other is refused,
also when neither found a row yet to lock."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection

from techalign.calendars.models import WorkingHours
from techalign.calendars.services import set_working_hours
from techalign.core.errors import Refused
from techalign.notify.models import Preference, PreferenceSet
from techalign.notify.services import set_preference
from tests.factories import world

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    # The in-memory SQLite test database refuses a second writer outright ("table is locked");
    # served from a file, SQLite's IMMEDIATE transactions take turns instead.
    reason="writers at once: PostgreSQL only",
)


def at_once(*writes) -> list[str]:
    """Run the writes in threads released together; each outcome is "done" or a refusal code."""
    start = threading.Barrier(len(writes))
    outcomes: list[str] = []

    def run(write) -> None:
        start.wait()
        try:
            write()
            outcomes.append("done")
        except Refused as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(write,)) for write in writes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


def test_two_first_settings_of_working_hours_one_wins(transactional_db):
    w = world()

    def hours(starts: int):
        return lambda: set_working_hours(
            actor=w.lei, user=w.lei, starts=dt.time(starts), ends=dt.time(18), version=0
        )

    assert at_once(hours(8), hours(10)) == ["conflict.stale_version", "done"]
    saved = WorkingHours.objects.get(user=w.lei)
    assert saved.version == 1 and saved.starts.hour in {8, 10}


def test_two_first_choices_of_preferences_one_wins(transactional_db):
    w = world()

    def choose(event: str):
        return lambda: set_preference(actor=w.lei, user=w.lei, event=event, email=False, version=0)

    assert at_once(choose("meeting.invited"), choose("question.asked")) == [
        "conflict.stale_version",
        "done",
    ]
    assert PreferenceSet.objects.get(user=w.lei).version == 1
    assert Preference.objects.filter(user=w.lei).count() == 1
