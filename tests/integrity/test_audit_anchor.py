"""The audit log cannot be cut short or rewritten without `techalign audit verify` saying so.

What a probe did to the plain SHA-256 chain, and what now catches it: deleting the newest events
(the latest anchor, kept outside the database, names the missing head), editing one event and
recomputing every later hash (the chain is keyed: without the audit key the hashes do not match),
and rewriting anchors by hand (each line is signed with the key). The tampering goes around the
application with raw SQL, as an insider with database access would.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from techalign.audit.models import AuditEvent
from techalign.audit.services import audit_keys, canonical_event, event_hash, verify_chain
from techalign.org.services import issue_token
from tests.integrity.conftest import sqlite_only
from tests.integrity.tampering import tamper

TABLE = AuditEvent._meta.db_table


@pytest.fixture(autouse=True)
def anchor_dir(settings, tmp_path):
    settings.TECHALIGN_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    return settings.TECHALIGN_AUDIT_ANCHOR_DIR


def issue(w, count: int) -> None:
    for n in range(count):
        issue_token(actor=w.ming, user=w.ming, name=f"t{n}")


def seq_of(n: int) -> int:
    """The seq of the log's n-th event (from 1): on PostgreSQL seqs come from the table's id
    sequence, so a test's first event need not be seq 1."""
    return AuditEvent.objects.order_by("seq").values_list("seq", flat=True)[n - 1]


def verify(capsys) -> str:
    call_command("audit", "verify")
    return capsys.readouterr().out


def verify_fails() -> str:
    with pytest.raises(CommandError) as broken:
        call_command("audit", "verify")
    assert broken.value.returncode == 1
    return str(broken.value)


def rechain_from(seq: int, hasher) -> None:
    """Rewrite every event from `seq` on so each links to the one before, as a forger would."""
    prev = AuditEvent.objects.filter(seq__lt=seq).order_by("-seq").first().hash
    statements = []
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        event.prev_hash = prev
        event.hash = hasher(event)
        prev = event.hash
        statements.append(
            (
                f"UPDATE {TABLE} SET prev_hash = %s, hash = %s, summary = %s WHERE seq = %s",
                [event.prev_hash, event.hash, json.dumps(event.summary), event.seq],
            )
        )
    tamper(*statements)


def test_deleting_the_newest_fifty_events_is_caught_by_the_latest_anchor(w, capsys):
    issue(w, 60)
    call_command("audit", "anchor")
    capsys.readouterr()

    tenth, sixtieth = seq_of(10), seq_of(60)
    tamper((f"DELETE FROM {TABLE} WHERE seq > %s", [tenth]))

    assert verify_chain() == (10, None)  # what is left still links up
    message = verify_fails()
    assert "audit log truncated" in message
    assert f"records 60 events up to seq {sixtieth}" in message
    assert f"partition 0 has no event seq {sixtieth} (it ends at seq {tenth} with 10 events)" in (
        message
    )


def test_a_removed_event_re_chained_with_the_key_is_caught_by_the_count(w):
    issue(w, 6)
    call_command("audit", "anchor")
    # Someone holding the key removes one event and re-chains the rest: the chain is whole
    # again, but the anchor counted six events up to seq 6.
    tamper((f"DELETE FROM {TABLE} WHERE seq = %s", [seq_of(3)]))
    rechain_from(seq_of(3), lambda e: event_hash(e, audit_keys()[0]))
    assert verify_chain()[1] is None

    message = verify_fails()

    assert "audit log truncated" in message
    assert "only 5 of them are left" in message


def test_an_edited_event_with_every_later_hash_recomputed_is_caught(w):
    issue(w, 5)
    third = seq_of(3)
    tamper((f"UPDATE {TABLE} SET summary = %s WHERE seq = %s", ['{"name": "forged"}', third]))

    rechain_from(third, lambda e: hashlib.sha256(canonical_event(e)).hexdigest())

    message = verify_fails()
    assert f"broken at seq {third} (token.issued)" in message
    assert "does not match its hash" in message
    assert "without the audit key" in message


def test_a_rewrite_with_a_guessed_key_is_caught(w):
    issue(w, 4)
    second = seq_of(2)
    tamper((f"UPDATE {TABLE} SET summary = %s WHERE seq = %s", ['{"name": "forged"}', second]))

    rechain_from(second, lambda e: event_hash(e, b"guessed"))

    assert f"broken at seq {second}" in verify_fails()


def test_a_rewrite_by_someone_holding_the_key_still_differs_from_the_anchor(w):
    issue(w, 4)
    call_command("audit", "anchor")
    second = seq_of(2)
    tamper((f"UPDATE {TABLE} SET summary = %s WHERE seq = %s", ['{"name": "forged"}', second]))

    rechain_from(second, lambda e: event_hash(e, audit_keys()[0]))

    message = verify_fails()
    assert "audit log rewritten" in message
    assert f"event seq {seq_of(4)} now has hash" in message


def test_anchors_are_appended_and_verify_checks_the_latest(w, anchor_dir, capsys):
    issue(w, 2)
    call_command("audit", "anchor")
    issue(w, 3)
    call_command("audit", "anchor")
    issue(w, 1)  # written after the latest anchor: fine

    lines = (anchor_dir / "anchors.jsonl").read_text().splitlines()
    out = verify(capsys)

    assert [json.loads(line)["count"] for line in lines] == [2, 5]
    assert "audit chain OK: 6 events" in out
    assert f"seq {seq_of(5)}, 5 events) is in the log" in out


def test_an_anchor_written_without_the_key_is_refused(w, anchor_dir):
    issue(w, 3)
    call_command("audit", "anchor")
    path = anchor_dir / "anchors.jsonl"
    line = json.loads(path.read_text())
    line.update(seq=seq_of(1), count=1, head=AuditEvent.objects.get(seq=seq_of(1)).hash)
    with path.open("a") as anchors:
        anchors.write(json.dumps(line) + "\n")

    assert "not signed with the audit key" in verify_fails()


def test_anchor_to_writes_the_given_file(w, tmp_path, capsys):
    issue(w, 2)
    target = tmp_path / "elsewhere" / "head.jsonl"

    call_command("audit", "anchor", "--to", str(target))
    call_command("audit", "verify", "--anchor", str(target))

    assert json.loads(target.read_text())["seq"] == seq_of(2)
    assert "audit chain OK: 2 events" in capsys.readouterr().out


def test_an_anchor_that_cannot_be_written_is_an_error_not_a_traceback(w, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    with pytest.raises(CommandError, match="cannot append the anchor to") as failed:
        call_command("audit", "anchor", "--to", str(blocker / "anchors.jsonl"))

    assert failed.value.returncode == 1


def test_a_changed_audit_key_fails_verification_unless_the_old_key_is_kept(w, settings):
    settings.TECHALIGN_AUDIT_KEY = ["first-key"]
    issue(w, 2)

    settings.TECHALIGN_AUDIT_KEY = ["second-key"]
    assert f"broken at seq {seq_of(1)}" in verify_fails()

    settings.TECHALIGN_AUDIT_KEY = ["second-key", "first-key"]
    issue(w, 1)
    assert verify_chain() == (3, None)


def test_without_an_audit_key_the_chain_survives_a_secret_key_rotation(w, settings):
    settings.TECHALIGN_AUDIT_KEY = []
    issue(w, 2)
    old = settings.SECRET_KEY

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret", [old]

    assert verify_chain() == (2, None)


@sqlite_only
@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET summary = '{{}}' WHERE seq = 2",
        f"DELETE FROM {TABLE} WHERE seq = 2",
        f"DELETE FROM {TABLE}",
    ],
)
def test_sqlite_refuses_to_change_or_delete_audit_events(w, statement):
    issue(w, 3)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert verify_chain() == (3, None)


@sqlite_only
def test_sqlite_refuses_the_orm_as_well(w):
    issue(w, 2)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(summary={})


@sqlite_only
def test_another_program_opening_the_file_cannot_change_audit_events(tw):
    """The sqlite3 shell, say: it lacks the application's unlock function, so it fails."""
    issue(tw, 2)
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=20)
    try:
        with pytest.raises(sqlite3.OperationalError, match="techalign_audit_unlocked"):
            other.execute(f"DELETE FROM {TABLE}")
    finally:
        other.close()

    assert AuditEvent.objects.count() == 2
