"""A notification survives the process that wrote it: the fan-out runs right after the commit,
and a copy queued in the same transaction lets the worker do it a minute later when the
request never did (killed between its commit and the fan-out). Whoever takes the copy first
fans out; the other does nothing, so nobody hears twice."""

import datetime as dt

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from techalign.notify.models import Delivery, Notification
from techalign.notify.services import FAN_OUT_FALLBACK_DELAY
from techalign.notify.worker import run_ready_tasks
from tests.factories import advance
from tests.notify.conftest import give_emails

ASK = "plan.ask_written"


def heard(user) -> int:
    return Notification.objects.filter(recipient=user, event=ASK).count()


def fan_out_copies():
    return DBTaskResult.objects.filter(task_path__endswith="fan_out_task")


def a_minute_passes() -> None:
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(
        run_after=timezone.now() - dt.timedelta(seconds=1)
    )


def heard_once_a_minute_later(person) -> None:
    """Once the worker's copies are due and run, the person has heard once, by mail once."""
    a_minute_passes()
    run_ready_tasks()
    assert heard(person) == 1
    assert Delivery.objects.filter(recipient=person.email, event=ASK).count() == 1


def test_the_request_fans_out_and_takes_the_workers_copy_away(
    w, django_capture_on_commit_callbacks
):
    give_emails(w.jun)
    with django_capture_on_commit_callbacks(execute=True):
        advance(w, "planning")

    assert heard(w.jun) == 1
    assert not fan_out_copies().exists()
    heard_once_a_minute_later(w.jun)


def test_a_request_killed_after_its_commit_is_fanned_out_by_the_worker(
    w, django_capture_on_commit_callbacks
):
    give_emails(w.jun)
    # The callbacks are captured and never run: the process died right after the commit.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        advance(w, "planning")
    assert callbacks and heard(w.jun) == 0

    # Not before the delay: the request had that long to do it itself.
    copies = list(fan_out_copies().values_list("run_after", flat=True))
    assert copies and min(copies) >= timezone.now() + FAN_OUT_FALLBACK_DELAY / 2
    run_ready_tasks()
    assert heard(w.jun) == 0

    heard_once_a_minute_later(w.jun)


def test_a_request_slower_than_the_worker_leaves_the_fan_out_to_it(
    w, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        advance(w, "planning")
    a_minute_passes()
    run_ready_tasks()
    assert heard(w.jun) == 1

    for late in callbacks:  # the request's own fan-out, after the worker's
        late()
    assert heard(w.jun) == 1
