"""Several nodes starting at once each run `techalign migrate`: one applies, the others wait."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

TECHALIGN = [sys.executable, "-m", "techalign.cli"]
NODES = 2


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a database with no tables, of the vendor the suite runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"migrate_race_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _env(database: str, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DJANGO_SETTINGS_MODULE="techalign.settings",
        DATABASE_URL=database,
        SECRET_KEY="a-key-for-this-test-only",
        TECHALIGN_VAR_DIR=str(tmp_path),
    )
    return env


def test_concurrent_migrations_on_one_database_all_succeed(empty_database, tmp_path):
    env = _env(empty_database, tmp_path)
    nodes = [
        subprocess.Popen(
            [*TECHALIGN, "migrate", "--noinput", "-v", "0"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(NODES)
    ]
    outcomes = [(node.wait(timeout=300), node.stdout.read()) for node in nodes]

    assert [code for code, _ in outcomes] == [0] * NODES, outcomes
    check = subprocess.run(
        [*TECHALIGN, "migrate", "--check", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def _has_statistics(database: str) -> bool:
    if database.startswith("sqlite"):
        with sqlite3.connect(database.removeprefix("sqlite:///")) as connection:
            found = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
            ).fetchone()
        return bool(found[0])
    with psycopg.connect(database) as connection:
        found = connection.execute(
            "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
        ).fetchone()
    return bool(found and found[0])


def test_an_upgrade_refreshes_the_planner_statistics_a_new_installation_does_not(
    empty_database, tmp_path
):
    """An index a migration adds has no statistics until the next ANALYZE, and SQLite takes
    such an index for a very selective one: an upgrade re-samples them at once."""
    env = _env(empty_database, tmp_path)

    def migrate(*target: str) -> None:
        done = subprocess.run(
            [*TECHALIGN, "migrate", *target, "--noinput", "-v", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    migrate("requirements", "0005")  # an installation from before the (status, number) index
    assert not _has_statistics(empty_database)
    migrate()
    assert _has_statistics(empty_database)
