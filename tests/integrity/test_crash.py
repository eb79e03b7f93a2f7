"""Crash safety: the server is SIGKILLed mid-load; every write it acknowledged must survive."""

from __future__ import annotations

import time

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
from tests.integrity.support import sqlite_check

pytestmark = [sqlite_only, pytest.mark.slow]


def test_acknowledged_writes_survive_a_sigkill_of_the_server_mid_load(stage, tw):
    requirement = advance(tw, to="planning")
    token = {name: stage.token(getattr(tw, name)) for name in ("ming", "hua", "lei", "fang")}
    server = stage.serve(workers=3)
    # More writes than the crash leaves time for: the kill lands while they are in flight.
    load = Load(server.port, requirement.key, writes_per_thread=500, seconds=20)
    driver = load.start_mixed(token)
    deadline = time.monotonic() + 15
    while load.acknowledged < 40 and time.monotonic() < deadline and driver.is_alive():
        time.sleep(0.05)
    server.kill()
    load.stop.set()
    driver.join(timeout=30)

    assert load.failures == []
    assert load.acknowledged >= 40, load.statuses
    assert sqlite_check(stage.sqlite_file) == ["ok"]
    stage.reload()
    assert lost_questions(requirement, load.questions) == []
    assert lost_or_doubled_edits(requirement, load.edits) == {}
    assert revision_numbers_are_contiguous(requirement)
    assert verify_chain()[1] is None

    # The production command reads the crashed database as it is, WAL file and all.
    verified = stage.command("audit", "verify")
    assert verified.returncode == 0, verified.stderr
