"""Several nodes starting at once each run `techalign migrate`: one applies, the others wait."""

from __future__ import annotations

import os
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


def test_concurrent_migrations_on_one_database_all_succeed(empty_database, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DJANGO_SETTINGS_MODULE="techalign.settings",
        DATABASE_URL=empty_database,
        SECRET_KEY="a-key-for-this-test-only",
        TECHALIGN_VAR_DIR=str(tmp_path),
    )
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
