"""A requirement's answer or page reads its live scenarios once (plans.selectors.one_reading);
outside such a reading nothing is remembered, and a reading inside another joins it."""

from techalign.plans.selectors import live_scenarios, one_reading
from techalign.requirements import services as requirements
from tests.factories import advance


def test_a_reading_remembers_only_while_it_lasts(w):
    req = advance(w, "planning")
    with one_reading(req):
        first = live_scenarios(req)
        assert live_scenarios(req) is first
    requirements.add_scenario(requirement=req, actor=w.ming, title="超时重试")
    assert len(live_scenarios(req)) == len(first) + 1


def test_a_reading_inside_another_joins_it(w):
    req = advance(w, "planning")
    with one_reading(req):
        first = live_scenarios(req)
        with one_reading(req):
            assert live_scenarios(req) is first
        assert live_scenarios(req) is first
    assert live_scenarios(req) is not first
