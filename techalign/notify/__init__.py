"""Notifications. Domain services call `notify.emit("meeting.invited", meeting=m, actor=a)`."""

from typing import Any


def emit(event: str, **objects: Any) -> None:
    """Notify about a domain event after the current transaction commits; see services.emit."""
    from techalign.notify.services import emit as emit_after_commit

    emit_after_commit(event, **objects)
