"""A team's or a department's findings are the organisation's findings that concern it.

The rules read less for a team than for the whole organisation (only what the team leads, and
only the rows that name it where it is a party), so these tests compare the two: evaluated for
each team and department, the findings must be exactly the organisation's findings on the
scope's requirements that concern one of its teams.
"""

import pytest

from techalign.health.selectors import Scope, evaluate
from techalign.org.models import Department, Team
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from tests.factories import advance, hold_meeting, sign_all


def _held_meeting(w, req, absent):
    hold_meeting(w, req, absent=tuple(absent))


def _change(w, req, phase, team):
    plans.open_change_request(
        requirement=req,
        actor=w.ming,
        title="补充场景",
        reason="漏了",
        phase_found=phase,
        affected_teams=[team],
    )


@pytest.fixture
def findings_everywhere(w):
    """Requirements led by the order team with findings on the lead team alone and findings
    naming each party: payments and finance are parties of every plan."""
    # TA105: payments and finance both missed their DEV at the alignment meeting.
    _held_meeting(w, advance(w, "aligning"), absent=[w.jun, w.wei])
    # TA108: a scenario the submitted plan does not cover concerns the lead team only.
    uncovered = advance(w, "planning")
    requirements.add_scenario(requirement=uncovered, actor=w.ming, title="场景 4")
    plans.submit_for_review(confirm=True, requirement=uncovered, actor=w.lei, revision_number=4)
    # TA109: finance's part changed after it signed; payments' did not.
    stale = advance(w, "aligning")
    sign_all(w, stale, [w.payments, w.finance])
    plans.update_item(
        confirm=True,
        requirement=stale,
        actor=w.lei,
        based_on=3,
        item_key="I-3",
        ask="请支持部分退款并记账",
    )
    # TA113: late changes, one affecting finance, one payments; one affecting marketing,
    # which is no party to the requirement, so not in marketing's scope.
    _change(w, advance(w, "finalized"), "production", w.finance)
    _change(w, advance(w, "finalized"), "testing", w.payments)
    _change(w, advance(w, "finalized"), "release", w.elsewhere)
    # TA107: the refund API now belongs to finance, which every plan records as payments'.
    w.refund_api.owner_team = w.finance
    w.refund_api.save()
    return w


def _concerning(findings, scope):
    selected = set(scope.requirements().values_list("pk", flat=True))
    teams = scope.team_ids
    return [f for f in findings if f.requirement_id in selected and f.teams & teams]


@pytest.mark.parametrize("code", ["order", "payments", "finance", "marketing", "committee"])
def test_a_teams_findings_are_the_organisations_findings_that_concern_it(findings_everywhere, code):
    everything = evaluate(Scope().requirements())
    scope = Scope(team=Team.objects.get(code=code))
    assert evaluate(scope.requirements(), team_ids=scope.team_ids) == _concerning(everything, scope)


@pytest.mark.parametrize("code", ["trade", "fin", "growth"])
def test_a_departments_findings_are_the_organisations_findings_that_concern_it(
    findings_everywhere, code
):
    everything = evaluate(Scope().requirements())
    scope = Scope(department=Department.objects.get(code=code))
    assert evaluate(scope.requirements(), team_ids=scope.team_ids) == _concerning(everything, scope)


def test_a_party_sees_only_the_findings_that_name_it(findings_everywhere):
    w = findings_everywhere
    scope = Scope(team=w.finance)
    found = evaluate(scope.requirements(), team_ids=scope.team_ids)
    assert {f.code for f in found} == {"TA105", "TA107", "TA109", "TA113"}
    assert all(w.finance.pk in f.teams for f in found)
    lead = Scope(team=w.order)
    assert "TA108" in {f.code for f in evaluate(lead.requirements(), team_ids=lead.team_ids)}
    outsider = Scope(team=w.elsewhere)
    assert evaluate(outsider.requirements(), team_ids=outsider.team_ids) == []
