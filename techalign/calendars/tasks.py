"""Background work on calendars, run by `techalign worker`."""

from __future__ import annotations

from django_tasks import task

from techalign.calendars.models import CalendarSource


@task()
def refresh_source_task(source_id: int) -> str:
    """Fetch one feed or CalDAV source; the outcome is stored on the source, not raised."""
    from techalign.calendars.services import refresh_source

    source = CalendarSource.objects.filter(pk=source_id).first()
    if source is None:
        return "gone"
    return refresh_source(source=source).fetch_status
