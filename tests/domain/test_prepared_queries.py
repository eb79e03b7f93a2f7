"""Prepared queries (core.prepared): compiled once per shape, the same rows as the QuerySet."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from techalign.core.prepared import first, known, prepared
from techalign.org.models import Membership, Role, Team, User
from techalign.plans import selectors as plans
from techalign.plans.models import Item
from techalign.requirements.models import Scenario
from tests.factories import advance, make_team, world

pytestmark = pytest.mark.django_db


@prepared
def _scenarios_of(requirement_id: int) -> object:
    return Scenario.objects.filter(requirement_id=requirement_id).select_related("requirement")


@prepared
def _teams_coded(codes: list[str]) -> object:
    return Team.objects.filter(code__in=codes)


@prepared
def _items(revision_id: int) -> object:
    return Item.objects.filter(revision_id=revision_id).prefetch_related(
        Prefetch("scenarios", queryset=Scenario.objects.order_by("number"))
    )


@prepared
def _members_named(username: str) -> object:
    return Membership.objects.filter(user__username=username).values_list("team__code", "role")


def test_the_sql_is_compiled_once_and_each_call_reads_its_own_values(compiles):
    w = world()
    first_req = advance(w, "handed_off", scenarios=2)
    second_req = advance(w, "handed_off", scenarios=3)

    got_first = _scenarios_of(first_req.pk)
    compiled = len(compiles)
    got_second = _scenarios_of(second_req.pk)
    again = _scenarios_of(first_req.pk)

    assert len(compiles) == compiled  # the later calls compiled nothing
    assert got_first == list(Scenario.objects.filter(requirement=first_req))
    assert got_second == list(Scenario.objects.filter(requirement=second_req))
    assert again == got_first
    # select_related came along: the requirement is on each row, read in the same query.
    with CaptureQueriesContext(connection) as queries:
        assert {s.requirement.number for s in got_second} == {second_req.number}
    assert len(queries) == 0


def test_a_list_argument_is_compiled_once_per_length():
    w = world()
    assert [t.code for t in _teams_coded(["order", "payments"])] == ["order", "payments"]
    assert [t.code for t in _teams_coded(["finance", "marketing"])] == ["finance", "marketing"]
    assert [t.code for t in _teams_coded(["committee", "order", "finance"])] == [
        "committee",
        "finance",
        "order",
    ]
    assert _teams_coded(["nobody"]) == []
    assert w.order in _teams_coded(["order"])


def test_values_that_cannot_be_parameters_are_read_the_ordinary_way(compiles):
    world()
    # An empty list: Django answers without a query; a prepared query must not run SQL that
    # was compiled for some other length.
    with CaptureQueriesContext(connection) as queries:
        assert _teams_coded([]) == []
    assert len(queries) == 0
    before = len(compiles)
    assert _scenarios_of(None) == []  # None is part of the shape: IS NULL, compiled once
    assert _scenarios_of(None) == []
    assert len(compiles) == before + 1
    assert _scenarios_of(3.5) == []  # not a parameter's kind: built each time
    assert _scenarios_of(3.5) == []
    assert len(compiles) == before + 3


def test_a_hostile_string_is_a_parameter_not_sql():
    w = world()
    hostile = "ming' OR '1'='1"
    assert _members_named(hostile) == []
    assert _members_named("ming") == [("order", Role.PM)]
    assert _members_named("'; DROP TABLE org_user; --") == []
    assert User.objects.filter(pk=w.ming.pk).exists()


def test_prefetch_related_runs_for_the_rows_read():
    w = world()
    req = advance(w, "planning")
    revision = plans.current_revision(req)
    items = _items(revision.pk)
    assert [i.number for i in items] == list(
        Item.objects.filter(revision=revision).values_list("number", flat=True)
    )
    with CaptureQueriesContext(connection) as queries:
        covered = [[s.number for s in i.scenarios.all()] for i in items]
    assert len(queries) == 0
    assert covered == [[1], [2], [3]]


def test_known_sets_the_relation_without_a_query():
    w = world()
    req = advance(w, "handed_off", scenarios=2)
    rows = known(list(Scenario.objects.filter(requirement_id=req.pk)), "requirement", req)
    with CaptureQueriesContext(connection) as queries:
        assert all(s.requirement is req for s in rows)
    assert len(queries) == 0
    assert first(rows) is rows[0]
    assert first([]) is None


def test_two_teams_of_the_same_name_length_do_not_share_an_answer():
    """Shapes are by kind and length, never by value: a cached answer would be wrong."""
    world()
    make_team("aa")
    make_team("bb")
    assert [t.code for t in _teams_coded(["aa"])] == ["aa"]
    assert [t.code for t in _teams_coded(["bb"])] == ["bb"]


def test_shapes_are_capped_and_past_the_cap_the_answer_is_still_right(monkeypatch):
    w = world()
    monkeypatch.setattr(_teams_coded, "_compiled", {})
    monkeypatch.setattr(type(_teams_coded), "MAX_SHAPES", 2)
    codes = ["committee", "finance", "marketing", "order", "payments"]
    for length in range(1, 6):
        assert [t.code for t in _teams_coded(codes[:length])] == codes[:length]
    assert len(_teams_coded._compiled) == 2
    assert w.payments in _teams_coded(codes)


def test_a_choice_is_a_parameter_like_its_value():
    w = world()
    assert _members_in_role(w.order.pk, Role.PM) == [w.ming.pk]
    assert _members_in_role(w.order.pk, Role.DEV) == sorted([w.lei.pk, w.fang.pk])
    assert _members_in_role(w.order.pk, "dev") == []  # the stored value is "DEV"


@prepared
def _members_in_role(team_id: int, role: str) -> object:
    return (
        Membership.objects.filter(team_id=team_id, role=role)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


@prepared
def _teams_from(code: str, committees_only: bool) -> object:
    found = Team.objects.filter(code__gte=code).order_by("code")
    return found.filter(is_committee=True) if committees_only else found


def test_a_flag_chooses_the_query_and_each_of_its_values_is_compiled_once(compiles):
    w = world()
    assert [t.code for t in _teams_from("a", True)] == ["committee"]
    before = len(compiles)
    assert [t.code for t in _teams_from("a", False)] == [
        "committee",
        "finance",
        "marketing",
        "order",
        "payments",
    ]
    assert [t.code for t in _teams_from("d", True)] == []
    assert [t.code for t in _teams_from("o", False)] == ["order", "payments"]
    assert len(compiles) == before + 1  # False's shape; True's was compiled before
    assert w.order in _teams_from("order", False)


def test_a_page_and_the_count_are_those_of_the_queryset_compiled_once(compiles):
    world()
    every = list(Team.objects.filter(code__gte="c").order_by("code"))
    assert _teams_from.page(0, 2, "c", False) == every[:2]
    assert _teams_from.count("c", False) == len(every) == 5
    assert _teams_from.count("c", True) == 1
    before = len(compiles)
    statements = []

    def sent(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(sent):
        assert _teams_from.page(2, 2, "c", False) == every[2:4]
        assert _teams_from.page(4, 50, "c", False) == every[4:]
        assert _teams_from.page(2**31 - 1, 50, "c", False) == []
        assert _teams_from.count("m", False) == 3
        assert _teams_from.count("z", True) == 0
    assert len(compiles) == before
    assert len(queries) == 5
    # The bounds are parameters, not SQL: a page of another size is the same statement.
    assert len(set(statements[:3])) == 1


def test_a_listing_pages_and_counts_and_tells_its_rows_what_they_belong_to():
    w = world()
    req = advance(w, "handed_off", scenarios=3)
    listing = _scenarios_of.listing(req.pk, then=lambda rows: known(rows, "requirement", req))
    assert listing.count() == 3
    page = listing.page(1, 5)
    assert [s.number for s in page] == [2, 3]
    with CaptureQueriesContext(connection) as queries:
        assert all(s.requirement is req for s in page)
    assert len(queries) == 0


@prepared
def _team_codes_from(code: str) -> object:
    return Team.objects.filter(code__gte=code).order_by("code").values_list("department__code")


@prepared
def _teams_counted_from(code: str) -> object:
    return Team.objects.filter(code__gte=code)


def test_a_count_is_compiled_without_running_and_a_listing_may_count_another_query():
    """The first count of a shape only looks at the statement Django would send: sent, the
    stand-ins' count could read every row (and on SQLite hold the write lock meanwhile). A
    listing whose rows join other tables counts the same rows without the joins."""
    world()
    sent = []

    def ran(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        sent.append(sql)  # only what the database answered
        return result

    listing = _team_codes_from.listing("c", counted=_teams_counted_from)
    with connection.execute_wrapper(ran):
        assert listing.count() == 5
    assert len(sent) == 1, sent
    assert "JOIN" not in sent[0]
    assert listing.page(0, 2) == [("trade",), ("fin",)]
