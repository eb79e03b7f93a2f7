"""Writes on process health: the organisation's thresholds for the rules, and the stored
findings the pages read."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from techalign.audit.services import record, transition
from techalign.core.db import refresh_planner_statistics
from techalign.core.errors import Refused
from techalign.core.versions import compare_and_set
from techalign.health.base import Finding, pack
from techalign.health.models import FindingsRefresh, FindingTally, HealthSettings, StoredFinding
from techalign.health.rules import RULES
from techalign.health.selectors import (
    Freshness,
    Parties,
    departments_of_teams,
    evaluate,
    freshness,
    requirement_parties,
    tallies_of,
)
from techalign.org.models import User
from techalign.org.services import require_admin
from techalign.plans.models import Phase
from techalign.requirements.models import Requirement, Status

DAY_FIELDS = {
    "alignment_days_before_dev_start",
    "alignment_days_before_dev_start_high_risk",
    "alignment_days_before_launch",
    "blocking_question_days",
    "ask_days_before_due",
    "suspect_link_days",
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
    if actor is not None:
        require_admin(actor, _("change health settings"))
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


# Requirements recomputed per transaction: short enough for SQLite's single write lock, large
# enough that the rules' per-run queries are shared by many requirements.
REFRESH_BATCH = 250


def refresh_findings(
    *,
    today: dt.date | None = None,
    everything: bool = False,
    at_most: int | None = None,
    batch_size: int = REFRESH_BATCH,
) -> Freshness:
    """Bring the stored findings up to date and return how fresh they are afterwards.

    Every requirement is recomputed when the day, the thresholds, the company calendar or the
    organisation changed since the last refresh (or with `everything`); otherwise only those
    written since. With `at_most`, nothing is done when more requirements than that are stale
    (a page asks so, leaving the many to the worker).

    Each batch of requirements is recomputed and replaced in one transaction, so a failure
    leaves the batch's old findings in place; the refresh is recorded as done only at the end,
    so the next run starts over what was left. The audit position is read before anything is
    recomputed: a write committed meanwhile comes after it and is picked up next time.

    The tallies the pages count from change in the same transaction as the findings they
    count; a refresh of every requirement also recounts them when findings went away without
    a refresh (a requirement deleted).
    """
    today = today or timezone.localdate()
    seen = freshness(today=today, limit=at_most)
    if everything or seen.everything:
        ids: Sequence[int] = list(Requirement.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(seen.changed)
    whole = bool(everything or seen.everything)
    if (at_most is not None and len(ids) > at_most) or not (whole or ids):
        return seen
    policy = HealthSettings.current()
    department_of = departments_of_teams()
    FindingsRefresh.objects.get_or_create(pk=1)
    for batch in _batches(ids, batch_size):
        with transaction.atomic():
            # Refreshes take turns, each computing from what the one before it committed.
            FindingsRefresh.objects.select_for_update().get(pk=1)
            _replace_findings(batch, today=today, policy=policy, department_of=department_of)
    with transaction.atomic():
        state = FindingsRefresh.objects.select_for_update().get(pk=1)
        if whole and _tallies_lost_findings():
            recount_tallies()
        state.through_seq = max(state.through_seq, seen.through_seq)
        if whole:
            state.computed_on, state.inputs = today, seen.inputs
        state.refreshed_at = timezone.now()
        state.save()
    if whole:
        # A refresh of everything can change these tables' size many times over (the first
        # one fills them): the planner's old statistics chose an index that read every finding
        # of a rule for each requirement (3 s for a page at S=10, 0.1 s after).
        refresh_planner_statistics(
            StoredFinding._meta.db_table,
            StoredFinding.teams.through._meta.db_table,
            FindingTally._meta.db_table,
        )
    return replace(seen, refreshed_at=state.refreshed_at, everything="", changed=frozenset())


def _batches(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _replace_findings(
    ids: Sequence[int], *, today: dt.date, policy: HealthSettings, department_of: dict[int, int]
) -> None:
    """Recompute the findings of these requirements (none for a cancelled one) in place of
    the stored ones, and move the tallies by the difference."""
    selection = Requirement.objects.filter(pk__in=ids).exclude(status=Status.CANCELLED)
    findings = evaluate(selection, today=today, policy=policy)
    parties = requirement_parties(ids)
    old = StoredFinding.objects.filter(requirement_id__in=ids)
    gone = _tallied(old.filter(is_private=False).values_list("code", "severity", "tallied_in"))
    old.delete()
    rows = StoredFinding.objects.bulk_create(
        _stored(f, parties[f.requirement_id], department_of) for f in findings
    )
    link = StoredFinding.teams.through
    StoredFinding.teams.through.objects.bulk_create(
        link(storedfinding_id=row.pk, team_id=team_id)
        for row, finding in zip(rows, findings, strict=True)
        for team_id in sorted(finding.teams)
    )
    change = _tallied((r.code, r.severity, r.tallied_in) for r in rows if not r.is_private)
    change.subtract(gone)
    _move_tallies({key: n for key, n in change.items() if n})


def _tallied(rows: Iterable[tuple[str, str, list[str]]]) -> Counter[tuple[str, str, str]]:
    """How many of these findings each (tally, rule, severity) counts."""
    counted: Counter[tuple[str, str, str]] = Counter()
    for code, severity, tallied_in in rows:
        for tally in tallied_in:
            counted[(tally, code, severity)] += 1
    return counted


def _move_tallies(change: dict[tuple[str, str, str], int]) -> None:
    """Add these numbers to the tallies, making the missing ones and dropping those at zero."""
    if not change:
        return
    keys: dict[tuple[str, str, str], tuple[str, int, str, str]] = {}
    for name, code, severity in change:
        kind, _, scope = name.partition(":")
        keys[(name, code, severity)] = (kind, int(scope), code, severity)
    kinds = {key[0] for key in keys.values()}
    scopes = {key[1] for key in keys.values()}
    held = {
        (t.kind, t.scope_id, t.code, t.severity): t
        for t in FindingTally.objects.filter(kind__in=kinds, scope_id__in=scopes)
    }
    moved: list[FindingTally] = []
    made: list[FindingTally] = []
    for key, n in change.items():
        kind, scope_id, code, severity = keys[key]
        tally = held.get(keys[key])
        if tally is None:
            made.append(FindingTally(kind=kind, scope_id=scope_id, code=code, severity=severity))
            tally = made[-1]
        else:
            moved.append(tally)
        tally.count += n
    FindingTally.objects.bulk_update([t for t in moved if t.count], ["count"])
    FindingTally.objects.filter(pk__in=[t.pk for t in moved if not t.count]).delete()
    FindingTally.objects.bulk_create(t for t in made if t.count)


def _tallies_lost_findings() -> bool:
    """Whether the organisation's tally counts more public findings than are stored: findings
    went away with their requirement, without a refresh."""
    tallied = FindingTally.objects.filter(kind=FindingTally.Kind.ORGANISATION).aggregate(
        n=Sum("count")
    )["n"]
    return (tallied or 0) != StoredFinding.objects.filter(is_private=False).count()


def recount_tallies() -> None:
    """Count every tally afresh from the stored findings (inside the caller's transaction)."""
    FindingTally.objects.all().delete()
    rows = StoredFinding.objects.filter(is_private=False).values_list(
        "code", "severity", "tallied_in"
    )
    _move_tallies({key: n for key, n in _tallied(rows.iterator(chunk_size=5000)).items() if n})


def _stored(finding: Finding, parties: Parties, department_of: dict[int, int]) -> StoredFinding:
    return StoredFinding(
        requirement_id=finding.requirement_id,
        code=finding.code,
        severity=str(finding.severity),
        variant=finding.variant,
        subject=finding.subject,
        at=finding.at,
        details={name: pack(value) for name, value in finding.details.items()},
        is_private=parties.is_private,
        tallied_in=tallies_of(finding.teams, parties, department_of),
    )
