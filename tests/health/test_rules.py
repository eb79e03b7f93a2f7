"""Each health rule: one case that trips it, one that does not.

Where a gate already refuses the departure (a reviewer who wrote the plan), the tripping case
writes the row directly: the rule exists for data from before the gate, from imports, or from
roles changed afterwards.
"""

import datetime as dt

import pytest
from django.utils import timezone, translation

from techalign.calendars.workdays import working_days_between
from techalign.health.base import Severity
from techalign.health.models import HealthSettings
from techalign.health.selectors import requirement_findings
from techalign.meetings.services import schedule_meeting
from techalign.org.models import Membership, Role
from techalign.plans import selectors as plan_selectors
from techalign.plans import services as plans
from techalign.plans.models import Review, Verdict
from techalign.requirements import services as requirements
from techalign.requirements.models import Requirement
from tests.factories import advance, grant, hold_meeting, sign_all


def found(req, code, **kwargs):
    return [f for f in requirement_findings(req, **kwargs) if f.code == code]


def codes(req, **kwargs):
    return {f.code for f in requirement_findings(req, **kwargs)}


def test_a_well_run_requirement_has_no_findings(w):
    req = advance(w, "finalized")
    assert requirement_findings(req) == []


def test_ta101_items_written_by_the_owning_pm_are_found(w):
    grant(w.ming, w.order, Role.DEV)  # the gate lets a PM who is also a DEV edit the plan
    req = advance(w, "planning")
    plans.update_item(
        confirm=True, requirement=req, actor=w.ming, based_on=3, item_key="I-1", title="PM 设计"
    )
    (finding,) = found(req, "TA101")
    assert finding.severity == Severity.ERROR
    assert finding.details["revisions"] == [4]
    with translation.override("en"):
        assert "written by ming, the product manager (revisions 4)" in finding.message
    with translation.override("zh-hans"):
        assert "由产品经理 ming 编写" in finding.message


def test_ta101_items_written_by_devs_are_not_found(w):
    req = advance(w, "planning")
    assert "TA101" not in codes(req)


def test_ta102_items_before_the_hand_off_completed_are_found(w):
    req = advance(w, "handed_off")
    plans.add_item(
        confirm=True,
        requirement=req,
        actor=w.lei,
        based_on=0,
        component=w.order_service,
        kind="api_change",
        title="抢跑",
        scenario_keys=["S-1"],
    )
    (finding,) = found(req, "TA102")
    assert finding.variant == "pending"
    for scenario in req.scenarios.all():
        requirements.acknowledge_scenario(scenario=scenario, actor=w.lei)
    (finding,) = found(req, "TA102")
    assert finding.variant == "default" and finding.severity == Severity.WARNING


def test_ta102_items_after_the_hand_off_are_not_found(w):
    req = advance(w, "planning")
    assert "TA102" not in codes(req)


def test_ta103_approval_by_a_plan_author_is_found(w):
    req = advance(w, "in_review")
    revision = plan_selectors.current_revision(req)
    Review.objects.create(
        revision=revision,
        reviewer=w.lei,
        verdict=Verdict.APPROVED,
        content_hash=revision.content_hash,
    )
    (finding,) = found(req, "TA103")
    assert finding.subject == "r3" and finding.details["user"] == "lei"


def test_ta103_approval_by_another_reviewer_is_not_found(w):
    req = advance(w, "approved")
    assert "TA103" not in codes(req)


def test_ta104_approval_by_someone_without_the_role_is_found(w):
    req = advance(w, "approved")
    Membership.objects.filter(user=w.qiang, role=Role.TECH_LEAD).delete()
    (finding,) = found(req, "TA104")
    assert finding.details["user"] == "qiang" and finding.details["team"] == "订单组"


def test_ta104_a_committee_architect_may_approve(w):
    req = advance(w, "in_review")
    plans.approve_revision(revision=plan_selectors.current_revision(req), actor=w.arch)
    assert "TA104" not in codes(req)


def _held_meeting(w, req, absent=()):
    return hold_meeting(w, req, absent=tuple(absent))


def test_ta105_a_party_without_its_dev_at_the_meeting_is_found(w):
    req = advance(w, "aligning")
    _held_meeting(w, req, absent=[w.wei])
    (finding,) = found(req, "TA105")
    assert finding.teams == {w.order.pk, w.finance.pk}
    with translation.override("en"):
        assert finding.message.endswith("财务组 had no DEV present.")


def test_ta105_a_meeting_with_every_party_present_is_not_found(w):
    req = advance(w, "aligning")
    _held_meeting(w, req)
    assert "TA105" not in codes(req)


def test_ta106_the_pm_presenting_is_found(w):
    grant(w.ming, w.order, Role.DEV)
    req = advance(w, "approved")
    start = timezone.now() + dt.timedelta(days=3)
    schedule_meeting(
        requirement=req,
        actor=w.ming,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        presenter=w.ming,
    )
    (finding,) = found(req, "TA106")
    assert finding.subject == "M-1"


def test_ta106_a_dev_presenting_is_not_found(w):
    req = advance(w, "aligning")
    assert "TA106" not in codes(req)


def test_ta107_a_component_whose_owner_changed_is_found(w):
    req = advance(w, "in_review")
    w.refund_api.owner_team = w.elsewhere
    w.refund_api.save()
    (finding,) = found(req, "TA107")
    assert finding.subject == "I-2" and w.elsewhere.pk in finding.teams
    assert finding.details["owner"] == "营销组" and finding.details["recorded"] == "支付组"


def test_ta107_owners_matching_the_catalog_are_not_found(w):
    req = advance(w, "in_review")
    assert "TA107" not in codes(req)


def test_ta108_a_submitted_plan_missing_a_scenario_is_found(w):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")
    plans.submit_for_review(confirm=True, requirement=req, actor=w.lei, revision_number=4)
    (finding,) = found(req, "TA108")
    assert finding.subject == "S-4" and finding.details["revision"] == 4


def test_ta108_uncovered_scenarios_while_still_planning_are_not_found(w):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")
    assert "TA108" not in codes(req)


def test_ta109_a_party_whose_part_changed_after_it_signed_is_found(w):
    req = advance(w, "aligning")
    sign_all(w, req, [w.payments, w.finance])
    plans.update_item(
        confirm=True,
        requirement=req,
        actor=w.lei,
        based_on=3,
        item_key="I-3",
        ask="请支持部分退款并记账",
    )
    (finding,) = found(req, "TA109")
    assert finding.subject == "finance"
    assert finding.details["signed"] == 3 and finding.details["current"] == 4


def test_ta109_a_party_whose_part_did_not_change_is_not_found(w):
    req = advance(w, "aligning")
    sign_all(w, req, [w.payments])
    plans.update_item(
        confirm=True,
        requirement=req,
        actor=w.lei,
        based_on=3,
        item_key="I-3",
        ask="请支持部分退款并记账",
    )
    assert "TA109" not in codes(req)


def test_ta110_a_blocking_question_open_too_long_is_found(w):
    req = advance(w, "aligning")
    question = requirements.raise_question(
        requirement=req, actor=w.jun, body="幂等键？", is_blocking=True
    )
    raised_on = timezone.localtime(question.raised_at).date()
    later = raised_on + dt.timedelta(days=14)
    (finding,) = found(req, "TA110", today=later)
    assert finding.details["days"] == working_days_between(raised_on, later)
    assert found(req, "TA110", today=raised_on) == []


def test_ta110_a_non_blocking_question_is_not_found(w):
    req = advance(w, "aligning")
    question = requirements.raise_question(requirement=req, actor=w.jun, body="文案？")
    later = question.raised_at.date() + dt.timedelta(days=30)
    assert found(req, "TA110", today=later) == []


def _with_dates(req, **dates):
    Requirement.objects.filter(pk=req.pk).update(**dates)
    return req


def test_ta111_a_meeting_days_before_development_starts_is_found(w):
    req = advance(w, "aligning")  # the meeting is two days from now
    meeting_on = timezone.localtime(req.meetings.get().starts_at).date()
    _with_dates(req, planned_dev_start_on=meeting_on + dt.timedelta(days=3))
    (finding,) = found(req, "TA111")
    assert finding.severity == Severity.WARNING and finding.variant == "default"
    _with_dates(req, planned_dev_start_on=meeting_on - dt.timedelta(days=1))
    (finding,) = found(req, "TA111")
    assert finding.severity == Severity.ERROR and finding.variant == "after"


def test_ta111_an_unaligned_requirement_close_to_its_start_is_found(w):
    req = advance(w, "planning")
    today = timezone.localdate()
    _with_dates(req, planned_dev_start_on=today + dt.timedelta(days=2))
    (finding,) = found(req, "TA111")
    assert finding.variant == "unaligned"
    _with_dates(req, planned_dev_start_on=today - dt.timedelta(days=1))
    (finding,) = found(req, "TA111")
    assert finding.variant == "unaligned_after" and finding.severity == Severity.ERROR


def test_ta111_alignment_well_ahead_is_not_found(w):
    req = advance(w, "aligning")
    _with_dates(req, planned_dev_start_on=timezone.localdate() + dt.timedelta(days=30))
    assert "TA111" not in codes(req)


def test_ta111_threshold_is_an_org_setting(w):
    req = advance(w, "aligning")
    meeting_on = timezone.localtime(req.meetings.get().starts_at).date()
    planned = meeting_on + dt.timedelta(days=14)
    _with_dates(req, planned_dev_start_on=planned)
    assert "TA111" not in codes(req)
    HealthSettings.objects.create(pk=1, alignment_days_before_dev_start=20)
    (finding,) = found(req, "TA111")
    assert finding.details["minimum"] == 20


def test_ta112_alignment_close_to_launch_is_found(w):
    req = advance(w, "aligning")
    meeting_on = timezone.localtime(req.meetings.get().starts_at).date()
    _with_dates(req, planned_launch_on=meeting_on + dt.timedelta(days=10))
    (finding,) = found(req, "TA112")
    assert finding.details["days"] < 15


def test_ta112_alignment_well_before_launch_is_not_found(w):
    req = advance(w, "aligning")
    _with_dates(req, planned_launch_on=timezone.localdate() + dt.timedelta(days=60))
    assert "TA112" not in codes(req)


def _change(w, req, phase):
    return plans.open_change_request(
        requirement=req,
        actor=w.ming,
        title="补充场景",
        reason="漏了",
        phase_found=phase,
        affected_teams=[w.payments],
    )


@pytest.mark.parametrize(
    ("phase", "severity"), [("testing", Severity.WARNING), ("production", Severity.ERROR)]
)
def test_ta113_changes_found_in_testing_or_later_are_found(w, phase, severity):
    req = advance(w, "finalized")
    _change(w, req, phase)
    (finding,) = found(req, "TA113")
    assert finding.severity == severity and w.payments.pk in finding.teams
    assert finding.details["weight"] == {"testing": 15, "production": 100}[phase]


def test_ta113_a_change_found_in_design_is_not_found(w):
    req = advance(w, "finalized")
    _change(w, req, "design")
    assert "TA113" not in codes(req)


def test_disabled_rules_are_skipped(w):
    req = advance(w, "finalized")
    _change(w, req, "production")
    HealthSettings.objects.create(pk=1, disabled_rules=["TA113"])
    assert "TA113" not in codes(req)
