"""Who acts next weighs every member of the lead team, the parties and the committees; the
queries it costs must not grow with how many people those teams hold (the committees were once
read again for each person)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from techalign.org.models import Role
from techalign.requirements.selectors import next_actions
from tests.factories import advance, grant, hold_meeting, make_user


def queries_of_next_actions(req) -> int:
    req.refresh_from_db()
    with CaptureQueriesContext(connection) as captured:
        next_actions(req)
    return len(captured)


def test_next_actions_costs_the_same_with_ten_times_the_people(w):
    req = advance(w, "aligning")
    hold_meeting(w, req, absent=(w.wei,))  # finance unaligned: who may waive is weighed
    few = queries_of_next_actions(req)
    for n in range(30):
        person = make_user(f"extra{n}")
        grant(person, [w.order, w.payments, w.finance][n % 3], Role.DEV)
        grant(make_user(f"arch{n}"), w.committee, Role.ARCHITECT)
    assert queries_of_next_actions(req) == few
