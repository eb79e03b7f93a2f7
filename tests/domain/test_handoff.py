"""Step 1, hand-off: the PM hands the requirement to the lead DEV, who acknowledges each scenario
or asks about it; the step ends when every scenario is acknowledged and every question answered."""

import pytest

from techalign.core.errors import Refused
from techalign.requirements import services as requirements
from techalign.requirements.models import Question, Scenario, Status
from tests.domain.support import status_of
from tests.factories import advance


def scenario(req, key):
    return req.scenarios.get(number=int(key.removeprefix("S-")))


def test_pm_hands_off_a_requirement_with_scenarios_and_a_lead_dev(w):
    req = advance(w, "draft")

    requirements.hand_off(requirement=req, actor=w.ming)

    assert status_of(req) == Status.HANDED_OFF
    req.refresh_from_db()
    assert req.handed_off_at is not None
    assert req.hand_off_completed_at is None


@pytest.mark.parametrize("persona", ["lei", "qiang", "hua", "charlie"])
def test_only_a_pm_of_the_lead_team_may_hand_off(w, persona):
    req = advance(w, "draft")

    with pytest.raises(Refused) as refused:
        requirements.hand_off(requirement=req, actor=getattr(w, persona))

    assert refused.value.code == "role.not_allowed"
    assert refused.value.details["team"] == "订单组"
    assert status_of(req) == Status.DRAFT


def test_hand_off_without_scenarios_is_refused(w):
    req = advance(w, "draft", scenarios=0)

    with pytest.raises(Refused) as refused:
        requirements.hand_off(requirement=req, actor=w.ming)

    assert refused.value.code == "requirement.no_scenarios"
    assert refused.value.details == {"requirement": req.key}
    assert status_of(req) == Status.DRAFT


def test_hand_off_without_a_lead_dev_is_refused(w):
    req = requirements.create_requirement(actor=w.ming, lead_team=w.order, title="部分退款")
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 1")

    with pytest.raises(Refused) as refused:
        requirements.hand_off(requirement=req, actor=w.ming)

    assert refused.value.code == "requirement.lead_dev_missing"
    assert status_of(req) == Status.DRAFT


def test_handing_off_twice_is_refused(w):
    req = advance(w, "handed_off")

    with pytest.raises(Refused) as refused:
        requirements.hand_off(requirement=req, actor=w.ming)

    assert refused.value.code == "requirement.wrong_step"
    assert status_of(req) == Status.HANDED_OFF


def test_a_lead_dev_must_be_a_dev_of_the_lead_team(w):
    with pytest.raises(Refused) as refused:
        requirements.create_requirement(actor=w.ming, lead_team=w.order, title="x", lead_dev=w.jun)

    assert refused.value.code == "requirement.lead_dev_not_dev"
    assert refused.value.details == {"user": "jun", "team": "订单组"}


def test_hand_off_completes_when_the_last_scenario_is_acknowledged(w):
    req = advance(w, "handed_off")

    requirements.acknowledge_scenario(scenario=scenario(req, "S-1"), actor=w.lei)
    requirements.acknowledge_scenario(scenario=scenario(req, "S-2"), actor=w.lei)
    assert status_of(req) == Status.HANDED_OFF

    requirements.acknowledge_scenario(scenario=scenario(req, "S-3"), actor=w.lei)

    assert status_of(req) == Status.PLANNING
    req.refresh_from_db()
    assert req.hand_off_completed_at is not None
    assert scenario(req, "S-2").acknowledged_by == w.lei


@pytest.mark.parametrize("persona", ["ming", "qiang", "jun", "arch", "charlie"])
def test_only_a_dev_of_the_lead_team_may_acknowledge_a_scenario(w, persona):
    req = advance(w, "handed_off")

    with pytest.raises(Refused) as refused:
        requirements.acknowledge_scenario(scenario=scenario(req, "S-1"), actor=getattr(w, persona))

    assert refused.value.code == "role.not_allowed"
    assert scenario(req, "S-1").acknowledged_at is None
    assert status_of(req) == Status.HANDED_OFF


def test_scenarios_cannot_be_acknowledged_before_the_hand_off(w):
    req = advance(w, "draft")

    with pytest.raises(Refused) as refused:
        requirements.acknowledge_scenario(scenario=scenario(req, "S-1"), actor=w.lei)

    assert refused.value.code == "requirement.wrong_step"
    assert scenario(req, "S-1").acknowledged_at is None


def test_acknowledging_a_scenario_twice_is_refused(w):
    req = advance(w, "handed_off")
    requirements.delegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)
    requirements.acknowledge_scenario(scenario=scenario(req, "S-1"), actor=w.lei)

    with pytest.raises(Refused) as refused:
        requirements.acknowledge_scenario(scenario=scenario(req, "S-1"), actor=w.fang)

    assert refused.value.code == "scenario.already_acknowledged"
    assert refused.value.details == {"scenario": "S-1"}
    assert scenario(req, "S-1").acknowledged_by == w.lei


def test_a_second_acknowledgement_from_an_older_copy_is_refused(w):
    """The lead DEV and their delegate open the same scenario; the second one to press
    acknowledge is told it is done."""
    req = advance(w, "handed_off")
    requirements.delegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)
    seen_by_lei = Scenario.objects.get(requirement=req, number=1)
    seen_by_fang = Scenario.objects.get(requirement=req, number=1)
    requirements.acknowledge_scenario(scenario=seen_by_lei, actor=w.lei)

    with pytest.raises(Refused) as refused:
        requirements.acknowledge_scenario(scenario=seen_by_fang, actor=w.fang)

    assert refused.value.code == "scenario.already_acknowledged"
    assert scenario(req, "S-1").acknowledged_by == w.lei


def test_a_dev_question_on_a_scenario_is_a_hand_off_question(w):
    req = advance(w, "handed_off")

    question = requirements.raise_question(
        requirement=req, actor=w.lei, body="能多次退款吗？", scenario=scenario(req, "S-2")
    )

    assert question.key == "Q-1"
    assert question.stage == Question.Stage.HAND_OFF
    assert not question.is_resolved


def test_acknowledging_a_scenario_with_an_open_question_is_refused(w):
    req = advance(w, "handed_off")
    requirements.raise_question(
        requirement=req, actor=w.lei, body="多次退款？", scenario=scenario(req, "S-2")
    )

    with pytest.raises(Refused) as refused:
        requirements.acknowledge_scenario(scenario=scenario(req, "S-2"), actor=w.lei)

    assert refused.value.code == "scenario.open_questions"
    assert refused.value.details == {"scenario": "S-2", "questions": ["Q-1"]}
    assert scenario(req, "S-2").acknowledged_at is None


def test_hand_off_completes_only_when_every_question_is_answered(w):
    req = advance(w, "handed_off")
    requirements.acknowledge_scenario(scenario=scenario(req, "S-1"), actor=w.lei)
    question = requirements.raise_question(
        requirement=req, actor=w.lei, body="S-1 要对账吗？", scenario=scenario(req, "S-1")
    )
    requirements.acknowledge_scenario(scenario=scenario(req, "S-2"), actor=w.lei)
    requirements.acknowledge_scenario(scenario=scenario(req, "S-3"), actor=w.lei)
    assert status_of(req) == Status.HANDED_OFF

    requirements.propose_answered(question=question, actor=w.ming, body="要，T+1 对账。")
    assert status_of(req) == Status.HANDED_OFF, "the asking DEV has not accepted the answer yet"

    requirements.accept_answer(question=question, actor=w.lei)

    assert status_of(req) == Status.PLANNING


def test_answering_the_question_does_not_complete_a_hand_off_with_unacknowledged_scenarios(w):
    req = advance(w, "handed_off")
    question = requirements.raise_question(
        requirement=req, actor=w.lei, body="?", scenario=scenario(req, "S-2")
    )

    requirements.propose_answered(question=question, actor=w.ming, body="见 PRD 第 3 节")
    requirements.accept_answer(question=question, actor=w.lei)

    assert status_of(req) == Status.HANDED_OFF
    requirements.acknowledge_scenario(scenario=scenario(req, "S-2"), actor=w.lei)
    assert status_of(req) == Status.HANDED_OFF


@pytest.mark.parametrize("persona", ["lei", "qiang", "hua"])
def test_hand_off_questions_are_the_pms_to_answer(w, persona):
    req = advance(w, "handed_off")
    question = requirements.raise_question(
        requirement=req, actor=w.lei, body="?", scenario=scenario(req, "S-2")
    )

    with pytest.raises(Refused) as refused:
        requirements.propose_answered(question=question, actor=getattr(w, persona), body="好")

    assert refused.value.code == "role.not_allowed"
    question.refresh_from_db()
    assert not question.is_resolved


def test_answering_an_answered_question_is_refused(w):
    req = advance(w, "handed_off")
    question = requirements.raise_question(
        requirement=req, actor=w.lei, body="?", scenario=scenario(req, "S-2")
    )
    stale_copy = Question.objects.get(pk=question.pk)
    requirements.propose_answered(question=question, actor=w.ming, body="第一次回答")
    requirements.accept_answer(question=question, actor=w.lei)

    with pytest.raises(Refused) as refused:
        requirements.propose_answered(question=stale_copy, actor=w.ming, body="第二次回答")

    assert refused.value.code == "question.already_resolved"
    assert refused.value.details == {"question": "Q-1"}
    question.refresh_from_db()
    assert question.answer == "第一次回答"


def test_an_outsider_cannot_raise_a_question(w):
    req = advance(w, "handed_off")

    with pytest.raises(Refused) as refused:
        requirements.raise_question(
            requirement=req, actor=w.charlie, body="?", scenario=scenario(req, "S-1")
        )

    assert refused.value.code == "role.not_allowed"
    assert refused.value.details["user"] == "charlie"
    assert not req.questions.exists()


def test_a_related_party_may_raise_a_question_once_the_plan_names_it(w):
    req = advance(w, "planning")

    question = requirements.raise_question(
        requirement=req, actor=w.hua, body="退款接口要幂等吗？", item_key="I-2", is_blocking=True
    )

    assert question.stage == Question.Stage.PLAN
    assert question.is_blocking


def test_a_question_on_an_item_not_in_the_plan_is_refused(w):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        requirements.raise_question(requirement=req, actor=w.hua, body="?", item_key="I-9")

    assert refused.value.code == "question.not_blocking_target"
    assert not req.questions.exists()
