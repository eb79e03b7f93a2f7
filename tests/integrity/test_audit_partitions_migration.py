"""Migration 0006 splits the audit log into partitions without rewriting a single event: the
chain written before (here: an unkeyed one, re-chained by 0004 on the way) is partition 0's
beginning, every hash unchanged, and new events join
their requirement's partition. On SQLite, the table rebuilt to add the column keeps its
append-only triggers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from techalign.audit.models import AuditEvent, ChainLayout
from techalign.audit.services import GENESIS, chain_partitions, verify_chain
from techalign.requirements import services as requirements
from tests.factories import world
from tests.integrity.conftest import sqlite_only
from tests.integrity.tampering import sqlite_trigger_sql
from tests.integrity.test_audit_migration import (  # noqa: F401 (a fixture)
    before_the_keyed_chain,
    migrate,
    write_legacy_events,
)

# Each test starts from before the keyed chain (0003) and ends back at the latest migrations.
pytestmark = pytest.mark.usefixtures("before_the_keyed_chain")

SINGLE_CHAIN = ("audit", "0005_append_only_on_sqlite")
PARTITIONS = ("audit", "0006_chain_partitions")


def single_chain_of(count: int) -> list[tuple[int, str]]:
    """`count` events written by the unkeyed version, brought up to the single keyed chain
    (0004 adds its `audit.rechained` marker); returns every event's (seq, hash)."""
    write_legacy_events(count)
    migrate([SINGLE_CHAIN])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {AuditEvent._meta.db_table} ORDER BY seq")
        return [tuple(row) for row in cursor.fetchall()]


def test_the_single_chain_becomes_partition_0s_beginning_unchanged():
    written = single_chain_of(3)

    migrate([PARTITIONS])

    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "hash")) == written
    assert set(AuditEvent.objects.values_list("partition", flat=True)) == {0}
    assert verify_chain() == (4, None)
    assert ChainLayout.objects.get().partitions == settings.TECHALIGN_AUDIT_PARTITIONS


def test_new_events_join_their_requirements_partition_after_the_old_chain():
    written = single_chain_of(2)
    migrate([PARTITIONS])
    w = world()

    requirement = requirements.create_requirement(actor=w.ming, lead_team=w.order, title="退款")

    created = AuditEvent.objects.get(requirement=requirement)
    assert created.partition == requirement.pk % chain_partitions()
    assert created.seq > written[-1][0]
    if created.partition:
        assert created.prev_hash == GENESIS
    assert verify_chain() == (4, None)


@sqlite_only
def test_sqlite_keeps_its_append_only_triggers_both_ways():
    migrate([PARTITIONS])
    assert len(sqlite_trigger_sql()) == 2

    migrate([SINGLE_CHAIN])

    assert len(sqlite_trigger_sql()) == 2
