"""SQLite behind several gunicorn workers: concurrent writes through the API, and what a client
sees when the database stays locked."""

from __future__ import annotations

import sqlite3

import pytest

from techalign.audit.services import verify_chain
from tests.factories import advance
from tests.integrity.conftest import sqlite_only
from tests.integrity.load import (
    Load,
    lost_or_doubled_edits,
    lost_questions,
    revision_numbers_are_contiguous,
)
from tests.integrity.support import call, sqlite_check

pytestmark = [sqlite_only, pytest.mark.slow]


def test_three_workers_take_concurrent_writes_without_a_server_error(stage, tw):
    requirement = advance(tw, to="planning")
    names = ("ming", "qiang", "hua", "lei", "fang")
    token = {name: stage.token(getattr(tw, name)) for name in names}
    server = stage.serve(workers=3)
    load = Load(server.port, requirement.key, writes_per_thread=12, seconds=20)

    load.run(
        [
            (load.ask, "ming", token["ming"]),
            (load.ask, "qiang", token["qiang"]),
            (load.ask, "hua", token["hua"]),
            (load.edit, "lei", token["lei"], "I-1"),
            (load.edit, "fang", token["fang"], "I-2"),
            (load.edit, "lei-again", token["lei"], "I-3"),
        ]
    )
    server.stop()
    stage.reload()

    assert load.failures == []
    assert load.unanswered == []
    # 409 or 412: an editor based its change on a revision another editor had just replaced.
    assert set(load.statuses) <= {200, 201, 409, 412, 503}, load.statuses
    assert len(load.questions) == 3 * 12
    assert len(load.edits) == 3 * 12
    assert lost_questions(requirement, load.questions) == []
    assert lost_or_doubled_edits(requirement, load.edits) == {}
    assert revision_numbers_are_contiguous(requirement)
    assert sqlite_check(stage.sqlite_file) == ["ok"]
    assert verify_chain()[1] is None


def test_a_write_that_cannot_get_the_lock_is_answered_503_with_retry_after(stage, tw):
    requirement = advance(tw, to="planning")
    token = stage.token(tw.ming)
    stage.extra_env["TECHALIGN_SQLITE_TIMEOUT"] = "0.3"
    server = stage.serve(workers=1)
    questions = f"/api/v1/requirements/{requirement.key}/questions"
    # The token's first use records its last-use time, a write of its own: get it done first.
    assert call(server.port, "GET", questions, token=token).status == 200

    blocker = sqlite3.connect(stage.sqlite_file, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        blocked = call(server.port, "POST", questions, token=token, body={"body": "blocked?"})
        # WAL: readers are not held up by the writer.
        read = call(server.port, "GET", questions, token=token)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    retried = call(server.port, "POST", questions, token=token, body={"body": "after the lock"})
    server.stop()

    assert blocked.status == 503, blocked.body
    assert blocked.headers.get("retry-after") == "1"
    assert blocked.body["code"] == "database.busy"
    assert read.status == 200
    assert retried.status == 201, retried.body
    stage.reload()
    assert [q.body for q in requirement.questions.all()] == ["after the lock"]
