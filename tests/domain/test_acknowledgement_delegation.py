"""Who acknowledges scenarios: the lead DEV, or a DEV of the lead team they delegate. Other
DEVs are refused with the lead DEV's name, and may still ask questions."""

import pytest

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.org.models import Role
from techalign.requirements import services as requirements
from techalign.requirements.models import Question, Status
from techalign.requirements.selectors import next_actions
from tests.domain.support import status_of
from tests.factories import advance, grant, make_user


def first(req):
    return req.scenarios.get(number=1)


def test_a_dev_of_the_lead_team_who_is_not_the_lead_dev_is_refused_naming_the_lead_dev(w):
    req = advance(w, "handed_off")

    with pytest.raises(Refused) as refused:
        requirements.acknowledge_scenario(scenario=first(req), actor=w.fang)

    assert refused.value.code == "scenario.not_lead_dev"
    assert refused.value.details["lead_dev"] == "lei"
    assert "lei" in refused.value.message and "fang" in refused.value.message
    assert first(req).acknowledged_at is None


def test_a_dev_who_may_not_acknowledge_may_still_ask(w):
    req = advance(w, "handed_off")

    question = requirements.raise_question(
        requirement=req, actor=w.fang, body="部分退款含运费吗?", scenario=first(req)
    )

    assert question.stage == Question.Stage.HAND_OFF


def test_a_delegate_may_acknowledge_and_complete_the_hand_off(w):
    req = advance(w, "handed_off")
    requirements.delegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)

    for scenario in req.scenarios.all():
        requirements.acknowledge_scenario(scenario=scenario, actor=w.fang)

    assert first(req).acknowledged_by == w.fang
    assert status_of(req) == Status.PLANNING


def test_who_acts_next_names_the_lead_dev_and_the_delegates(w):
    req = advance(w, "handed_off")
    [acknowledge] = [a for a in next_actions(req) if a.action == "acknowledge"]
    assert [u.username for u in acknowledge.users] == ["lei"]

    requirements.delegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)
    req.refresh_from_db()

    [acknowledge] = [a for a in next_actions(req) if a.action == "acknowledge"]
    assert [u.username for u in acknowledge.users] == ["fang", "lei"]


def test_undelegating_takes_the_right_back(w):
    req = advance(w, "handed_off")
    requirements.delegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)

    requirements.undelegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)

    with pytest.raises(Refused) as refused:
        requirements.acknowledge_scenario(scenario=first(req), actor=w.fang)
    assert refused.value.code == "scenario.not_lead_dev"
    actions = list(
        AuditEvent.objects.filter(requirement=req, outcome="done")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == [
        "requirement.acknowledgement_delegated",
        "requirement.acknowledgement_undelegated",
    ]


@pytest.mark.parametrize("persona", ["ming", "jun", "qiang", "charlie"])
def test_delegating_to_someone_who_is_not_a_dev_of_the_lead_team_is_refused(w, persona):
    req = advance(w, "handed_off")

    with pytest.raises(Refused) as refused:
        requirements.delegate_acknowledgement(
            requirement=req, actor=w.lei, delegate=getattr(w, persona)
        )

    assert refused.value.code == "delegate.not_dev"
    assert refused.value.details == {"user": persona, "team": w.order.name}
    assert not req.acknowledgement_delegates.exists()


@pytest.mark.parametrize("persona", ["ming", "fang", "qiang"])
def test_only_the_lead_dev_may_delegate(w, persona):
    req = advance(w, "handed_off")

    with pytest.raises(Refused) as refused:
        requirements.delegate_acknowledgement(
            requirement=req, actor=getattr(w, persona), delegate=w.fang
        )

    assert refused.value.code == "delegate.not_lead_dev"
    assert refused.value.details["lead_dev"] == "lei"
    assert not req.acknowledgement_delegates.exists()


def test_delegating_twice_or_undelegating_a_stranger_is_refused(w):
    req = advance(w, "handed_off")
    requirements.delegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)

    with pytest.raises(Refused) as twice:
        requirements.delegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)
    another = grant(make_user("tao"), w.order, Role.DEV)
    with pytest.raises(Refused) as stranger:
        requirements.undelegate_acknowledgement(requirement=req, actor=w.lei, delegate=another)

    assert (twice.value.code, stranger.value.code) == (
        "delegate.already_delegated",
        "delegate.not_delegated",
    )


def test_a_new_lead_dev_starts_without_the_previous_ones_delegates(w):
    req = advance(w, "handed_off")
    requirements.delegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)

    requirements.assign_lead_dev(requirement=req, actor=w.ming, lead_dev=w.fang)

    assert not req.acknowledgement_delegates.exists()
    requirements.acknowledge_scenario(scenario=first(req), actor=w.fang)
    with pytest.raises(Refused) as refused:
        requirements.acknowledge_scenario(scenario=req.scenarios.get(number=2), actor=w.lei)
    assert refused.value.code == "scenario.not_lead_dev"
    assert refused.value.details["lead_dev"] == "fang"
