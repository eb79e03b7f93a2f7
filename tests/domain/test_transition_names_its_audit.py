"""`@transition` names the audit action once: the events its service records carry it."""

import pytest

from techalign.audit.models import AuditEvent
from techalign.audit.services import record
from techalign.requirements import services as requirements
from tests.factories import advance


def test_a_service_records_the_action_its_transition_names(w):
    req = advance(w, "draft")
    requirements.hand_off(requirement=req, actor=w.ming)
    event = AuditEvent.objects.filter(requirement=req).order_by("-seq").first()
    assert (event.action, event.outcome) == ("requirement.handed_off", "done")
    assert requirements.hand_off.action == "requirement.handed_off"


def test_a_second_event_of_one_transition_keeps_its_own_name(w):
    req = advance(w, "handed_off")
    for scenario in req.scenarios.all():
        requirements.acknowledge_scenario(scenario=scenario, actor=w.lei)
    actions = list(
        AuditEvent.objects.filter(requirement=req).order_by("-seq").values_list("action", flat=True)
    )
    assert actions[:2] == ["requirement.hand_off_completed", "scenario.acknowledged"]


def test_record_outside_a_transition_must_name_its_action(w):
    req = advance(w, "draft")
    with pytest.raises(TypeError):
        record(actor=w.ming, target=req)
