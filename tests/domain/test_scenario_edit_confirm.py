"""Scenario and requirement-text edits after the plan exists make a new plan revision; while
the plan is in review, approved or aligning that withdraws the review request, the approval
or sign-offs, so the PM is asked to confirm like a DEV editing items."""

import pytest

from techalign.core.errors import Refused
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from tests.factories import advance


def _edits(w, req):
    """Each edit that revises the plan, as (name, call taking `confirm`)."""
    s2 = req.scenarios.get(number=2)
    return [
        (
            "update_requirement",
            lambda confirm: requirements.update_requirement(
                requirement=req, actor=w.ming, version=req.version, title="改", confirm=confirm
            ),
        ),
        (
            "add_scenario",
            lambda confirm: requirements.add_scenario(
                requirement=req, actor=w.ming, title="场景 4", confirm=confirm
            ),
        ),
        (
            "update_scenario",
            lambda confirm: requirements.update_scenario(
                scenario=s2, actor=w.ming, priority="P2", confirm=confirm
            ),
        ),
    ]


@pytest.mark.parametrize("edit", ["update_requirement", "add_scenario", "update_scenario"])
def test_an_edit_that_withdraws_an_approval_needs_confirming(w, edit):
    req = advance(w, "approved")
    call = dict(_edits(w, req))[edit]
    with pytest.raises(Refused) as refused:
        call(False)
    assert refused.value.code == "plan.withdrawal_unconfirmed"
    assert "the approval of revision 3" in refused.value.message
    req.refresh_from_db()
    assert req.status == Status.APPROVED  # nothing written
    assert selectors.current_revision(req).number == 3
    assert req.scenarios.count() == 3
    call(True)
    req.refresh_from_db()
    assert req.status == Status.PLANNING
    assert selectors.current_revision(req).number == 4


def test_returning_a_scenario_to_scope_after_approval_needs_confirming(w):
    req = advance(w, "planning")
    s4 = requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")
    requirements.acknowledge_scenario(scenario=s4, actor=w.lei)
    requirements.mark_out_of_scope(scenario=s4, actor=w.ming, reason="下期")
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=5)
    plans.approve_revision(revision=selectors.current_revision(req), actor=w.qiang)
    with pytest.raises(Refused) as refused:
        requirements.return_to_scope(scenario=s4, actor=w.ming)
    assert refused.value.code == "plan.withdrawal_unconfirmed"
    assert "the approval of revision 5" in refused.value.message
    s4.refresh_from_db()
    assert s4.is_out_of_scope
    requirements.return_to_scope(scenario=s4, actor=w.ming, confirm=True)
    s4.refresh_from_db()
    assert not s4.is_out_of_scope
    req.refresh_from_db()
    assert req.status == Status.PLANNING


def test_while_planning_a_scenario_edit_needs_no_confirming(w):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")
    assert selectors.current_revision(req).number == 4


def test_a_date_change_makes_no_revision_and_asks_nothing(w):
    req = advance(w, "approved")
    requirements.update_requirement(
        requirement=req, actor=w.ming, version=req.version, planned_launch_on=None
    )
    req.refresh_from_db()
    assert req.status == Status.APPROVED
    assert selectors.current_revision(req).number == 3
