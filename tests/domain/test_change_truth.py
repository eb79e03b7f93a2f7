"""A change request tells the truth: the phase found is proposed from the parties' milestones (an
earlier one needs a reason, is audited and flagged), the root cause is recorded with what it
concerns, and the cost weight grows with the parties affected."""

import datetime as dt

import pytest
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.health.reports import Period, build_report
from techalign.health.selectors import Scope, requirement_findings
from techalign.org.models import DEFAULT_COST_CURVE, OrgPolicy
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.plans.models import ChangeRequest, Phase, RootCause
from tests.factories import advance

TODAY = timezone.localdate()


def milestone(w, req, kind, *, team=None, done_days_ago=1):
    team = team or w.payments
    done_on = TODAY - dt.timedelta(days=done_days_ago) if done_days_ago is not None else None
    plans.set_milestone(
        requirement=req,
        actor=w.jun if team == w.payments else w.wei,
        team=team,
        kind=kind,
        due_on=TODAY - dt.timedelta(days=2),
        done_on=done_on,
    )


def open_change(w, req, **fields):
    values = {
        "requirement": req,
        "actor": w.ming,
        "title": "退款需要审批",
        "reason": "测试发现大额退款无审批",
        "phase_found": "testing",
        "affected_teams": [w.payments],
        "root_cause": RootCause.SCENARIO_NOT_COVERED,
        "cause_scenario_key": "S-2",
    }
    return plans.open_change_request(**values | fields)


@pytest.fixture
def tested(w):
    """A baselined requirement whose payments party has handed its part to test (提测)."""
    req = advance(w, "finalized")
    milestone(w, req, "dev_done", done_days_ago=5)
    milestone(w, req, "test")
    return req


def test_the_phase_proposed_follows_the_milestones_done_by_today(w):
    req = advance(w, "finalized")
    assert selectors.proposed_phase(req, TODAY) == Phase.DESIGN
    milestone(w, req, "joint_debugging", done_days_ago=3)
    assert selectors.proposed_phase(req, TODAY) == Phase.DEVELOPMENT
    milestone(w, req, "test")
    assert selectors.proposed_phase(req, TODAY) == Phase.TESTING
    assert selectors.proposed_phase(req, TODAY - dt.timedelta(days=2)) == Phase.DEVELOPMENT
    milestone(w, req, "launch", team=w.finance, done_days_ago=0)
    assert selectors.proposed_phase(req, TODAY) == Phase.PRODUCTION


def test_after_handing_to_test_declaring_requirements_without_a_reason_is_refused(w, tested):
    with pytest.raises(Refused) as refused:
        open_change(w, tested, phase_found="requirements")
    assert refused.value.code == "change.phase_reason_required"
    assert "Testing" in refused.value.message and "Requirements" in refused.value.message
    assert not tested.change_requests.exists()


def test_an_earlier_phase_with_a_reason_is_kept_audited_and_flagged(w, tested):
    change = open_change(
        w, tested, phase_found="requirements", phase_reason="需求评审时已提出，只是一直没改"
    )
    assert (change.phase_found, change.phase_proposed) == ("requirements", "testing")
    assert change.phase_reason == "需求评审时已提出，只是一直没改"
    event = AuditEvent.objects.get(action="change.opened")
    assert event.summary["phase_proposed"] == "testing"
    assert event.summary["phase_reason"] == "需求评审时已提出，只是一直没改"
    (finding,) = [f for f in requirement_findings(tested) if f.code == "TA118"]
    assert finding.subject == "CR-1" and "需求评审时已提出" in finding.message


def test_the_proposed_phase_or_a_later_one_needs_no_reason_and_is_not_flagged(w, tested):
    change = open_change(w, tested, phase_found="production", phase_reason="ignored")
    assert change.phase_proposed == "testing" and change.phase_reason == ""
    assert "TA118" not in {f.code for f in requirement_findings(tested)}


def test_a_root_cause_is_required_and_stored_with_what_it_concerns(w, tested):
    with pytest.raises(Refused) as refused:
        open_change(w, tested, root_cause=None)
    assert refused.value.code == "change.root_cause_required"
    with pytest.raises(Refused) as refused:
        open_change(w, tested, root_cause=RootCause.PARTY_MISSING, cause_scenario_key="")
    assert refused.value.code == "change.cause_subject_required"
    assert "party" in refused.value.message
    with pytest.raises(Refused) as refused:
        open_change(w, tested, cause_scenario_key="S-9")
    assert refused.value.code == "change.unknown_cause_subject"
    assert not tested.change_requests.exists()

    change = open_change(
        w,
        tested,
        root_cause=RootCause.PARTY_MISSING,
        cause_scenario_key="",
        cause_item_key="I-2",
        cause_team=w.finance,
    )
    change.refresh_from_db()
    assert change.root_cause == RootCause.PARTY_MISSING
    assert (change.cause_item_key, change.cause_team) == ("I-2", w.finance)


def test_the_weight_is_the_curve_times_the_parties_affected(w, tested):
    one = open_change(w, tested, affected_teams=[w.payments])
    assert one.cost_weight == DEFAULT_COST_CURVE["testing"]
    plans.withdraw_change_request(change=one, actor=w.ming)
    two = open_change(w, tested, affected_teams=[w.payments, w.finance])
    assert two.cost_weight == 2 * DEFAULT_COST_CURVE["testing"]


def test_the_factor_per_extra_party_is_the_organisations(w, tested):
    OrgPolicy.objects.update_or_create(pk=1, defaults={"cost_per_extra_party": "0.5"})
    change = open_change(w, tested, affected_teams=[w.order, w.payments, w.finance])
    assert change.cost_weight == 30  # 15 x (1 + 0.5 x 2)
    OrgPolicy.objects.filter(pk=1).update(cost_per_extra_party="0")
    change.refresh_from_db()
    assert change.cost_weight == 30  # a stored weight keeps its value


def test_reports_give_cost_by_root_cause_and_per_lead_team_and_party(w, tested):
    first = open_change(w, tested, affected_teams=[w.payments, w.finance])  # weight 30
    plans.withdraw_change_request(change=first, actor=w.ming)
    open_change(
        w,
        tested,
        affected_teams=[w.order, w.finance],
        root_cause=RootCause.TECHNICAL_DISCOVERY,
        cause_scenario_key="",
    )
    # An older change request, from before root causes were asked for.
    older = ChangeRequest.objects.create(
        requirement=tested,
        number=9,
        title="旧变更",
        reason="旧",
        phase_found="design",
        cost_weight=3,
        opened_by=w.ming,
        base_baseline=selectors.latest_baseline(tested),
        status=ChangeRequest.Status.DONE,
    )
    older.affected_teams.set([w.payments])
    period = Period(TODAY - dt.timedelta(days=30), TODAY)
    causes = build_report("change-causes", Scope(team=w.order), period)
    by_cause = {row[0]: row[2:] for row in causes.rows}
    assert by_cause["technical_discovery"][:2] == [1, 30]
    assert by_cause["unknown"][:2] == [1, 3]
    assert by_cause["scenario_not_covered"][:2] == [0, 0]  # the withdrawn one does not count
    assert by_cause["total"][:2] == [2, 33]

    pairs = build_report("realignment-pairs", Scope(team=w.order), period)
    rows = {(row[0], row[1]): row[2:] for row in pairs.rows}
    assert rows[("订单组", "财务组")] == [1, 1, 30]
    assert rows[("订单组", "支付组")] == [1, 1, 3]
    assert ("订单组", "订单组") not in rows  # the lead team is not its own party
    assert rows[("total", "")] == [1, 2, 33]
