"""The worker outlives database errors: a real `techalign worker` process meets a locked SQLite
file or a PostgreSQL database that refuses connections, logs it, backs off, reconnects, and
delivers the notifications made once the database is back."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from techalign.notify.management.commands.worker import backoff_delay
from tests.factories import advance, world
from tests.integrity.support import TECHALIGN, Stage
from tests.notify.conftest import give_emails, schedule


def wait_for(condition: Callable[[], bool], what: str, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


# Seconds: the first wait after a database error, and the longest.
QUICK_BACKOFF = ["--backoff", "0.2", "--max-backoff", "1"]


class WorkerProcess:
    """`techalign worker` against the stage's database, its output kept in a file."""

    def __init__(self, stage: Stage, smtp_port: int) -> None:
        self.log_path = stage.tmp / "worker.log"
        env = stage.env()
        env.update(
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            EMAIL_TIMEOUT="5",
            # Give up on a locked SQLite file quickly, so the test needs not wait 20 s.
            TECHALIGN_SQLITE_TIMEOUT="0.2",
            LOG_LEVEL="WARNING",
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*TECHALIGN, "worker", "-v", "2", "--interval", "0.1", *QUICK_BACKOFF],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        if self.is_alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@contextmanager
def database_unavailable(stage: Stage) -> Iterator[None]:
    """A real fault of the run's database while the worker runs.

    SQLite: another connection holds the write lock, so every write waits out its busy timeout
    and fails with "database is locked". PostgreSQL: the database refuses new connections and
    its open ones are terminated, as when a server restarts."""
    if stage.vendor == "sqlite":
        holder = sqlite3.connect(stage.sqlite_file, isolation_level=None, timeout=10)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    import psycopg

    db = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own_pid,) = cursor.fetchone()
    # A database cannot close itself to connections: that is said from another one.
    admin = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    )
    name = db["NAME"]
    try:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> %s",
            [name, own_pid],
        )
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        admin.close()


@pytest.fixture
def stage(transactional_db, tmp_path) -> Iterator[Stage]:
    stage = Stage(tmp_path)
    yield stage
    stage.close()


def test_backoff_doubles_after_each_error_in_a_row_up_to_its_cap():
    delays = [backoff_delay(n, first=0.5, largest=30) for n in range(1, 10)]

    assert delays == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_worker_survives_a_database_fault_and_delivers_afterwards(stage, smtp, settings):
    w = world()
    give_emails(w.ming, w.lei)
    req = advance(w, "approved")
    stage.database_url()  # on SQLite: the committed data, copied into the file the worker opens
    # A worker asking its PostgreSQL pool for a connection while the database refuses them
    # waits the pool's timeout (10 s by default) before it meets the error: a short one here.
    stage.extra_env["TECHALIGN_DB_POOL_TIMEOUT"] = "1"
    worker = WorkerProcess(stage, settings.EMAIL_PORT)
    try:
        wait_for(lambda: "sweep:" in worker.log(), "the worker's first sweep")

        with database_unavailable(stage):
            wait_for(
                lambda: worker.log().count("database error in the worker") >= 2,
                "the worker to meet the fault twice",
            )
            assert worker.is_alive(), worker.log()
        wait_for(lambda: "reaches the database again" in worker.log(), "the worker to reconnect")
        assert worker.is_alive(), worker.log()

        with stage.own_connection():
            meeting = schedule(w, req)
        wait_for(lambda: smtp.to("lei@example.test"), "the invitation to the lead DEV")
        assert worker.is_alive(), worker.log()
    finally:
        exit_code = worker.stop()

    invitation = smtp.to("lei@example.test")[0]
    assert meeting.requirement.key in invitation["Subject"]
    assert exit_code == 0, worker.log()
    log = worker.log()
    assert "Traceback" not in log, log
    expected = "database is locked" if stage.vendor == "sqlite" else "OperationalError"
    assert expected in log
