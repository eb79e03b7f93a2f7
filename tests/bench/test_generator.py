"""The benchmark's generator, at a tiny scale: consistent with what the services would write,
deterministic for a seed, and refusing a database that already holds an organisation."""

from __future__ import annotations

import hashlib

import pytest

from bench.generator import Sizes, seed
from techalign.audit.services import verify_chain
from techalign.org.models import User
from techalign.plans import selectors
from techalign.plans.models import Baseline, ChangeRequest, Plan, Revision, SignOff
from techalign.plans.selectors import approval_gaps, finalize_gaps
from techalign.requirements.models import Requirement, Status

TINY = 0.001

pytestmark = pytest.mark.django_db


def _digest() -> str:
    """A fingerprint of the rows that matter, ids included."""
    h = hashlib.sha256()
    for model, fields in [
        (Requirement, ["id", "number", "status", "title", "lead_team_id", "owner_id", "version"]),
        (Revision, ["id", "plan_id", "number", "content_hash", "created_at"]),
        (SignOff, ["id", "revision_id", "team_id", "signer_id", "created_at"]),
        (User, ["id", "username", "display_name"]),
    ]:
        for row in model.objects.order_by("pk").values_list(*fields):
            h.update(repr(row).encode())
    return h.hexdigest()


def test_sizes_follow_the_scale_with_a_floor_for_tiny_ones():
    assert Sizes.of(1) == Sizes(
        departments=20, teams=200, users=2000, components=2000, requirements=20000
    )
    tiny = Sizes.of(TINY)
    assert tiny.teams >= 6 and tiny.requirements >= 12


def test_rows_agree_with_what_the_services_would_have_written():
    counts = seed(TINY, 3, stream=None)
    assert counts["requirements.Requirement"] == Sizes.of(TINY).requirements
    assert verify_chain()[1] is None

    for plan in Plan.objects.select_related("requirement", "current_revision"):
        requirement = plan.requirement
        for revision in plan.revisions.all():
            # Scenarios do not change after the plan starts, so every revision's stored content
            # is what canonical_content gives for its items now.
            content = selectors.canonical_content(requirement, selectors.items_of(revision))
            assert revision.content == content
            assert revision.content_hash == selectors.content_hash(content)
        current = plan.current_revision
        assert current.number == plan.revisions.count()
        reached = list(Status).index(Status(requirement.status))
        if reached >= list(Status).index(Status.IN_REVIEW):
            assert current.submitted_at is not None
            assert not selectors.uncovered_scenarios(requirement, current)
        if requirement.status in {Status.APPROVED, Status.ALIGNING}:
            assert approval_gaps(requirement, current) == []
            assert selectors.approval_of(current) is not None
            assert current.pk not in set(Baseline.objects.values_list("revision_id", flat=True))
        if requirement.status == Status.FINALIZED:
            baseline = selectors.latest_baseline(requirement)
            assert baseline.revision_id == current.pk
            assert baseline.content_hash == current.content_hash
            if baseline.version == 1:
                assert finalize_gaps(requirement, current) == []

    open_changes = ChangeRequest.objects.filter(status=ChangeRequest.Status.OPEN)
    for change in open_changes.select_related("requirement"):
        assert change.requirement.status == Status.PLANNING
    assert set(Requirement.objects.values_list("status", flat=True)) >= {
        Status.DRAFT,
        Status.PLANNING,
        Status.FINALIZED,
    }


def test_the_large_plan_has_the_asked_shape():
    seed(TINY, 1, stream=None, large_shape=(20, 30))
    largest = max(Requirement.objects.all(), key=lambda r: r.scenarios.count())
    assert largest.scenarios.count() == 20
    assert selectors.current_revision(largest).items.count() == 30
    assert largest.status == Status.ALIGNING


def test_the_same_seed_gives_the_same_rows():
    from django.db import transaction

    mark = transaction.savepoint()
    seed(TINY, 7, stream=None)
    first = _digest()
    transaction.savepoint_rollback(mark)
    seed(TINY, 7, stream=None)
    assert _digest() == first
    transaction.savepoint_rollback(mark)
    seed(TINY, 8, stream=None)
    assert _digest() != first


def test_a_database_with_an_organisation_is_refused():
    seed(TINY, 1, stream=None)
    with pytest.raises(RuntimeError, match="not empty"):
        seed(TINY, 1, stream=None)


def _gaps_per_plan() -> dict[int, list[str]]:
    expected = {}
    for plan in Plan.objects.select_related("requirement", "current_revision"):
        gaps = selectors.uncovered_scenarios(plan.requirement, plan.current_revision)
        if gaps:
            expected[plan.requirement_id] = [s.key for s in gaps]
    return expected


def test_org_coverage_agrees_with_the_per_plan_gate():
    from django.db import transaction

    mark = transaction.savepoint()
    for attempt in range(1, 11):
        seed(TINY, attempt, stream=None)
        expected = _gaps_per_plan()
        if expected:
            break
        transaction.savepoint_rollback(mark)
    assert expected, "no seed gave a plan still being written"
    assert selectors.org_coverage() == expected
    some = sorted(expected)[:1]
    assert selectors.org_coverage(some) == {some[0]: expected[some[0]]}
