"""Writes on process health: the organisation's thresholds for the rules."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from techalign.audit.services import record, transition
from techalign.core.errors import Refused
from techalign.core.versions import compare_and_set
from techalign.health.models import HealthSettings
from techalign.health.rules import RULES
from techalign.org.models import User
from techalign.org.permissions import is_admin
from techalign.plans.models import Phase

DAY_FIELDS = {
    "alignment_days_before_dev_start",
    "alignment_days_before_launch",
    "blocking_question_days",
    "ask_days_before_due",
}
SETTINGS_FIELDS = DAY_FIELDS | {"late_change_phase", "disabled_rules"}
DAY_LIMIT = 250


@transition("health.settings_updated")
def update_health_settings(
    *, actor: User | None, version: int | None = None, **changes: Any
) -> HealthSettings:
    """An administrator changes thresholds (or switches rules off); the rest keep their value.

    `version` is the one the caller read (0 before anybody saved settings); an edit made on an
    older read is refused. `actor` None is the operator at the server's console.
    """
    if actor is not None and not is_admin(actor):
        raise Refused("org.admin_required", user=str(actor), action=_("change health settings"))
    unknown = set(changes) - SETTINGS_FIELDS
    if unknown:
        raise Refused("input.invalid", field=", ".join(sorted(unknown)), problem=_("not editable"))
    for name in DAY_FIELDS & set(changes):
        value = changes[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= DAY_LIMIT:
            raise Refused(
                "input.invalid",
                field=name,
                problem=_("a number of working days from 0 to %(n)d") % {"n": DAY_LIMIT},
            )
    if "late_change_phase" in changes and changes["late_change_phase"] not in Phase.values:
        raise Refused("input.invalid", field="late_change_phase", problem=", ".join(Phase.values))
    if "disabled_rules" in changes:
        codes = changes["disabled_rules"]
        if not isinstance(codes, list) or any(code not in RULES for code in codes):
            raise Refused("input.invalid", field="disabled_rules", problem=", ".join(RULES))
        changes["disabled_rules"] = sorted(set(codes))
    # The row is made first, so two first writers still meet at the compare-and-set.
    settings, _created = HealthSettings.objects.get_or_create(pk=1)
    before = {name: getattr(settings, name) for name in changes}
    compare_and_set(
        settings,
        version,
        kind=_("Process-health settings"),
        ref="health",
        updated_by=actor,
        updated_at=timezone.now(),
        **changes,
    )
    settings.refresh_from_db()
    record(
        actor=actor,
        action="health.settings_updated",
        target=settings,
        summary={"before": before, "after": changes},
    )
    return settings
