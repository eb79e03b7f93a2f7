"""The worker's rare upkeep: old task results go, recent and unfinished ones stay."""

import datetime as dt

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from techalign.notify.worker import maintain


def _result(status: str, days_ago: int | None) -> DBTaskResult:
    finished = timezone.now() - dt.timedelta(days=days_ago) if days_ago is not None else None
    return DBTaskResult.objects.create(
        status=status,
        finished_at=finished,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="techalign.notify.tasks.deliver_task",
        backend_name="default",
        run_after=timezone.now(),
    )


def test_old_task_results_are_pruned_failures_kept_longer(db):
    kept = [
        _result(TaskResultStatus.SUCCESSFUL, 3),
        _result(TaskResultStatus.FAILED, 20),
        _result(TaskResultStatus.READY, None),
    ]
    gone = [_result(TaskResultStatus.SUCCESSFUL, 20), _result(TaskResultStatus.FAILED, 40)]

    assert maintain() == {"task_results_pruned": 2}
    remaining = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert remaining == {r.pk for r in kept}
    assert not remaining & {r.pk for r in gone}
