"""`techalign backup` while the server writes, and `techalign restore` into a fresh database.

The commands run in this process, pointed at the served database or at a fresh one.

A consistent backup is a prefix of history: every write up to some moment and none after it,
with each row's audit event beside it. Each writer below writes in a known order, so the
restored copy can be checked against that order.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction

from techalign.audit.models import AuditEvent
from techalign.audit.services import verify_chain
from techalign.plans.models import Item, Revision
from techalign.requirements.models import Question
from tests.factories import advance
from tests.integrity.load import Load
from tests.integrity.support import sqlite_check

pytestmark = pytest.mark.slow


def audit_chains() -> dict[int, list[tuple[int, str]]]:
    """Each audit partition's events as (seq, hash), in chain order."""
    chains: dict[int, list[tuple[int, str]]] = {}
    for partition, seq, hash_ in AuditEvent.objects.order_by("partition", "seq").values_list(
        "partition", "seq", "hash"
    ):
        chains.setdefault(partition, []).append((seq, hash_))
    return chains


def restored_history() -> dict[str, list]:
    """What the database holds: each writer's rows in order, and their audit events."""
    done = AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DONE)
    return {
        "questions": list(Question.objects.order_by("number").values_list("id", "body")),
        "revisions": list(Revision.objects.order_by("number").values_list("id", "number")),
        "descriptions": list(
            Item.objects.filter(number=1)
            .order_by("revision__number")
            .values_list("description", flat=True)
        ),
        "chains": audit_chains(),
        "raised": [
            int(t)
            for t in done.filter(action="question.raised").values_list("target_id", flat=True)
        ],
        "revised": [
            int(t) for t in done.filter(action="plan.revised").values_list("target_id", flat=True)
        ],
    }


def test_a_backup_taken_while_the_server_writes_restores_to_a_consistent_prefix(stage, tw):
    requirement = advance(tw, to="planning")
    ming, lei = stage.token(tw.ming), stage.token(tw.lei)
    server = stage.serve(workers=2)
    load = Load(server.port, requirement.key, writes_per_thread=400, seconds=30)
    writer = threading.Thread(
        target=load.run, args=([(load.ask, "ming", ming), (load.edit, "lei", lei, "I-1")],)
    )
    writer.start()
    deadline = time.monotonic() + 25
    while load.acknowledged < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    asked_before, edited_before = len(load.questions), len(load.edits)

    backup = stage.tmp / "techalign.backup"
    with stage.connected_to(stage.database_url()):
        call_command("backup", str(backup))

    asked_after, edited_after = len(load.questions), len(load.edits)
    # The writers go on after the backup: it was taken mid-stream, not at a quiet moment.
    while load.acknowledged < asked_after + edited_after + 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    load.stop.set()
    writer.join(timeout=30)
    server.stop()
    assert load.failures == []
    assert load.acknowledged >= asked_after + edited_after + 5, load.statuses

    restored = stage.fresh_database("restored")
    with stage.connected_to(restored):
        call_command("restore", str(backup))
        assert verify_chain()[1] is None
        history = restored_history()
    with stage.connected_to(stage.database_url()):
        live_chains = audit_chains()
    if stage.vendor == "sqlite":
        assert sqlite_check(backup) == ["ok"]
        assert sqlite_check(restored.removeprefix("sqlite:///")) == ["ok"]

    # Each writer's writes are there in order, from the first to some point, and none missing:
    # at least those acknowledged before the backup began, at most one in flight after it.
    asked = [body for _id, body in history["questions"]]
    assert asked == [f"ming asks #{n}" for n in range(len(asked))]
    assert asked_before <= len(asked) <= asked_after + 1
    assert [n for _id, n in history["revisions"]] == list(range(1, len(history["revisions"]) + 1))
    edits = history["descriptions"][3:]
    assert edits == load.edits[: len(edits)]
    assert edited_before <= len(edits) <= edited_after + 1
    # The audit log is a prefix too (of each partition's chain), and matches the rows beside it
    # one to one.
    for partition, chain in history["chains"].items():
        assert chain == live_chains[partition][: len(chain)]
    assert sorted(history["raised"]) == sorted(i for i, _ in history["questions"])
    assert sorted(history["revised"]) == sorted(i for i, _ in history["revisions"])


def test_restore_refuses_a_database_that_holds_data_unless_forced(stage, tw):
    requirement = advance(tw, to="planning")
    backup = stage.tmp / "techalign.backup"
    with stage.connected_to(stage.database_url()):
        call_command("backup", str(backup))

    with stage.connected_to(stage.fresh_database("target")):
        call_command("restore", str(backup))
        with pytest.raises(CommandError, match="already holds data") as refused:
            call_command("restore", str(backup))
        call_command("restore", str(backup), "--force")

        assert refused.value.returncode == 1
        assert verify_chain()[1] is None
        assert Revision.objects.filter(plan__requirement__number=requirement.number).count() == 3
        if stage.vendor == "postgresql":
            # The append-only triggers come back with the tables.
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                AuditEvent.objects.update(summary={})


def test_restore_refuses_a_file_that_is_not_a_backup(stage, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup")

    with (
        stage.connected_to(stage.fresh_database("empty")),
        pytest.raises(
            CommandError, match=f"is not a backup; this installation uses {stage.vendor}"
        ),
    ):
        call_command("restore", str(bogus))
