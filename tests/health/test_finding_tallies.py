"""The counts the health pages show come from tallies the refresh keeps: they equal a recount of
the stored findings after every kind of refresh, for every scope and reader, and the
organisation's page reads them in as many queries whatever the organisation's size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.generator import seed
from techalign.health.models import FindingTally, StoredFinding
from techalign.health.selectors import (
    Scope,
    finding_counts,
    freshness,
    stored_counts,
    stored_findings,
    stored_team_counts,
)
from techalign.health.services import refresh_findings
from techalign.org.models import Department, Team, User
from techalign.org.services import save_team
from techalign.requirements import services as requirements
from techalign.requirements.models import Requirement, Status
from tests.db_faults import allow_inserts, refuse_inserts
from tests.factories import advance, make_user, open_change, with_planned_dates


def _recount(scope: Scope, user: User | None) -> tuple[dict, dict, dict]:
    """The counts as last round's pages counted them: over the stored findings themselves."""
    rows = stored_findings(scope, user=user)
    by_severity, by_rule = stored_counts(rows)
    return by_severity, by_rule, stored_team_counts(rows, team_ids=scope.team_ids)


def _tallied(scope: Scope, user: User | None) -> tuple[dict, dict, dict]:
    counts = finding_counts(scope, user=user)
    return counts.by_severity, counts.by_rule, counts.by_team


def assert_tallies_equal_a_recount(readers: list[User | None]) -> None:
    scopes = [Scope()]
    scopes += [Scope(team=t) for t in Team.objects.order_by("pk")]
    scopes += [Scope(department=d) for d in Department.objects.order_by("pk")]
    for reader in readers:
        for scope in scopes:
            assert _tallied(scope, reader) == _recount(scope, reader), (scope.label, reader)


def _total() -> int:
    return sum(stored_counts(stored_findings(Scope()))[0].values())


@pytest.fixture
def findings(w):
    """Two requirements with findings: a finalized one with a change request naming payments
    and a team that is no party (marketing), and one in planning with planned dates."""
    finalized = advance(w, "finalized")
    open_change(w, finalized, affected=[w.payments, w.elsewhere])
    planned = with_planned_dates(w, advance(w, "planning"))
    refresh_findings()
    assert _total() > 0
    return finalized, planned


def _readers(w) -> list[User | None]:
    admin = User.objects.filter(username="root").first() or make_user(
        "root", is_superuser=True, is_staff=True
    )
    return [None, admin, w.ming, w.jun, w.charlie]


@pytest.mark.django_db
def test_tallies_equal_a_recount_on_a_generated_organisation():
    seed(0.001, 3, stream=None)
    refresh_findings(batch_size=5)
    assert FindingTally.objects.exists()
    reader = User.objects.filter(memberships__isnull=False, is_superuser=False).first()
    assert Requirement.objects.filter(is_private=True).exists()
    assert_tallies_equal_a_recount([None, reader])
    # The organisation's page counts every team on it.
    everyone = finding_counts(Scope()).by_team
    assert everyone == stored_team_counts(stored_findings(Scope()))


def test_tallies_follow_a_write_and_the_inline_refresh_of_a_page(w, findings):
    _, planned = findings
    readers = _readers(w)
    assert_tallies_equal_a_recount(readers)
    before = finding_counts(Scope(team=w.order)).by_severity

    requirements.update_requirement(
        requirement=planned,
        actor=w.ming,
        version=planned.version,
        planned_dev_start_on=timezone.localdate() + dt.timedelta(days=1),
    )
    assert freshness().changed == {planned.pk}
    client = Client()
    client.force_login(w.ming)
    assert client.get("/health/teams/order/").status_code == 200  # refreshes inline

    assert freshness().is_fresh
    assert finding_counts(Scope(team=w.order)).by_severity != before
    assert_tallies_equal_a_recount(readers)


def test_a_private_requirement_is_counted_only_for_those_who_may_see_it(w, findings):
    finalized, _ = findings
    mine = len(StoredFinding.objects.filter(requirement=finalized))
    everyone = sum(finding_counts(Scope(), user=w.charlie).by_severity.values())
    requirements.update_requirement(
        requirement=finalized, actor=w.ming, version=finalized.version, is_private=True
    )
    # Before the refresh, and after it (the findings move out of the tallies).
    for _ in range(2):
        assert sum(finding_counts(Scope(), user=w.charlie).by_severity.values()) == everyone - mine
        assert sum(finding_counts(Scope(), user=w.ming).by_severity.values()) == everyone
        assert_tallies_equal_a_recount(_readers(w))
        refresh_findings()
    assert not FindingTally.objects.filter(kind="organisation", count=0).exists()


def test_a_cancelled_requirement_leaves_the_counts_at_once(w, findings):
    finalized, _ = findings
    gone = StoredFinding.objects.filter(requirement=finalized).count()
    total = _total()
    # No service cancels a requirement: as the generator does it, without an audit event.
    Requirement.objects.filter(pk=finalized.pk).update(status=Status.CANCELLED)

    assert sum(finding_counts(Scope()).by_severity.values()) == total - gone
    assert_tallies_equal_a_recount(_readers(w))
    refresh_findings(everything=True)
    assert not StoredFinding.objects.filter(requirement=finalized).exists()
    assert_tallies_equal_a_recount(_readers(w))


def test_a_deleted_requirement_leaves_the_counts_at_the_next_full_refresh(w, findings):
    # Audited requirements cannot be deleted (the audit log protects them): one made without
    # the services, in planning with development due yesterday, has findings all the same.
    today = timezone.localdate()
    bare = Requirement.objects.create(
        number=Requirement.objects.order_by("-number").first().number + 1,
        title="裸需求",
        lead_team=w.order,
        owner=w.ming,
        lead_dev=w.lei,
        status=Status.PLANNING,
        planned_dev_start_on=today - dt.timedelta(days=1),
        planned_launch_on=today + dt.timedelta(days=1),
    )
    refresh_findings(everything=True)
    assert StoredFinding.objects.filter(requirement=bare).exists()
    assert_tallies_equal_a_recount(_readers(w))

    bare.delete()
    assert sum(finding_counts(Scope()).by_severity.values()) > _total()  # until a full refresh
    refresh_findings(everything=True)
    assert_tallies_equal_a_recount(_readers(w))


def test_a_team_moved_to_another_department_is_counted_there_after_the_refresh(w, findings):
    admin = make_user("root", is_superuser=True, is_staff=True)
    trade = w.order.department
    assert finding_counts(Scope(department=trade)).by_team.get(w.order.pk)
    save_team(actor=admin, code="order", name="订单组", department=w.finance.department)

    refresh_findings()
    assert freshness().is_fresh
    w.order.refresh_from_db()
    assert not finding_counts(Scope(department=trade)).by_team.get(w.order.pk)
    assert finding_counts(Scope(department=w.order.department)).by_team.get(w.order.pk)
    assert_tallies_equal_a_recount(_readers(w))


@pytest.mark.parametrize("refused", ["health_storedfinding", "health_findingtally"])
def test_a_database_error_mid_refresh_leaves_findings_and_tallies_together(w, findings, refused):
    _, planned = findings
    later = timezone.localdate() + dt.timedelta(days=40)
    kept = list(
        StoredFinding.objects.filter(requirement=planned).values_list("code", "subject", "at")
    )
    if refused == "health_storedfinding":
        refuse_inserts(refused, column="requirement_id", value=planned.pk)
    else:
        # Every tally row the refresh would make for the order team's page.
        refuse_inserts(refused, column="scope_id", value=w.order.pk)
    try:
        with pytest.raises(DatabaseError):
            refresh_findings(today=later, batch_size=1)
    finally:
        allow_inserts(refused)
    assert_tallies_equal_a_recount(_readers(w))
    if refused == "health_storedfinding":
        # The failed batch kept its old findings, and the tallies kept counting them.
        assert kept == list(
            StoredFinding.objects.filter(requirement=planned).values_list("code", "subject", "at")
        )
    refresh_findings(today=later, batch_size=1)
    assert freshness(today=later).is_fresh
    assert_tallies_equal_a_recount(_readers(w))


def _queries_of_the_organisation_page(client: Client) -> int:
    refresh_findings()
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/health/").status_code == 200
    return len(captured)


def test_the_organisation_page_reads_as_many_queries_whatever_its_size(w):
    client = Client()
    client.force_login(w.jun)
    open_change(w, advance(w, "finalized"), affected=[w.payments])
    one, few = _queries_of_the_organisation_page(client), _total()
    for _ in range(3):
        open_change(w, advance(w, "finalized"), affected=[w.payments, w.elsewhere])
        with_planned_dates(w, advance(w, "planning"))
    assert _queries_of_the_organisation_page(client) == one
    assert _total() > few
