"""Events written before the chain was keyed stay verifiable: migration 0004 checks the old
plain SHA-256 chain, re-chains it with the audit key and records that it did; an old chain that
is already broken is not laundered into a valid keyed one."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from techalign.audit.guard import unlocked_audit_log
from techalign.audit.models import AuditEvent
from techalign.audit.services import GENESIS, canonical_event, verify_chain

BEFORE = ("audit", "0003_append_only_on_postgresql")
# Up to the partitions (0006): the current model, which verify_chain reads, has that column.
KEYED = ("audit", "0006_chain_partitions")


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def write_legacy_events(count: int, *, forged_seq: int | None = None) -> str:
    """Events as the unkeyed version wrote them; returns the old chain's head."""
    state = MigrationExecutor(connection).loader.project_state(BEFORE)
    Legacy = state.apps.get_model("audit", "AuditEvent")
    prev = GENESIS
    for seq in range(1, count + 1):
        event = Legacy(
            seq=seq,
            occurred_at=timezone.now(),
            action="token.issued",
            target_type="org.apitoken",
            target_id=str(seq),
            target_label=f"token {seq}",
            summary={"name": f"t{seq}"},
            prev_hash=prev,
        )
        event.hash = hashlib.sha256(canonical_event(event)).hexdigest()
        if seq == forged_seq:
            event.summary = {"name": "forged"}
        event.save(force_insert=True)
        prev = event.hash
    return prev


def empty_the_log() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {AuditEvent._meta.db_table}")
        else:
            with unlocked_audit_log():
                cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table}")


@pytest.fixture
def before_the_keyed_chain(transactional_db):
    migrate([BEFORE])
    try:
        yield
    finally:
        empty_the_log()
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_old_events_are_re_chained_with_the_key_and_the_step_is_recorded(before_the_keyed_chain):
    legacy_head = write_legacy_events(3)

    migrate([KEYED])

    assert verify_chain() == (4, None)
    marker = AuditEvent.objects.order_by("seq").last()
    assert marker.action == "audit.rechained"
    assert marker.summary == {"events": 3, "legacy_head": legacy_head, "scheme": "hmac-sha256"}
    assert list(AuditEvent.objects.values_list("summary__name", flat=True)[:3]) == [
        "t1",
        "t2",
        "t3",
    ]


def test_an_old_chain_already_broken_stops_the_migration(before_the_keyed_chain):
    write_legacy_events(3, forged_seq=2)

    with pytest.raises(RuntimeError, match=r"already broken at seq 2 \(token.issued\)"):
        migrate([("audit", "0004_keyed_chain")])


def test_an_empty_log_migrates_without_a_marker(before_the_keyed_chain):
    migrate([KEYED])

    assert AuditEvent.objects.count() == 0
