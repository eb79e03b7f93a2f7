"""The background worker's two jobs: run queued tasks, and the periodic sweep.

The sweep enqueues what time alone makes due: calendar feeds to refresh, deliveries whose
task was lost or whose worker died mid-attempt, milestone and action item reminders, and the
refresh of stale process-health findings.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def _worker(worker_id: str) -> Worker:
    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run_ready_tasks(*, limit: int | None = None, worker_id: str | None = None) -> int:
    """Run queued tasks that are due, one at a time, until none is left (or `limit`).

    Each task is claimed in its own short transaction (row locks on PostgreSQL, the write lock
    on SQLite), so several workers can run side by side."""
    worker = _worker(worker_id or get_random_string(32))
    done = 0
    while limit is None or done < limit:
        with transaction.atomic():
            result = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if result is None:
                break
            result.claim(worker.worker_id)
        worker.run_task(result)
        done += 1
    return done


# Finished task results are kept a while for the admin to look into, then deleted; what a
# delivery did stays in its own row (the delivery log) regardless.
KEEP_SUCCEEDED = dt.timedelta(days=14)
KEEP_FAILED = dt.timedelta(days=30)


def maintain() -> dict[str, int]:
    """The slow, rare upkeep: prune old task results, refresh the planner's statistics."""
    from django.db.models import Q
    from django_tasks import TaskResultStatus

    from techalign.core.db import refresh_planner_statistics

    now = timezone.now()
    pruned, _ = (
        DBTaskResult.objects.finished()
        .filter(
            Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lte=now - KEEP_SUCCEEDED)
            | Q(status=TaskResultStatus.FAILED, finished_at__lte=now - KEEP_FAILED)
        )
        .delete()
    )
    refresh_planner_statistics()
    return {"task_results_pruned": pruned}


def sweep() -> dict[str, int]:
    """Enqueue the work that became due with time; returns counts per kind."""
    from techalign.calendars.models import CalendarSource
    from techalign.calendars.services import due_sources
    from techalign.calendars.tasks import refresh_source_task
    from techalign.health.tasks import enqueue_refresh_when_stale
    from techalign.notify.services import (
        overdue_deliveries,
        remind_action_items,
        remind_milestones,
    )
    from techalign.notify.tasks import deliver_task

    now = timezone.now()
    sources = list(due_sources(now).values_list("pk", flat=True))
    # Push the due time out while the fetch is queued, so the next sweep does not queue it again;
    # the fetch itself sets the real next time.
    CalendarSource.objects.filter(pk__in=sources).update(
        next_fetch_at=now + dt.timedelta(minutes=10)
    )
    for source_id in sources:
        refresh_source_task.enqueue(source_id)
    # A delivery's own task runs when it is due; only those left well past it are queued again.
    deliveries = list(
        overdue_deliveries(now - dt.timedelta(minutes=2)).values_list("pk", flat=True)
    )
    for delivery_id in deliveries:
        deliver_task.enqueue(delivery_id)
    return {
        "sources": len(sources),
        "deliveries": len(deliveries),
        "reminders": remind_milestones(),
        "action_item_reminders": remind_action_items(),
        # Stored findings: the requirements written since, or all of them on a new day.
        "findings_refresh": enqueue_refresh_when_stale(),
    }
