"""Small reads the domain tests share: what a user would look at after an action."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.utils.translation import to_locale

from techalign.audit.models import AuditEvent
from techalign.plans import selectors
from techalign.plans.models import Revision
from techalign.requirements.models import Requirement


def due(days: int = 30) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


def current(req: Requirement) -> Revision:
    req.refresh_from_db()
    revision = selectors.current_revision(req)
    assert revision is not None
    return revision


def finalize_current(req: Requirement, actor):
    """Finalize the current revision as read now (the number and hash a user would send)."""
    from techalign.plans import services as plans

    revision = current(req)
    return plans.finalize(
        requirement=req,
        actor=actor,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )


def add_progress_item(req: Requirement, actor, *, based_on: int = 3):
    """A DEV adds one UI item covering S-1 to the plan: the usual way to make a new revision."""
    from techalign.org.models import Component
    from techalign.plans import services

    return services.add_item(
        requirement=req,
        actor=actor,
        based_on=based_on,
        component=Component.objects.get(key="order-service"),
        kind="ui",
        title="退款进度条",
        scenario_keys=["S-1"],
        confirm=True,  # after review it withdraws the approval: the caller means to
    )


def revision_count(req: Requirement) -> int:
    return Revision.objects.filter(plan__requirement=req).count()


def status_of(req: Requirement) -> str:
    req.refresh_from_db(fields=["status"])
    return req.status


def last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def events_after(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def has_zh_catalog() -> bool:
    """True once someone has compiled the Chinese translations of our own messages."""
    return any(
        (Path(path) / to_locale("zh-hans") / "LC_MESSAGES" / "django.mo").exists()
        for path in settings.LOCALE_PATHS
    )
