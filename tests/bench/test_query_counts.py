"""Query counts of the measured pages and endpoints stay the same as the data grows.

Each path is requested at two sizes of generated organisation: a small one whose large plan has
5 scenarios and 10 items, and one three times larger whose large plan has 50 scenarios and 100
items touching more related parties. A page that queries per row (an N+1) costs more queries at
the second size and fails here, naming the path and both counts.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from bench.generator import large_plan_numbers, seed
from techalign.org.services import issue_token
from techalign.requirements.models import Requirement

pytestmark = pytest.mark.django_db

SIZES = [(0.0006, (5, 10)), (0.0018, (50, 100))]


def _large(scale: float) -> Requirement:
    return Requirement.objects.get(number=large_plan_numbers(scale)[0])


def _api_paths(key: str) -> list[str]:
    api = "/api/v1"
    return [
        f"{api}/requirements",
        f"{api}/requirements?status=finalized",
        f"{api}/requirements/{key}",
        f"{api}/requirements/{key}/plan",
        f"{api}/requirements/{key}/plan/revisions",
        f"{api}/requirements/{key}/questions",
        f"{api}/requirements/{key}/meetings",
        f"{api}/teams",
        f"{api}/components",
    ]


def _page_paths(requirement: Requirement) -> list[str]:
    paths = []
    for name, kwargs in [
        ("web:requirement", {"key": requirement.key}),
        ("web:plan", {"key": requirement.key}),
        ("web:inbox", {}),
        ("web:requirements", {}),
        ("web:team", {"code": requirement.lead_team.code}),
        ("health:team", {"code": requirement.lead_team.code}),
    ]:
        try:
            paths.append(reverse(name, kwargs=kwargs or None))
        except NoReverseMatch:
            continue
    return paths


def _count(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, f"{path}: HTTP {response.status_code}"
    return len(queries)


def _counts_at_each_size(paths_of) -> list[dict[str, int]]:
    """Counts per path kind at each size; keys name the path with the requirement key masked."""
    measured = []
    mark = transaction.savepoint()
    for scale, shape in SIZES:
        seed(scale, 1, stream=None, large_shape=shape)
        large = _large(scale)
        user = large.lead_dev
        clients = paths_of(large, user)
        counts = {}
        for client, path in clients:
            _count(client, path)  # the first request fills per-process caches
            counts[path.replace(large.key, "{large}")] = _count(client, path)
        measured.append(counts)
        transaction.savepoint_rollback(mark)
    return measured


def _assert_constant(measured: list[dict[str, int]]) -> None:
    small, big = measured
    grown = {p: (small[p], big[p]) for p in small if big.get(p, 0) > small[p]}
    assert not grown, "queries grow with rows (small, large): " + ", ".join(
        f"{p}: {a} -> {b}" for p, (a, b) in sorted(grown.items())
    )


def test_api_endpoints_issue_a_constant_number_of_queries():
    def paths(large, user):
        token = issue_token(actor=None, user=user, name="bench", expires_in_days=None)[1]
        client = Client(headers={"authorization": f"Bearer {token}"})
        return [(client, p) for p in _api_paths(large.key)]

    _assert_constant(_counts_at_each_size(paths))


def test_pages_issue_a_constant_number_of_queries():
    def paths(large, user):
        client = Client()
        client.force_login(user)
        return [(client, p) for p in _page_paths(large)]

    measured = _counts_at_each_size(paths)
    if not measured[0]:
        pytest.skip("the web pages are not there yet")
    _assert_constant(measured)
