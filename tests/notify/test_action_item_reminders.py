"""The worker reminds an action item's owner before its due date and, once overdue, once a day;
never twice for the same reminder, even when a database error stops a run half-way."""

import datetime as dt

import pytest
from django.db import DatabaseError

from techalign.meetings.services import add_action_item
from techalign.notify.models import Notification, Reminder
from techalign.notify.services import remind_action_items
from tests.db_faults import allow_inserts, refuse_inserts
from tests.factories import advance

WEDNESDAY = dt.date(2026, 12, 9)


def inbox(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("event", flat=True)
    )


def action(w, req, owner, due_on, text="跟进"):
    return add_action_item(
        meeting=req.meetings.get(), actor=w.ming, text=text, owner=owner, due_on=due_on
    )


@pytest.fixture
def req(w):
    return advance(w, "aligning")


def test_the_owner_is_reminded_a_working_day_before_it_is_due_and_only_once(w, req):
    action(w, req, w.jun, WEDNESDAY + dt.timedelta(days=1))
    action(w, req, w.wei, WEDNESDAY + dt.timedelta(days=5))  # next Monday: not yet

    assert remind_action_items(WEDNESDAY) == 1
    assert remind_action_items(WEDNESDAY) == 0
    assert inbox(w.jun) == ["action.due"]
    assert inbox(w.wei) == []


def test_a_friday_reminds_of_what_is_due_on_monday(w, req):
    friday = WEDNESDAY + dt.timedelta(days=2)
    action(w, req, w.jun, friday + dt.timedelta(days=3))

    assert remind_action_items(friday) == 1


def test_more_working_days_ahead_when_configured(w, req, settings):
    settings.TECHALIGN_ACTION_REMINDER_DAYS = 3
    action(w, req, w.jun, WEDNESDAY + dt.timedelta(days=5))  # Monday: three working days on

    assert remind_action_items(WEDNESDAY) == 1


def test_an_overdue_action_item_is_recalled_once_a_day_until_done(w, req):
    from techalign.meetings.services import complete_action_item

    item = action(w, req, w.jun, WEDNESDAY - dt.timedelta(days=1))

    assert remind_action_items(WEDNESDAY) == 1
    assert remind_action_items(WEDNESDAY) == 0
    assert remind_action_items(WEDNESDAY + dt.timedelta(days=1)) == 1
    assert inbox(w.jun) == ["action.overdue", "action.overdue"]
    complete_action_item(action_item=item, actor=w.jun)
    assert remind_action_items(WEDNESDAY + dt.timedelta(days=2)) == 0


def test_a_database_error_mid_run_sends_nothing_half_and_the_next_run_finishes(w, req):
    due = WEDNESDAY + dt.timedelta(days=1)
    first = action(w, req, w.jun, due, text="第一件")
    broken = action(w, req, w.fang, due, text="第二件")
    last = action(w, req, w.wei, due, text="第三件")
    # A real database error: the database itself refuses the inbox row of one person.
    refuse_inserts("notify_notification", column="recipient_id", value=w.fang.pk)

    with pytest.raises(DatabaseError):
        remind_action_items(WEDNESDAY)

    assert inbox(w.jun) == ["action.due"]
    assert inbox(w.fang) == [] and inbox(w.wei) == []
    keys = set(Reminder.objects.values_list("key", flat=True))
    assert keys == {f"action.due:{first.pk}:{due}"}, "the failed reminder is not marked sent"

    allow_inserts("notify_notification")
    assert remind_action_items(WEDNESDAY) == 2
    assert inbox(w.jun) == ["action.due"], "what was sent before is not sent again"
    assert inbox(w.fang) == ["action.due"] and inbox(w.wei) == ["action.due"]
    assert {f"action.due:{broken.pk}:{due}", f"action.due:{last.pk}:{due}"} <= set(
        Reminder.objects.values_list("key", flat=True)
    )
