"""Meeting action items that nobody can forget: each may serve a plan item, a scenario or a
question; its owner is told and finds it in their inbox; an open one on a plan item holds
finalizing, named in the refusal."""

import datetime as dt

import pytest

from techalign.core.errors import Refused
from techalign.meetings import services as meetings
from techalign.notify.models import Notification
from techalign.plans.models import Baseline
from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from techalign.web.selectors import count_my_work, my_work
from tests.domain.support import finalize_current, status_of
from tests.factories import advance, sign_all

DUE = dt.date.today() + dt.timedelta(days=7)


def add(w, req, **links):
    """The lead PM records, at the meeting, an action item for jun (payments DEV)."""
    return meetings.add_action_item(
        meeting=req.meetings.get(),
        actor=w.ming,
        text="补充退款失败的重试策略",
        owner=w.jun,
        due_on=DUE,
        **links,
    )


@pytest.fixture
def req(w):
    return advance(w, "aligning")


def test_an_action_item_serves_a_plan_item_by_its_stable_key(w, req):
    item = add(w, req, item_key="i-2")

    assert item.item_key == "I-2"
    assert item.serves == "I-2"


def test_an_action_item_on_an_item_not_in_the_plan_is_refused(w, req):
    with pytest.raises(Refused) as refused:
        add(w, req, item_key="I-9")

    assert refused.value.code == "question.not_blocking_target"
    assert not req.meetings.get().action_items.exists()


def test_an_action_item_may_serve_a_scenario_or_a_question(w, req):
    question = requirements.raise_question(requirement=req, actor=w.hua, body="补偿金额？")

    on_scenario = add(w, req, scenario=req.scenarios.get(number=2))
    on_question = add(w, req, question=question)

    assert (on_scenario.serves, on_question.serves) == ("S-2", "Q-1")


def test_the_owner_is_told_and_finds_it_in_their_inbox(w, req, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = add(w, req, item_key="I-2")

    told = Notification.objects.get(recipient=w.jun, event="action.assigned")
    assert "M-1" in told.shown_title and "I-2" in told.shown_body
    assert not Notification.objects.filter(recipient=w.ming, event="action.assigned").exists()
    assert my_work(w.jun).actions == [item]
    assert count_my_work(w.jun) >= 1
    meetings.complete_action_item(action_item=item, actor=w.jun)
    assert my_work(w.jun).actions == []


def test_finalizing_is_refused_naming_an_open_action_item_on_a_plan_item(w, req):
    sign_all(w, req)
    item = add(w, req, item_key="I-2")

    with pytest.raises(Refused) as refused:
        finalize_current(req, w.ming)

    assert refused.value.code == "finalize.action_items_open"
    assert "I-2" in refused.value.message and "jun" in refused.value.message
    assert not Baseline.objects.exists()

    meetings.complete_action_item(action_item=item, actor=w.jun)
    finalize_current(req, w.ming)
    assert status_of(req) == Status.FINALIZED


def test_an_open_action_item_on_a_scenario_does_not_hold_finalizing(w, req):
    sign_all(w, req)
    add(w, req, scenario=req.scenarios.get(number=1))

    finalize_current(req, w.ming)

    assert status_of(req) == Status.FINALIZED


def test_completing_an_action_item_twice_is_refused(w, req):
    item = add(w, req, item_key="I-2")
    meetings.complete_action_item(action_item=item, actor=w.jun)

    with pytest.raises(Refused) as refused:
        meetings.complete_action_item(action_item=item, actor=w.jun)

    assert refused.value.code == "action_item.already_done"
