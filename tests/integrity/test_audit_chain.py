"""The audit log is tamper-evident everywhere, and append-only on PostgreSQL.

`techalign audit verify` must name the first broken link whichever way the log was rewritten:
an event edited, one removed from the middle, two swapped in order. The tampering goes around
the application with raw SQL, as an insider with database access would.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from techalign.audit.models import AuditEvent
from techalign.audit.services import verify_chain
from techalign.org.services import issue_token
from tests.integrity.conftest import postgresql_only
from tests.integrity.tampering import tamper

TABLE = AuditEvent._meta.db_table


@pytest.fixture
def chain(w) -> list[AuditEvent]:
    """Five events: ming issues himself five tokens."""
    for name in ("one", "two", "three", "four", "five"):
        issue_token(actor=w.ming, user=w.ming, name=name)
    return list(AuditEvent.objects.order_by("seq"))


def seq_of(chain: list[AuditEvent], n: int) -> int:
    """The seq of the chain's n-th event (from 1): on PostgreSQL seqs come from the table's id
    sequence, so a test's first event need not be seq 1."""
    return chain[n - 1].seq


def verify_fails() -> str:
    with pytest.raises(CommandError) as broken:
        call_command("audit", "verify")
    assert broken.value.returncode == 1
    return str(broken.value)


def test_an_untouched_chain_verifies(chain, capsys):
    call_command("audit", "verify")

    assert capsys.readouterr().out.strip() == "audit chain OK: 5 events"


def test_an_edited_event_is_named_as_the_first_broken_link(chain):
    third = seq_of(chain, 3)
    tamper((f"UPDATE {TABLE} SET summary = %s WHERE seq = %s", ['{"name": "forged"}', third]))

    message = verify_fails()

    assert f"broken at seq {third} (token.issued)" in message
    assert "does not match its hash" in message
    assert "2 events before it are intact" in message


def test_a_removed_event_breaks_the_link_of_the_event_after_it(chain):
    tamper((f"DELETE FROM {TABLE} WHERE seq = %s", [seq_of(chain, 3)]))

    message = verify_fails()

    assert f"broken at seq {seq_of(chain, 4)} (token.issued)" in message
    assert "prev_hash is not the hash of the event before it" in message
    assert "2 events before it are intact" in message


def test_two_events_swapped_in_order_break_the_chain_where_the_order_changed(chain):
    parked = 10**12  # seq is unique: one of the two waits aside while the other moves
    second, fourth = seq_of(chain, 2), seq_of(chain, 4)
    tamper(
        (f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [parked, second]),
        (f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [second, fourth]),
        (f"UPDATE {TABLE} SET seq = %s WHERE seq = %s", [fourth, parked]),
    )

    message = verify_fails()

    assert f"broken at seq {second} (token.issued)" in message
    assert "1 events before it are intact" in message


@postgresql_only
@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET summary = '{{}}' WHERE seq = (SELECT MIN(seq) FROM {TABLE})",
        f"DELETE FROM {TABLE} WHERE seq = (SELECT MIN(seq) FROM {TABLE})",
        f"DELETE FROM {TABLE}",
    ],
)
def test_postgresql_refuses_to_change_or_delete_audit_events(chain, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert verify_chain() == (5, None)


@postgresql_only
def test_postgresql_refuses_truncate_even_to_a_role_granted_it(chain):
    role = f"auditor_{uuid.uuid4().hex[:12]}"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT TRUNCATE ON {TABLE} TO {role}")
        # The chain's inserts left deferred foreign-key checks pending; TRUNCATE waits for none.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(f"TRUNCATE {TABLE}")

    assert verify_chain() == (5, None)


@postgresql_only
def test_postgresql_grants_the_public_no_update_delete_or_truncate(chain):
    role = f"visitor_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(
            "SELECT privilege FROM unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) AS privilege "
            "WHERE has_table_privilege(%s, %s, privilege)",
            [role, TABLE],
        )
        granted = cursor.fetchall()

    assert granted == []


def test_the_chain_follows_commit_order_under_concurrent_writers(stage, tw):
    """Eight threads, each on its own database connection, append at once."""
    people = [tw.ming, tw.lei, tw.fang, tw.qiang, tw.hua, tw.jun, tw.li, tw.wei]
    stage.database_url()
    errors: list[BaseException] = []

    def append(user) -> None:
        with stage.own_connection():
            try:
                for n in range(10):
                    issue_token(actor=user, user=user, name=f"t{n}")
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=append, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stage.reload()

    assert errors == []
    checked, broken = verify_chain()
    assert broken is None
    assert checked == 80
    seqs = list(AuditEvent.objects.values_list("seq", flat=True))
    assert len(set(seqs)) == 80
