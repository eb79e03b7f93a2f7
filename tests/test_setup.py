"""The installation itself: health check, audit chain verification, and serving under gunicorn."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.core.management import CommandError, call_command

from techalign.audit.models import AuditEvent
from techalign.core.management.commands.serve import default_workers, gunicorn_argv
from techalign.org.services import issue_token
from tests.factories import make_user
from tests.integrity.tampering import tamper

EXPECTED_VENDOR = (
    "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
)
TECHALIGN = [sys.executable, "-m", "techalign.cli"]


def test_health_check_names_the_database_and_its_migrations_to_staff(client, db):
    client.force_login(make_user("ops", is_staff=True))
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["database"]["vendor"] == EXPECTED_VENDOR
    assert body["migrations"] == {"applied": True, "pending": []}
    assert body["status"] == "ok"


def test_audit_verify_reports_an_intact_chain(w, capsys):
    for name in ("one", "two", "three"):
        issue_token(actor=w.ming, user=w.ming, name=name)

    call_command("audit", "verify")

    assert capsys.readouterr().out.strip() == "audit chain OK: 3 events"


def test_audit_verify_names_the_first_tampered_event(w):
    for name in ("one", "two", "three"):
        issue_token(actor=w.ming, user=w.ming, name=name)
    tampered = AuditEvent.objects.order_by("seq")[1]
    tamper(
        (
            f"UPDATE {AuditEvent._meta.db_table} SET summary = %s WHERE seq = %s",
            ['{"name": "forged"}', tampered.seq],
        )
    )

    with pytest.raises(CommandError) as broken:
        call_command("audit", "verify")

    assert broken.value.returncode == 1
    message = str(broken.value)
    assert f"seq {tampered.seq} (token.issued)" in message
    assert "does not match its hash" in message


def test_serve_runs_gunicorn_with_the_wsgi_app_and_an_access_log():
    argv = gunicorn_argv(bind="127.0.0.1:9000", workers=3)

    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    assert "techalign.wsgi:application" in argv
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9000"
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--access-logfile") + 1] == "-"


def test_serve_takes_its_worker_count_from_web_concurrency(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert default_workers() == 5
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert default_workers() == 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


@pytest.mark.one_database  # its server has a SQLite file of its own, whatever the suite runs on
def test_served_application_answers_health_checks_and_static_files(tmp_path):
    """A real gunicorn on 127.0.0.1, without DEBUG, against its own migrated SQLite file."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(
        # The production settings, not the tests' own.
        DJANGO_SETTINGS_MODULE="techalign.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'techalign.sqlite3'}",
        SECRET_KEY="a-key-for-this-test-only",
        STATIC_ROOT=str(tmp_path / "static"),
        TECHALIGN_VAR_DIR=str(tmp_path),
    )
    for command in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([*TECHALIGN, *command], env=env, check=True, timeout=120)
    verified = subprocess.run(
        [*TECHALIGN, "audit", "verify"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (verified.returncode, verified.stdout.strip()) == (0, "audit chain OK: 0 events")

    port = free_port()
    server = subprocess.Popen(
        [*TECHALIGN, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/healthz")
                break
            # Not ready yet: refused, reset, timed out (a loaded machine) or cut off mid-answer.
            # URLError, ConnectionError and socket timeouts are all OSErrors.
            except (OSError, http.client.HTTPException):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        health = json.loads(body)
        assert status == 200
        # Anonymous callers learn neither where the database lives nor its migrations.
        assert health == {
            "status": "ok",
            "database": {"reachable": True},
            "migrations": {"applied": True},
        }

        status, css = fetch(f"http://127.0.0.1:{port}/static/admin/css/base.css")
        assert status == 200
        assert css
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert b"GET /healthz" in output, "the access log goes to stdout"


def test_keep_running_restarts_a_command_that_exits_and_stops_it_when_stopped(tmp_path):
    """`make run` keeps its worker under scripts/keep-running: a worker that dies comes back."""
    runs = tmp_path / "runs"
    # Fails twice at once, then stays up (exec keeps the pid the test reads).
    command = f'echo $$ >> {runs}; [ "$(wc -l < {runs})" -ge 3 ] && exec sleep 60; exit 1'
    keeper = subprocess.Popen(
        ["scripts/keep-running", "--pause", "0.1", "sh", "-c", command],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not runs.exists() or len(runs.read_text().split()) < 3:
            assert keeper.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
        assert len(runs.read_text().split()) == 3, "a command that stays up is not restarted"
        last = int(runs.read_text().split()[-1])

        keeper.terminate()
        _, errors = keeper.communicate(timeout=10)
    finally:
        if keeper.poll() is None:
            keeper.kill()
    assert keeper.returncode == 0
    assert errors.count("exited with status 1; starting it again") == 2
    with pytest.raises(ProcessLookupError):
        os.kill(last, 0)
