"""After a baseline the plan changes only through a change request, weighted by the phase the gap
was found in; only the lead team, the named parties and the parties whose part changed re-sign.
Milestones are planned against a baseline, by its parties."""

import datetime as dt

import pytest

from techalign.core.errors import Refused
from techalign.org.models import DEFAULT_COST_CURVE, OrgPolicy
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.plans.models import Baseline, ChangeRequest, Milestone
from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from tests.domain.support import current, revision_count, status_of
from tests.factories import advance, sign_all


def open_change(w, req, *, actor=None, phase="testing", affected=()):
    return plans.open_change_request(
        requirement=req,
        actor=actor or w.ming,
        title="退款需要审批",
        reason="测试发现大额退款无审批",
        phase_found=phase,
        affected_teams=list(affected),
        root_cause="technical_discovery",
        phase_reason="需求评审时已提出，一直未处理",  # kept only for a phase before the proposed
    )


def review_current(w, req):
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=current(req).number)
    plans.approve_revision(revision=current(req), actor=w.qiang)


def finalize(req, actor):
    revision = current(req)
    return plans.finalize(
        requirement=req,
        actor=actor,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )


BASELINED_EDITS = {
    "add item": lambda w, req: plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=3,
        component=w.order_service,
        kind="ui",
        title="x",
        scenario_keys=["S-1"],
    ),
    "update item": lambda w, req: plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="x"
    ),
    "remove item": lambda w, req: plans.remove_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-1"
    ),
    "add scenario": lambda w, req: requirements.add_scenario(
        requirement=req, actor=w.ming, title="场景 4"
    ),
    "edit scenario": lambda w, req: requirements.update_scenario(
        scenario=req.scenarios.get(number=1), actor=w.ming, title="x"
    ),
    "edit requirement": lambda w, req: requirements.update_requirement(
        requirement=req, actor=w.ming, version=req.version, title="x"
    ),
}


@pytest.mark.parametrize("edit", BASELINED_EDITS)
def test_a_baselined_plan_cannot_be_edited_directly(w, edit):
    req = advance(w, "finalized")
    baseline_hash = current(req).content_hash

    with pytest.raises(Refused) as refused:
        BASELINED_EDITS[edit](w, req)

    assert refused.value.code == "requirement.baselined"
    assert refused.value.details == {"requirement": req.key, "version": 1}
    assert revision_count(req) == 3
    assert current(req).content_hash == baseline_hash
    assert status_of(req) == Status.FINALIZED


def test_a_change_request_reopens_the_plan_for_editing(w):
    req = advance(w, "finalized")

    change = open_change(w, req, affected=[w.payments])
    item = plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=3,
        component=w.order_service,
        kind="job",
        title="大额退款审批",
        scenario_keys=["S-1"],
    )

    assert change.key == "CR-1"
    assert change.status == ChangeRequest.Status.OPEN
    assert item.revision.number == 4
    assert item.revision.change_request == change
    assert status_of(req) == Status.PLANNING
    assert req.baselines.get().revision.number == 3  # the baseline itself stands


@pytest.mark.parametrize("phase", list(DEFAULT_COST_CURVE))
def test_a_change_request_is_weighted_by_the_default_cost_curve(w, phase):
    req = advance(w, "finalized")

    change = open_change(w, req, phase=phase)

    assert change.phase_found == phase
    assert change.cost_weight == DEFAULT_COST_CURVE[phase]


def test_a_change_request_is_weighted_by_the_organisations_own_curve(w):
    OrgPolicy.objects.update_or_create(pk=1, defaults={"cost_curve": {"testing": 40}})
    req = advance(w, "finalized")

    late = open_change(w, req, phase="testing")
    plans.withdraw_change_request(change=late, actor=w.ming)
    early = open_change(w, req, phase="design")

    assert late.cost_weight == 40
    assert early.cost_weight == DEFAULT_COST_CURVE["design"]  # phases it does not name


def test_a_change_request_with_an_unknown_phase_is_refused(w):
    req = advance(w, "finalized")

    with pytest.raises(Refused) as refused:
        open_change(w, req, phase="someday")

    assert refused.value.code == "input.invalid"
    assert not ChangeRequest.objects.exists()
    assert status_of(req) == Status.FINALIZED


def test_a_change_request_before_the_first_baseline_is_refused(w):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        open_change(w, req)

    assert refused.value.code == "change.not_baselined"
    assert not ChangeRequest.objects.exists()


def test_a_second_change_request_while_one_is_open_is_refused(w):
    req = advance(w, "finalized")
    open_change(w, req)

    with pytest.raises(Refused) as refused:
        open_change(w, req, actor=w.jun)

    assert refused.value.code == "change.already_open"
    assert refused.value.details == {"change": "CR-1", "requirement": req.key}
    assert ChangeRequest.objects.count() == 1


def test_a_related_party_may_open_a_change_request(w):
    req = advance(w, "finalized")

    change = open_change(w, req, actor=w.wei, phase="development", affected=[w.finance])

    assert change.opened_by == w.wei


@pytest.mark.parametrize("persona", ["charlie", "qiang"])
def test_an_outsider_cannot_open_a_change_request(w, persona):
    req = advance(w, "finalized")

    with pytest.raises(Refused) as refused:
        open_change(w, req, actor=getattr(w, persona))

    assert refused.value.code == "role.not_allowed"
    assert not ChangeRequest.objects.exists()
    assert status_of(req) == Status.FINALIZED


def test_under_a_change_request_the_lead_team_and_named_parties_re_sign(w):
    req = advance(w, "finalized")
    change = open_change(w, req, affected=[w.payments])
    plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-1", description="大额退款先审批"
    )
    review_current(w, req)

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)
    assert refused.value.code == "finalize.signoffs_missing"
    assert refused.value.details["teams"] == ["订单组", "支付组"]  # finance's part is unchanged

    sign_all(w, req, teams=[w.order, w.payments])
    baseline = finalize(req, w.ming)

    assert baseline.version == 2
    assert baseline.change_request == change
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.DONE
    assert status_of(req) == Status.FINALIZED


def test_under_a_change_request_a_party_whose_part_changed_re_signs_even_if_not_named(w):
    req = advance(w, "finalized")
    open_change(w, req, affected=[])
    plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-3", ask="总账记录审批单号"
    )
    review_current(w, req)

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)

    assert refused.value.code == "finalize.signoffs_missing"
    assert refused.value.details["teams"] == ["订单组", "财务组"]


def test_under_a_change_request_an_untouched_party_is_not_asked_to_sign(w):
    req = advance(w, "finalized")
    open_change(w, req, affected=[w.payments])
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="审批")
    review_current(w, req)
    revision = current(req)

    with pytest.raises(Refused) as refused:
        plans.sign_off(
            requirement=req,
            actor=w.wei,
            team=w.finance,
            revision_number=revision.number,
            content_hash=revision.content_hash,
        )

    assert refused.value.code == "signoff.not_required"
    assert "CR-1" in refused.value.message
    assert not revision.signoffs.exists()


def test_a_baseline_made_under_a_change_request_stays_fully_signed_after_it_closes(w):
    req = advance(w, "finalized")
    open_change(w, req, affected=[w.payments])
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="审批")
    review_current(w, req)
    sign_all(w, req, teams=[w.order, w.payments])
    baseline = finalize(req, w.ming)

    state = selectors.signoff_state(req, baseline.revision)

    assert state.is_complete
    assert [t.code for t in state.required] == ["order", "payments"]


def test_a_change_request_that_changed_nothing_cannot_be_finalized(w):
    req = advance(w, "finalized")
    change = open_change(w, req, affected=[w.payments])
    review_current(w, req)  # revision 3 again, already signed for baseline v1

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)

    assert refused.value.code == "change.nothing_changed"
    assert refused.value.details == {"change": "CR-1", "version": 1}
    assert Baseline.objects.count() == 1
    plans.withdraw_change_request(change=change, actor=w.ming)  # what the message suggests
    assert status_of(req) == Status.FINALIZED


def test_a_change_request_is_withdrawn_only_before_it_changed_the_plan(w):
    req = advance(w, "finalized")
    change = open_change(w, req)
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="审批")

    with pytest.raises(Refused) as refused:
        plans.withdraw_change_request(change=change, actor=w.ming)

    assert refused.value.code == "change.wrong_state"
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.OPEN
    assert status_of(req) == Status.PLANNING


def test_a_party_plans_its_milestones_against_the_baseline(w):
    req = advance(w, "finalized")
    launch = dt.date.today() + dt.timedelta(days=60)

    plans.set_milestone(
        requirement=req,
        actor=w.jun,
        team=w.payments,
        kind="joint_debugging",
        due_on=launch - dt.timedelta(days=20),
    )
    plans.set_milestone(requirement=req, actor=w.ming, team=w.order, kind="launch", due_on=launch)

    assert sorted(Milestone.objects.values_list("team__code", "kind")) == [
        ("order", "launch"),
        ("payments", "joint_debugging"),
    ]


def test_milestones_before_a_baseline_are_refused(w):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        plans.set_milestone(
            requirement=req, actor=w.jun, team=w.payments, kind="dev_done", due_on=dt.date.today()
        )

    assert refused.value.code == "milestone.not_baselined"
    assert not Milestone.objects.exists()


def test_a_team_without_a_part_in_the_baseline_has_no_milestones(w):
    req = advance(w, "finalized")

    with pytest.raises(Refused) as refused:
        plans.set_milestone(
            requirement=req,
            actor=w.charlie,
            team=w.elsewhere,
            kind="dev_done",
            due_on=dt.date.today(),
        )

    assert refused.value.code == "milestone.not_a_party"
    assert refused.value.details == {"team": "营销组", "version": 1, "requirement": req.key}
    assert not Milestone.objects.exists()


def test_only_a_member_of_a_party_plans_its_milestones(w):
    req = advance(w, "finalized")

    with pytest.raises(Refused) as refused:
        plans.set_milestone(
            requirement=req, actor=w.jun, team=w.finance, kind="dev_done", due_on=dt.date.today()
        )

    assert refused.value.code == "role.not_party_member"
    assert not Milestone.objects.exists()
