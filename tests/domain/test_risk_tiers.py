"""A high-risk requirement (money, personal data, security): marked and cleared with a reason by
the lead team's PM or tech lead; its plan needs a committee architect's approval besides the tech
lead's; the alignment lead-time rule asks it for more working days."""

import pytest
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.calendars.workdays import add_working_days
from techalign.core.errors import Refused
from techalign.health.models import HealthSettings
from techalign.health.selectors import requirement_findings
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from techalign.requirements.models import Requirement, Status
from tests.domain.support import current
from tests.factories import advance


def high_risk(w, req, risk="money"):
    return requirements.mark_high_risk(
        requirement=req, actor=w.ming, risk=risk, reason="部分退款直接动用户的钱"
    )


def status_of(req):
    req.refresh_from_db()
    return req.status


def test_the_lead_pm_marks_it_high_risk_with_a_reason_and_it_is_audited(w):
    req = high_risk(w, advance(w, "planning"))
    req.refresh_from_db()
    assert (req.risk, req.risk_reason) == ("money", "部分退款直接动用户的钱")
    event = AuditEvent.objects.get(action="requirement.marked_high_risk")
    assert event.summary["risk"] == "money" and event.summary["reason"] == "部分退款直接动用户的钱"


def test_the_tech_lead_clears_it_with_a_reason(w):
    req = high_risk(w, advance(w, "planning"))
    requirements.clear_high_risk(requirement=req, actor=w.qiang, reason="改为只读展示，不动钱")
    req.refresh_from_db()
    assert req.risk == "" and not req.is_high_risk
    event = AuditEvent.objects.get(action="requirement.high_risk_cleared")
    assert event.summary == {"risk": None, "previous": "money", "reason": "改为只读展示，不动钱"}


def test_a_dev_may_not_mark_a_requirement_high_risk(w):
    req = advance(w, "planning")
    with pytest.raises(Refused) as refused:
        requirements.mark_high_risk(requirement=req, actor=w.lei, risk="security", reason="鉴权")
    assert refused.value.code == "role.not_allowed"
    req.refresh_from_db()
    assert req.risk == ""


def test_marking_or_clearing_without_a_reason_is_refused(w):
    req = advance(w, "planning")
    with pytest.raises(Refused) as refused:
        requirements.mark_high_risk(requirement=req, actor=w.ming, risk="money", reason=" ")
    assert refused.value.code == "risk.reason_required"
    with pytest.raises(Refused) as refused:
        requirements.clear_high_risk(requirement=req, actor=w.ming, reason="不再是")
    assert refused.value.code == "risk.not_high"
    high_risk(w, req)
    with pytest.raises(Refused) as refused:
        requirements.clear_high_risk(requirement=req, actor=w.ming, reason="")
    assert refused.value.code == "risk.reason_required"


def test_an_unknown_risk_category_is_refused(w):
    with pytest.raises(Refused) as refused:
        high_risk(w, advance(w, "planning"), risk="reputation")
    assert refused.value.code == "input.invalid"


def test_the_tech_leads_approval_alone_leaves_a_high_risk_plan_in_review(w):
    req = high_risk(w, advance(w, "in_review"))
    plans.approve_revision(revision=current(req), actor=w.qiang)
    assert status_of(req) == Status.IN_REVIEW
    assert selectors.awaited_approvals(req, current(req)) == [selectors.Approval.COMMITTEE]
    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=w.qiang)
    assert refused.value.code == "review.already_approved"
    assert "technical committee" in refused.value.message

    plans.approve_revision(revision=current(req), actor=w.arch)
    assert status_of(req) == Status.APPROVED


def test_the_committee_architect_may_approve_first(w):
    req = high_risk(w, advance(w, "in_review"), risk="personal_data")
    plans.approve_revision(revision=current(req), actor=w.arch)
    assert status_of(req) == Status.IN_REVIEW
    assert selectors.awaited_approvals(req, current(req)) == [selectors.Approval.LEAD]
    plans.approve_revision(revision=current(req), actor=w.qiang)
    assert status_of(req) == Status.APPROVED


def test_approvals_before_changes_were_requested_do_not_count_after_resubmission(w):
    req = high_risk(w, advance(w, "in_review"))
    plans.approve_revision(revision=current(req), actor=w.arch)
    plans.request_changes(revision=current(req), actor=w.qiang, comment="补充对账")
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=current(req).number)
    plans.approve_revision(revision=current(req), actor=w.qiang)
    assert status_of(req) == Status.IN_REVIEW
    plans.approve_revision(revision=current(req), actor=w.arch)
    assert status_of(req) == Status.APPROVED


def test_an_ordinary_plan_is_approved_by_the_tech_lead_alone(w):
    req = advance(w, "in_review")
    plans.approve_revision(revision=current(req), actor=w.qiang)
    assert status_of(req) == Status.APPROVED


def test_the_lead_time_rule_asks_a_high_risk_requirement_for_more_working_days(w):
    req = advance(w, "aligning")
    meeting_on = timezone.localtime(req.meetings.get().starts_at).date()
    # Seven working days after the meeting: enough for the ordinary 5, not for high risk's 10.
    Requirement.objects.filter(pk=req.pk).update(
        planned_dev_start_on=add_working_days(meeting_on, 7)
    )
    assert "TA111" not in {f.code for f in requirement_findings(req)}
    high_risk(w, req, risk="security")
    (finding,) = [f for f in requirement_findings(req) if f.code == "TA111"]
    assert finding.details["minimum"] == 10
    HealthSettings.objects.create(pk=1, alignment_days_before_dev_start_high_risk=6)
    assert "TA111" not in {f.code for f in requirement_findings(req)}
