"""Stored findings read "events past seq N"; N must be a seq below which nothing can still
commit. With partitioned chains, an appender in one partition may hold seq 100 uncommitted
while another commits 101: `committed_through` waits for it (PostgreSQL)."""

from __future__ import annotations

import threading

from django.db import transaction

from techalign.audit.models import AuditEvent, ChainLayout
from techalign.audit.services import committed_through, record
from techalign.requirements import services as requirements
from tests.integrity.conftest import postgresql_only
from tests.integrity.test_audit_partitions_concurrency import own_connection

pytestmark = postgresql_only


def test_an_event_still_in_flight_below_the_newest_is_waited_for(tw):
    ChainLayout.objects.update_or_create(pk=1, defaults={"partitions": 16})
    drafts = [
        requirements.create_requirement(actor=tw.ming, lead_team=tw.order, title=f"需求 {n}")
        for n in range(20)
    ]
    slow = drafts[0]
    fast = next(d for d in drafts if d.pk % 16 != slow.pk % 16)
    holding, release = threading.Event(), threading.Event()
    held_seq: list[int] = []

    def hold() -> None:
        with transaction.atomic():
            held_seq.append(record(actor=tw.ming, target=slow, action="requirement.touched").seq)
            holding.set()
            release.wait(timeout=60)

    holder, holder_errors = own_connection(hold)
    assert holding.wait(timeout=30)
    with transaction.atomic():
        newer = record(actor=tw.ming, target=fast, action="requirement.touched").seq
    assert newer > held_seq[0]

    seen: list[int] = []
    reader, reader_errors = own_connection(lambda: seen.append(committed_through()))
    reader.join(timeout=2)
    assert reader.is_alive() and not seen  # waits for the event still in flight
    release.set()
    holder.join(timeout=30)
    reader.join(timeout=30)
    assert holder_errors == reader_errors == []
    assert seen[0] >= newer
    assert AuditEvent.objects.filter(seq=held_seq[0]).exists()
