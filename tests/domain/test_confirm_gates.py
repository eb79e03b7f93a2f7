"""Submitting a plan with known gaps and a plan change that withdraws a review go ahead only
when the actor confirms: the refusal names the gaps or what the change withdraws."""

import pytest

from techalign.core.errors import Refused
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from tests.factories import advance


def _submit_with_a_gap(w, actor) -> tuple:
    """Revision 4 leaves a new scenario S-4 uncovered; `actor` submits it unconfirmed."""
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")
    with pytest.raises(Refused) as refused:
        plans.submit_for_review(requirement=req, actor=actor, revision_number=4)
    return req, refused


def test_a_plan_with_gaps_is_submitted_only_when_confirmed(w):
    req, refused = _submit_with_a_gap(w, w.lei)
    assert refused.value.code == "plan.gaps_unconfirmed"
    assert "plan.coverage_incomplete" in refused.value.details["gaps"]
    assert "S-4" in refused.value.message
    req.refresh_from_db()
    assert req.status == Status.PLANNING
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=4, confirm=True)
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_the_gap_check_comes_after_the_role_check(w):
    _req, refused = _submit_with_a_gap(w, w.ming)
    assert refused.value.code == "role.not_allowed"


@pytest.mark.parametrize(
    ("step", "withdrawn"),
    [
        ("in_review", "the review request for revision 3"),
        ("approved", "the approval of revision 3"),
        ("aligning", "the approval of revision 3 and the sign-offs of the lead team"),
    ],
)
def test_a_change_that_withdraws_a_review_needs_confirming(w, step, withdrawn):
    req = advance(w, step)
    with pytest.raises(Refused) as refused:
        plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="改")
    assert refused.value.code == "plan.withdrawal_unconfirmed"
    assert withdrawn in refused.value.message
    assert req.plan.revisions.count() == 3  # nothing written
    with pytest.raises(Refused):
        plans.remove_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1")
    plans.remove_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1", confirm=True)
    req.refresh_from_db()
    assert req.status == Status.PLANNING


def test_while_planning_a_change_needs_no_confirming(w):
    req = advance(w, "planning")
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="改")
    assert req.plan.revisions.count() == 4
