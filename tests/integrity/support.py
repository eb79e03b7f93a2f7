"""A real server for the integrity tests: `techalign serve` on 127.0.0.1 against this test's data.

The data is built in-process through the services (personas, a requirement, tokens). On
PostgreSQL the server uses the test database itself (the test runs with `transactional_db`, so
that data is committed). On SQLite the test database lives in memory, so the data is copied into
a file the server opens, and copied back afterwards so the ORM can check what the server wrote.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection, connections

from techalign.org.services import issue_token
from techalign.settings import database_from_url

TECHALIGN = [sys.executable, "-m", "techalign.cli"]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def database_url_of_test_database() -> str:
    """The PostgreSQL test database as a DATABASE_URL a subprocess can use."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def sqlite_check(path: Path) -> list[str]:
    """PRAGMA integrity_check of a database file: ["ok"] when it is sound."""
    db = sqlite3.connect(path)
    try:
        return [row[0] for row in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Server:
    """One `techalign serve` process group; stop() is a clean shutdown, kill() a crash."""

    def __init__(self, stage: Stage, workers: int, port: int | None = None):
        self.port = port or free_port()
        self.log_path = stage.tmp / f"server-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [*TECHALIGN, "serve", "--bind", f"{HOST}:{self.port}", "--workers", str(workers)],
            env=stage.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own process group, so a crash takes the arbiter and every worker at once.
            start_new_session=True,
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                if call(self.port, "GET", "/healthz", timeout=2).status == 200:
                    return
            # Not up yet: refused, timed out on a loaded machine, or cut off mid-answer.
            except (OSError, http.client.HTTPException):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the server did not start:\n{self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tracebacks(self) -> str:
        """The exception line of each traceback the server logged, to explain a 5xx."""
        found = []
        for chunk in self.log().split("Traceback (most recent call last):")[1:]:
            raised = [line for line in chunk.splitlines()[1:] if line and line[0] != " "]
            found.append(raised[0] if raised else chunk[:200])
        # Workers leave by SystemExit when the server stops: not an error.
        return "\n".join(line for line in found if not line.startswith("SystemExit"))

    def stop(self) -> None:
        """Gunicorn's quick shutdown: the tests stop a server only once its clients are done."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def kill(self) -> None:
        """SIGKILL the arbiter and its workers: no shutdown code runs, as in a power cut."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        else:
            # Workers outlive a dead arbiter briefly; none may keep writing after a crash.
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


def call(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    timeout: float = 30,
) -> Reply:
    """One HTTP request to 127.0.0.1 on a connection of its own (safe from any thread)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {"Accept": "application/json", "Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        parsed: Any = raw
        if response.getheader("Content-Type", "").startswith("application/json"):
            parsed = json.loads(raw)
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, parsed)
    finally:
        conn.close()


@dataclass
class Stage:
    """This test's data, served by real servers; see the module docstring."""

    tmp: Path
    tokens: dict[str, str] = field(default_factory=dict)
    servers: list[Server] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)
    _sqlite_file: Path | None = None

    @property
    def vendor(self) -> str:
        return connection.vendor

    def token(self, user) -> str:
        if user.username not in self.tokens:
            self.tokens[user.username] = issue_token(actor=None, user=user, name="integrity")[1]
        return self.tokens[user.username]

    def database_url(self) -> str:
        """Where servers and commands find the data; on SQLite, copies it out on first use."""
        if self.vendor == "postgresql":
            return database_url_of_test_database()
        if self._sqlite_file is None:
            self._sqlite_file = self.tmp / "served.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(self._sqlite_file)
            try:
                connection.connection.backup(target)
                # As after `techalign migrate`: the file is in WAL mode before anyone else opens
                # it. Left to the servers' first connections, several would switch it at once,
                # and a connection upgrading its read lock is refused without waiting.
                target.execute("PRAGMA journal_mode=WAL")
            finally:
                target.close()
        return f"sqlite:///{self._sqlite_file}"

    @property
    def sqlite_file(self) -> Path:
        assert self._sqlite_file is not None, "database_url() first"
        return self._sqlite_file

    def env(self) -> dict[str, str]:
        """The production settings against this stage's database, with nothing from the
        tests' own settings."""
        (self.tmp / "static").mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
        env.update(
            DJANGO_SETTINGS_MODULE="techalign.settings",
            DATABASE_URL=self.database_url(),
            # One installation, one key: the servers sign audit events the tests then verify.
            SECRET_KEY=settings.SECRET_KEY,
            TECHALIGN_VAR_DIR=str(self.tmp),
            STATIC_ROOT=str(self.tmp / "static"),
            SESSION_COOKIE_SECURE="0",
            ALLOWED_HOSTS=HOST,
            **self.extra_env,
        )
        return env

    def serve(self, workers: int = 3, port: int | None = None) -> Server:
        server = Server(self, workers, port)
        self.servers.append(server)
        return server

    def command(self, *argv: str, database_url: str | None = None, timeout: float = 120):
        """Run `techalign ARGV...` against this stage's database (or another one)."""
        env = self.env()
        if database_url is not None:
            env["DATABASE_URL"] = database_url
        return subprocess.run(
            [*TECHALIGN, *argv], env=env, capture_output=True, text=True, timeout=timeout
        )

    @contextmanager
    def connected_to(self, database_url: str) -> Iterator[None]:
        """Point the calling thread's default connection at another database for a while."""
        original = connections["default"]
        settings = {**original.settings_dict, **database_from_url(database_url)}
        # Django keeps one PostgreSQL pool per alias for the whole process, whatever the
        # settings: the replacement connects on its own instead of borrowing from it.
        settings["OPTIONS"] = {k: v for k, v in settings.get("OPTIONS", {}).items() if k != "pool"}
        replacement = type(original)(settings, alias="default")
        connections["default"] = replacement
        try:
            yield
        finally:
            replacement.close()
            connections["default"] = original

    @contextmanager
    def own_connection(self) -> Iterator[None]:
        """Give the calling thread a database connection of its own, closed at the end.

        On PostgreSQL every thread has one already. On SQLite the thread connects to the
        stage's file, as a server worker would, rather than to the in-memory test database.
        """
        try:
            if self.vendor == "sqlite":
                with self.connected_to(self.database_url()):
                    yield
            else:
                yield
        finally:
            connections.close_all()

    def fresh_database(self, name: str) -> str:
        """The URL of a new, empty database (dropped with the stage on PostgreSQL)."""
        if self.vendor == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.sqlite3')}"
        database = f"{connection.settings_dict['NAME']}_{name}"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}"')
            cursor.execute(f'CREATE DATABASE "{database}"')
        self.databases.append(database)
        return database_url_of_test_database().rsplit("/", 1)[0] + "/" + database

    def reload(self) -> None:
        """Make what the servers wrote visible to this process's ORM."""
        if self.vendor == "postgresql":
            return
        connection.ensure_connection()
        source = sqlite3.connect(self.sqlite_file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()

    def close(self) -> None:
        for server in self.servers:
            server.kill()
        for database in self.databases:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
