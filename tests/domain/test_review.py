"""Step 2, review: a tech lead or architect who wrote none of the plan approves one exact
revision, and only when every scenario is covered and every touched team is a related party."""

import pytest

from techalign.core.errors import Refused
from techalign.org.models import Role
from techalign.plans import services as plans
from techalign.plans.models import Review
from techalign.plans.selectors import related_parties
from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from tests.domain.support import add_progress_item, current, due, status_of
from tests.factories import advance, grant, make_user


def submit(req, actor=None):
    revision = current(req)
    plans.submit_for_review(
        requirement=req,
        actor=actor or req.lead_dev,
        revision_number=revision.number,
        confirm=True,  # gaps or not: the reviewer is the one who refuses them
    )
    return revision


def test_tech_lead_approves_the_submitted_revision(w):
    req = advance(w, "in_review")
    revision = current(req)

    review = plans.approve_revision(revision=revision, actor=w.qiang, comment="LGTM")

    assert review.verdict == "approved"
    assert review.content_hash == revision.content_hash
    assert status_of(req) == Status.APPROVED


def test_a_committee_architect_may_approve_any_teams_plan(w):
    req = advance(w, "in_review")

    plans.approve_revision(revision=current(req), actor=w.arch)

    assert status_of(req) == Status.APPROVED


@pytest.mark.parametrize("persona", ["ming", "lei", "jun", "hua", "charlie"])
def test_only_a_tech_lead_or_architect_may_approve(w, persona):
    req = advance(w, "in_review")

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=getattr(w, persona))

    assert refused.value.code == "role.not_allowed"
    assert refused.value.details["user"] == persona
    assert status_of(req) == Status.IN_REVIEW
    assert not Review.objects.exists()


def test_another_teams_tech_lead_may_not_approve(w):
    req = advance(w, "in_review")
    payments_lead = grant(make_user("pay-lead"), w.payments, Role.TECH_LEAD)

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=payments_lead)

    assert refused.value.code == "role.not_allowed"
    assert status_of(req) == Status.IN_REVIEW


def test_an_author_cannot_approve_their_own_revision(w):
    req = advance(w, "in_review")
    grant(w.lei, w.order, Role.TECH_LEAD)

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=w.lei)

    assert refused.value.code == "review.own_revision"
    assert refused.value.details == {"user": "lei", "revision": 3}
    assert status_of(req) == Status.IN_REVIEW


def test_an_author_of_an_earlier_revision_cannot_approve_a_later_one(w):
    req = advance(w, "planning")
    add_progress_item(req, w.fang)
    plans.update_item(requirement=req, actor=w.lei, based_on=4, item_key="I-4", title="退款进度")
    grant(w.fang, w.order, Role.TECH_LEAD)
    submit(req)

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=w.fang)

    assert refused.value.code == "review.own_revision"
    assert refused.value.details == {"user": "fang", "revision": 5}
    plans.approve_revision(revision=current(req), actor=w.qiang)
    assert status_of(req) == Status.APPROVED


def test_approving_with_an_uncovered_scenario_is_refused_naming_it(w):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")
    submit(req)

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=w.qiang)

    assert refused.value.code == "plan.coverage_incomplete"
    assert refused.value.details == {"scenarios": ["S-4"]}
    assert status_of(req) == Status.IN_REVIEW
    assert not Review.objects.exists()


def test_a_scenario_out_of_scope_with_a_reason_makes_the_plan_approvable(w):
    req = advance(w, "planning")
    s4 = requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")

    requirements.mark_out_of_scope(scenario=s4, actor=w.ming, reason="二期再做")
    submit(req)
    plans.approve_revision(revision=current(req), actor=w.qiang)

    assert status_of(req) == Status.APPROVED
    (s4_content,) = [s for s in current(req).content["scenarios"] if s["key"] == "S-4"]
    assert s4_content["out_of_scope_reason"] == "二期再做"


def test_marking_out_of_scope_needs_a_reason(w):
    req = advance(w, "planning")
    s4 = requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")

    with pytest.raises(Refused) as refused:
        requirements.mark_out_of_scope(scenario=s4, actor=w.ming, reason="   ")

    assert refused.value.code == "input.invalid"
    s4.refresh_from_db()
    assert not s4.is_out_of_scope


def test_only_the_pm_marks_a_scenario_out_of_scope(w):
    req = advance(w, "planning")
    s4 = requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")

    with pytest.raises(Refused) as refused:
        requirements.mark_out_of_scope(scenario=s4, actor=w.lei, reason="做不完")

    assert refused.value.code == "role.not_allowed"
    s4.refresh_from_db()
    assert not s4.is_out_of_scope


def test_a_covered_scenario_cannot_be_marked_out_of_scope(w):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        requirements.mark_out_of_scope(
            scenario=req.scenarios.get(number=2), actor=w.ming, reason="不做了"
        )

    assert refused.value.code == "scenario.covered_cannot_be_out_of_scope"
    assert refused.value.details == {"scenario": "S-2", "items": ["I-2"]}


@pytest.mark.parametrize(("ask", "due_on"), [("", "due"), ("请支持部分退款", None), ("  ", None)])
def test_an_item_on_another_teams_component_needs_an_ask_and_a_due_date(w, ask, due_on):
    req = advance(w, "planning")
    plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=3,
        component=w.refund_api,
        kind="new_api",
        title="退款查询接口",
        ask=ask,
        due_on=due() if due_on else None,
        scenario_keys=["S-2"],
    )
    submit(req)

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=w.qiang)

    assert refused.value.code == "item.ask_missing"
    assert refused.value.details == {"item": "I-4", "component": "退款接口", "team": "支付组"}
    assert status_of(req) == Status.IN_REVIEW


def test_an_item_on_the_lead_teams_own_component_needs_no_ask(w):
    req = advance(w, "planning")
    plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=3,
        component=w.order_service,
        kind="ui",
        title="退款按钮",
        scenario_keys=["S-1"],
    )
    submit(req)

    plans.approve_revision(revision=current(req), actor=w.qiang)

    assert status_of(req) == Status.APPROVED


def test_a_component_that_changed_owner_after_the_item_was_written_is_refused(w):
    req = advance(w, "in_review")
    w.ledger.owner_team = w.elsewhere  # the catalog moves the ledger to the marketing team
    w.ledger.save()

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=w.qiang)

    assert refused.value.code == "plan.related_party_missing"
    assert refused.value.details == {"component": "总账", "team": "营销组"}
    assert status_of(req) == Status.IN_REVIEW


def test_rewriting_the_item_makes_the_new_owner_a_related_party(w):
    req = advance(w, "planning")
    w.ledger.owner_team = w.elsewhere
    w.ledger.save()

    plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-3", ask="请营销组改总账入口"
    )
    submit(req)
    plans.approve_revision(revision=current(req), actor=w.qiang)

    assert status_of(req) == Status.APPROVED
    assert {t.code for t in related_parties(req)} == {"payments", "marketing"}


def test_approving_a_revision_that_is_no_longer_current_is_refused(w):
    req = advance(w, "in_review")
    older = req.plan.revisions.get(number=2)

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=older, actor=w.qiang)

    assert refused.value.code == "review.stale_revision"
    assert refused.value.details == {"revision": 2, "current": 3}
    assert not Review.objects.exists()


def test_an_edit_during_review_sends_the_plan_back_to_planning(w):
    req = advance(w, "in_review")
    reviewed = current(req)

    plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="改", confirm=True
    )

    assert status_of(req) == Status.PLANNING
    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=reviewed, actor=w.qiang)
    assert refused.value.code == "requirement.wrong_step"


def test_requesting_changes_needs_a_comment_and_returns_the_plan_to_planning(w):
    req = advance(w, "in_review")

    with pytest.raises(Refused) as refused:
        plans.request_changes(revision=current(req), actor=w.qiang, comment=" ")
    assert refused.value.code == "review.comment_required"
    assert status_of(req) == Status.IN_REVIEW

    review = plans.request_changes(revision=current(req), actor=w.qiang, comment="补充回滚方案")

    assert review.verdict == "changes_requested"
    assert status_of(req) == Status.PLANNING


@pytest.mark.parametrize("persona", ["ming", "qiang", "jun"])
def test_only_a_lead_team_dev_submits_for_review(w, persona):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        submit(req, actor=getattr(w, persona))

    assert refused.value.code == "role.not_allowed"
    assert status_of(req) == Status.PLANNING


def test_submitting_a_revision_that_is_not_current_is_refused(w):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        plans.submit_for_review(requirement=req, actor=w.lei, revision_number=2)

    assert refused.value.code == "review.stale_revision"
    assert status_of(req) == Status.PLANNING


def test_a_second_approval_of_the_same_revision_is_refused(w):
    req = advance(w, "in_review")
    plans.approve_revision(revision=current(req), actor=w.qiang)

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=w.arch)

    assert refused.value.code == "requirement.wrong_step"
    assert Review.objects.count() == 1
