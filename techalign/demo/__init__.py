"""The demo organisation: three departments, a technical committee, a service catalog, and
requirements at every step of the process, loaded through the real services.

- `org`: the organisation as tables (departments, teams, people, components, personas), admin
  data written directly;
- `steps`: the building blocks, each a service call or a short run of them;
- `stories`: the current requirements, one function per story, each at another step;
- `history`: a year of finished and late requirements for the process reports;
- `logins`: the accounts as a table for the terminal.

Every requirement, plan, review, meeting and sign-off goes through the services, so the audit
log holds the whole story and its chain verifies. Dates are relative to the day of loading, so
the meetings and milestones are always near (and some milestones overdue).
"""

from __future__ import annotations

import datetime as dt
import enum

from django.utils import timezone

from techalign.audit.services import batch
from techalign.demo.history import load_history
from techalign.demo.logins import Login, demo_logins, format_logins
from techalign.demo.org import (
    COMPONENTS,
    DEMO_DEPARTMENTS,
    DEMO_PASSWORD,
    DEPARTMENTS,
    PEOPLE,
    PERSONAS,
    SHANGHAI,
    SUPERUSER,
    build_org,
)
from techalign.demo.stories import MAIN_SCENARIOS, MAIN_TITLE, tell_stories
from techalign.org.models import Department
from techalign.requirements.models import Requirement

__all__ = [
    "COMPONENTS",
    "DEMO_PASSWORD",
    "DEPARTMENTS",
    "MAIN_SCENARIOS",
    "MAIN_TITLE",
    "PEOPLE",
    "PERSONAS",
    "SHANGHAI",
    "SUPERUSER",
    "Login",
    "Outcome",
    "demo_logins",
    "format_logins",
    "is_empty",
    "is_loaded",
    "load_demo",
]


class Outcome(enum.StrEnum):
    """What `load_demo` did."""

    LOADED = "loaded"
    ALREADY_LOADED = "already_loaded"
    NOT_EMPTY = "not_empty"


def is_loaded() -> bool:
    """The demo is there when its departments are."""
    return Department.objects.filter(code__in=DEMO_DEPARTMENTS).exists()


def is_empty() -> bool:
    """No organisation set up yet: nothing a demo could collide with or be mistaken for."""
    return not Department.objects.exists() and not Requirement.objects.exists()


def load_demo(
    *, only_if_empty: bool = False, today: dt.date | None = None, with_history: bool = False
) -> Outcome:
    """Load the demo organisation unless it is already there; all of it or nothing.

    With `only_if_empty`, a database that already holds an organisation is left alone.
    `today` (Asia/Shanghai) anchors the relative dates; it defaults to the current day.
    `with_history` adds a year of finished and late requirements, so that the health views and
    reports have figures; it takes several seconds, which tests of the pages do without.
    """
    if is_loaded():
        return Outcome.ALREADY_LOADED
    if only_if_empty and not is_empty():
        return Outcome.NOT_EMPTY
    with batch():
        org = build_org(today or timezone.localdate(timezone=SHANGHAI))
        if with_history:
            # Before the stories, so the current requirements keep the highest numbers.
            load_history(today=org.today)
        tell_stories(org)
    return Outcome.LOADED


# --- the organisation -------------------------------------------------------------------------
