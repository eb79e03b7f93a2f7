"""Fanning one event out reads and writes in bulk: telling ten more people, each with an email
address and a chat channel of their own, costs no more queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from techalign.meetings.services import add_invitee
from techalign.notify.models import Event, Notification
from techalign.notify.services import add_channel, fan_out
from techalign.org.models import Role
from tests.factories import advance, grant, make_user
from tests.notify.conftest import schedule


def _fan_out_of_a_new_meeting(w, guests=()) -> tuple[int, int, int]:
    """(queries, inbox rows, deliveries) of the invitation to a new requirement's meeting,
    with `guests` invited beside the parties."""
    meeting = schedule(w, advance(w, "approved"))
    for guest in guests:
        add_invitee(meeting=meeting, actor=w.ming, user=guest)
    with CaptureQueriesContext(connection) as queries:
        deliveries = fan_out(Event.MEETING_INVITED, {"meeting": meeting.pk})
    inbox = Notification.objects.filter(requirement=meeting.requirement).count()
    return len(queries), inbox, len(deliveries)


def _guest(w, n):
    """A DEV of the lead team with an email address and a chat channel of their own."""
    person = grant(make_user(f"dev{n}", email=f"dev{n}@example.com"), w.order, Role.DEV)
    add_channel(
        actor=person, kind="feishu", name="mine", url="http://127.0.0.1:9/hook", user=person
    )
    return person


def test_telling_more_people_costs_no_more_queries(w):
    few = _fan_out_of_a_new_meeting(w, [_guest(w, 0)])
    many = _fan_out_of_a_new_meeting(w, [_guest(w, n) for n in range(1, 12)])
    assert many[1] == few[1] + 10 and many[2] == few[2] + 20, (few, many)
    assert many[0] == few[0], (few, many)
