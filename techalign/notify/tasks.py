"""Background work on notifications, run by `techalign worker`."""

from __future__ import annotations

from django_tasks import task


@task()
def fan_out_task(event: str, refs: dict[str, int]) -> int:
    """Retry a fan-out that failed right after its transaction committed."""
    from django.db import transaction

    from techalign.notify.services import fan_out

    with transaction.atomic():
        deliveries = fan_out(event, refs)
    for delivery in deliveries:
        deliver_task.enqueue(delivery.pk)
    return len(deliveries)


@task()
def deliver_task(delivery_id: int) -> str:
    """Send one delivery; failures are recorded on the Delivery and retried, not raised."""
    from techalign.notify.services import deliver

    return deliver(delivery_id)
