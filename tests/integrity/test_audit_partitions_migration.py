"""Migration 0006 splits the audit log into partitions without rewriting a single event: the
chain written before is partition 0's beginning, every hash unchanged, and new events join
their requirement's partition. On SQLite, the table rebuilt to add the column keeps its
append-only triggers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from techalign.audit.models import AuditEvent, ChainLayout
from techalign.audit.services import GENESIS, audit_keys, chain_partitions, event_hash, verify_chain
from techalign.requirements import services as requirements
from tests.factories import world
from tests.integrity.conftest import sqlite_only
from tests.integrity.tampering import sqlite_trigger_sql
from tests.integrity.test_audit_migration import empty_the_log, migrate

BEFORE = ("audit", "0005_append_only_on_sqlite")


def write_single_chain_events(count: int) -> list[tuple[int, str]]:
    """Events as the single-chain version wrote them; returns their (seq, hash)."""
    state = MigrationExecutor(connection).loader.project_state(BEFORE)
    Before = state.apps.get_model("audit", "AuditEvent")
    prev, written = GENESIS, []
    for seq in range(1, count + 1):
        event = Before(
            seq=seq,
            occurred_at=timezone.now(),
            action="token.issued",
            target_type="org.apitoken",
            target_id=str(seq),
            target_label=f"token {seq}",
            summary={"name": f"t{seq}"},
            prev_hash=prev,
        )
        event.hash = prev = event_hash(event, audit_keys()[0])
        event.save(force_insert=True)
        written.append((seq, event.hash))
    return written


@pytest.fixture
def before_partitions(transactional_db):
    migrate([BEFORE])
    try:
        yield
    finally:
        empty_the_log()
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_single_chain_becomes_partition_0s_beginning_unchanged(before_partitions):
    written = write_single_chain_events(3)

    migrate([("audit", "0006_chain_partitions")])

    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "hash")) == written
    assert set(AuditEvent.objects.values_list("partition", flat=True)) == {0}
    assert verify_chain() == (3, None)
    assert ChainLayout.objects.get().partitions == settings.TECHALIGN_AUDIT_PARTITIONS


def test_new_events_join_their_requirements_partition_after_the_old_chain(before_partitions):
    write_single_chain_events(2)
    migrate([("audit", "0006_chain_partitions")])
    w = world()

    requirement = requirements.create_requirement(actor=w.ming, lead_team=w.order, title="退款")

    created = AuditEvent.objects.get(requirement=requirement)
    assert created.partition == requirement.pk % chain_partitions()
    assert created.seq > 2
    if created.partition:
        assert created.prev_hash == GENESIS
    assert verify_chain() == (3, None)


@sqlite_only
def test_sqlite_keeps_its_append_only_triggers_both_ways(before_partitions):
    migrate([("audit", "0006_chain_partitions")])
    assert len(sqlite_trigger_sql()) == 2

    migrate([BEFORE])

    assert len(sqlite_trigger_sql()) == 2
