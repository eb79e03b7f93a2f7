"""Background work on notifications, run by `techalign worker`."""

from __future__ import annotations

from django_tasks import task


@task()
def fan_out_task(event: str, refs: dict[str, int]) -> int:
    """The worker's copy of a fan-out (see `services.emit`): runs when the request did not."""
    from techalign.notify.services import queue_deliveries

    return queue_deliveries(event, refs)


@task()
def deliver_task(delivery_id: int) -> str:
    """Send one delivery; failures are recorded on the Delivery and retried, not raised."""
    from techalign.notify.services import deliver

    return deliver(delivery_id)
