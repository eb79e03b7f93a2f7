"""The stored findings the health pages read: equal to the freshly computed ones, per rule and
per requirement, and they follow writes, the clock and a failed refresh."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone, translation

from bench.generator import seed
from techalign.health.base import Finding
from techalign.health.models import StoredFinding
from techalign.health.selectors import (
    Scope,
    Staleness,
    as_findings,
    evaluate,
    freshness,
    scope_findings,
    stored_counts,
    stored_findings,
    stored_team_counts,
    summary,
)
from techalign.health.services import refresh_findings
from techalign.health.tasks import enqueue_refresh_when_stale
from techalign.notify.worker import run_ready_tasks
from techalign.org.models import Department, Role, Team, User
from techalign.org.services import grant_role
from techalign.plans import selectors as plan_selectors
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from tests.db_faults import allow_inserts, refuse_inserts
from tests.factories import advance, make_user

TINY = 0.001


def _fresh(today: dt.date) -> list[Finding]:
    return evaluate(Scope().requirements(), today=today)


def _stored(**where) -> list[Finding]:
    return as_findings(StoredFinding.objects.filter(**where))


def _per_rule_and_requirement(findings: list[Finding]) -> dict[tuple[str, str], list[Finding]]:
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[(finding.code, finding.requirement_key)].append(finding)
    return dict(grouped)


def _codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


@pytest.mark.django_db
def test_stored_findings_equal_the_computed_ones_on_a_generated_organisation():
    seed(TINY, 3, stream=None)
    today = timezone.localdate()
    # Small batches, so requirements are refreshed in several transactions.
    refresh_findings(today=today, batch_size=5)

    fresh = _fresh(today)
    assert len(_codes(fresh)) >= 5, "the generated organisation should exercise several rules"
    assert _per_rule_and_requirement(_stored()) == _per_rule_and_requirement(fresh)
    assert _stored() == fresh
    # Messages render the same from stored values, in both languages.
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert [f.message for f in _stored()] == [f.message for f in fresh]

    everyone = Scope()
    assert stored_counts(stored_findings(everyone)) == (
        summary(fresh),
        Counter(f.code for f in fresh),
    )
    per_team: dict[int, Counter[str]] = defaultdict(Counter)
    for finding in fresh:
        for team_id in finding.teams:
            per_team[team_id][str(finding.severity)] += 1
    assert stored_team_counts(stored_findings(everyone)) == per_team

    scopes = [Scope(team=t) for t in Team.objects.all()]
    scopes += [Scope(department=d) for d in Department.objects.all()]
    for scope in scopes:
        computed = scope_findings(scope, today=today)
        assert as_findings(stored_findings(scope)) == computed, scope.label
        assert stored_counts(stored_findings(scope))[0] == summary(computed), scope.label
    # A user who may not see every requirement sees the same findings either way.
    reader = User.objects.filter(memberships__isnull=False, is_superuser=False).first()
    assert reader is not None
    for scope in [everyone, *scopes[:3]]:
        computed = scope_findings(scope, user=reader, today=today)
        assert as_findings(stored_findings(scope, user=reader)) == computed


def _late_item(w, req, *, due_in_days: int = 1) -> None:
    """The lead DEV asks payments for a change due almost at once (a late ask)."""
    plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=plan_selectors.current_revision(req).number,
        component=w.refund_api,
        kind="api_change",
        title="退款加字段",
        ask="请在退款接口加审批单号",
        due_on=timezone.localdate() + dt.timedelta(days=due_in_days),
        scenario_keys=["S-2"],
    )


def test_stored_findings_follow_a_write_to_a_requirement(w):
    req = advance(w, "planning")
    refresh_findings()
    assert freshness().is_fresh
    before = _stored()

    _late_item(w, req)

    seen = freshness()
    assert seen.changed == {req.pk} and not seen.everything
    assert _stored() == before  # nothing recomputed until a refresh
    refresh_findings()
    assert freshness().is_fresh
    assert _stored() == _fresh(timezone.localdate())
    assert "TA120" in _codes(_stored()) - _codes(before)


def test_a_page_shows_a_write_at_once_and_says_when_findings_were_refreshed(w):
    req = advance(w, "planning")
    client = Client()
    client.force_login(w.jun)
    assert "TA120" not in client.get("/health/teams/payments/").content.decode()

    _late_item(w, req)

    page = client.get("/health/teams/payments/").content.decode()
    assert "TA120" in page and "Findings last refreshed at" in page
    w.hua.language = "zh-hans"
    w.hua.save(update_fields=["language"])
    client.force_login(w.hua)
    assert "发现最近刷新于" in client.get("/health/teams/payments/").content.decode()


def test_past_the_inline_limit_a_page_marks_its_findings_stale(w, monkeypatch):
    from techalign.health import views

    req = advance(w, "planning")
    refresh_findings()
    monkeypatch.setattr(views, "INLINE_REFRESH_LIMIT", 0)
    _late_item(w, req)
    client = Client()
    client.force_login(w.jun)

    page = client.get("/health/teams/payments/").content.decode()
    assert "TA120" not in page
    assert "or more requirements changed since" in page

    # The worker's sweep queues the refresh once, and running it brings the page up to date.
    assert enqueue_refresh_when_stale() == 1
    assert enqueue_refresh_when_stale() == 0
    assert run_ready_tasks() == 1
    page = client.get("/health/teams/payments/").content.decode()
    assert "TA120" in page and "changed since" not in page
    assert enqueue_refresh_when_stale() == 0


def test_a_page_whose_refresh_fails_shows_the_stored_findings_marked_stale(w):
    req = advance(w, "planning")
    refresh_findings()
    _late_item(w, req)
    refuse_inserts("health_storedfinding", column="requirement_id", value=req.pk)
    client = Client()
    client.force_login(w.jun)

    page = client.get("/health/teams/payments/")
    assert page.status_code == 200
    assert "TA120" not in page.content.decode()
    assert "or more requirements changed since" in page.content.decode()

    allow_inserts("health_storedfinding")
    assert "TA120" in client.get("/health/teams/payments/").content.decode()


def test_an_organisation_change_makes_every_requirement_stale(w):
    advance(w, "planning")
    refresh_findings()
    admin = make_user("root", is_superuser=True, is_staff=True)
    grant_role(actor=admin, user=w.hua, team=w.order, role=Role.DEV)
    assert freshness().everything == Staleness.ORGANISATION
    refresh_findings()
    assert freshness().is_fresh


def _planned(w, *, dev_start_in: int, launch_in: int):
    """A requirement in planning whose development starts and launches in so many days."""
    req = advance(w, "planning")
    today = timezone.localdate()
    requirements.update_requirement(
        requirement=req,
        actor=w.ming,
        version=req.version,
        planned_dev_start_on=today + dt.timedelta(days=dev_start_in),
        planned_launch_on=today + dt.timedelta(days=launch_in),
    )
    return req


def test_stored_findings_follow_the_clock(w):
    _planned(w, dev_start_in=20, launch_in=60)
    today = timezone.localdate()
    later = today + dt.timedelta(days=30)
    refresh_findings(today=today)
    assert freshness(today=today).is_fresh
    assert freshness(today=later).everything == Staleness.DAY

    refresh_findings(today=later)
    assert _stored() == _fresh(later)
    # Unaligned past the planned development start: a finding the day brought.
    assert "TA111" in _codes(_fresh(later)) - _codes(_fresh(today))


def test_a_database_error_mid_refresh_keeps_the_old_findings_and_the_next_run_completes(w):
    first = _planned(w, dev_start_in=20, launch_in=60)
    second = _planned(w, dev_start_in=20, launch_in=60)
    today = timezone.localdate()
    later = today + dt.timedelta(days=30)
    refresh_findings(today=today)
    old = _stored(requirement=second)
    assert old != [f for f in _fresh(later) if f.requirement_id == second.pk]

    refuse_inserts("health_storedfinding", column="requirement_id", value=second.pk)
    with pytest.raises(DatabaseError):
        refresh_findings(today=later, batch_size=1)
    # The batch before the failure is done; the failed one kept its findings whole.
    assert _stored(requirement=first) == [f for f in _fresh(later) if f.requirement_id == first.pk]
    assert _stored(requirement=second) == old
    assert freshness(today=later).everything == Staleness.DAY

    allow_inserts("health_storedfinding")
    refresh_findings(today=later, batch_size=1)
    assert freshness(today=later).is_fresh
    assert _stored() == _fresh(later)
