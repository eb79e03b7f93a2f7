"""Background work on process health, run by `techalign worker`."""

from __future__ import annotations

from django_tasks import task
from django_tasks_db.models import DBTaskResult


@task()
def refresh_findings_task() -> str:
    """Bring the stored findings up to date (every requirement on a new day)."""
    from techalign.health.services import refresh_findings

    return str(refresh_findings().refreshed_at)


def enqueue_refresh_when_stale() -> int:
    """Queue a refresh when findings are stale and none is queued yet; 1 when queued."""
    from techalign.health.selectors import freshness

    if freshness(limit=0).is_fresh:
        return 0
    queued = DBTaskResult.objects.ready().filter(task_path=refresh_findings_task.module_path)
    if queued.exists():
        return 0
    refresh_findings_task.enqueue()
    return 1
