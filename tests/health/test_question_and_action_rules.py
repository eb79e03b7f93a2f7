"""TA122 (the lead PM answering technical questions on plan items) and TA123 (action items past
their due date): one case that trips each rule, one that does not."""

import datetime as dt

from django.utils import translation

from techalign.health.base import Severity
from techalign.health.selectors import requirement_findings
from techalign.meetings.services import add_action_item, complete_action_item
from techalign.requirements import services as requirements
from tests.factories import advance


def found(req, code, **kwargs):
    return [f for f in requirement_findings(req, **kwargs) if f.code == code]


def test_ta120_the_lead_pm_proposing_an_answer_on_a_plan_item_is_found(w):
    req = advance(w, "aligning")
    question = requirements.raise_question(
        requirement=req, actor=w.jun, body="退款接口幂等键用什么？", item_key="I-2"
    )
    requirements.propose_answered(question=question, actor=w.ming, body="用订单号")

    (finding,) = found(req, "TA122")

    assert finding.severity == Severity.WARNING and finding.subject == "Q-1"
    with translation.override("en"):
        assert "ming, a product manager of the lead team" in finding.message
        assert "plan item I-2" in finding.message
    with translation.override("zh-hans"):
        assert "主导方产品经理 ming" in finding.message


def test_ta120_a_dev_answering_or_the_pm_answering_about_a_scenario_is_not_found(w):
    req = advance(w, "aligning")
    on_item = requirements.raise_question(
        requirement=req, actor=w.jun, body="幂等键？", item_key="I-2"
    )
    requirements.propose_answered(question=on_item, actor=w.lei, body="用订单号")
    on_scenario = requirements.raise_question(
        requirement=req, actor=w.jun, body="S-1 含运费吗？", scenario=req.scenarios.get(number=1)
    )
    requirements.propose_answered(question=on_scenario, actor=w.ming, body="不含")

    assert found(req, "TA122") == []


def test_ta121_an_open_action_item_past_its_due_date_is_found(w):
    req = advance(w, "aligning")
    today = dt.date(2026, 12, 9)
    add_action_item(
        meeting=req.meetings.get(),
        actor=w.ming,
        text="补充重试策略",
        owner=w.jun,
        due_on=dt.date(2026, 12, 7),
        item_key="I-2",
    )

    (finding,) = found(req, "TA123", today=today)

    assert finding.severity == Severity.ERROR, "it holds finalizing"
    assert finding.details["days"] == 2
    with translation.override("en"):
        assert 'the action item "补充重试策略" of jun on I-2 was due on 2026-12-07' in (
            finding.message
        )


def test_ta121_done_or_not_yet_due_action_items_are_not_found(w):
    req = advance(w, "aligning")
    today = dt.date(2026, 12, 9)
    meeting = req.meetings.get()
    done = add_action_item(
        meeting=meeting, actor=w.ming, text="已做", owner=w.jun, due_on=dt.date(2026, 12, 7)
    )
    complete_action_item(action_item=done, actor=w.jun)
    add_action_item(meeting=meeting, actor=w.ming, text="未到期", owner=w.jun, due_on=today)

    assert found(req, "TA123", today=today) == []
