"""`techalign serve`: the web application under gunicorn."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

DEFAULT_BIND = "127.0.0.1:8000"
WSGI_APP = "techalign.wsgi:application"


def default_workers() -> int:
    """Worker processes when --workers is not given: WEB_CONCURRENCY, else 2."""
    value = os.environ.get("WEB_CONCURRENCY", "")
    return int(value) if value.isdigit() and int(value) > 0 else 2


def gunicorn_argv(*, bind: str, workers: int) -> list[str]:
    """The command line that runs techalign under gunicorn with this Python."""
    # With JSON logs, techalign logs each request itself, with its request id.
    json_logs = os.environ.get("TECHALIGN_LOG_FORMAT", "") == "json"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        WSGI_APP,
        "--bind",
        bind,
        "--workers",
        str(workers),
        *([] if json_logs else ["--access-logfile", "-"]),
        "--error-logfile",
        "-",
        # One control socket per user by default: a second server on the machine would clash.
        "--no-control-socket",
    ]


def _running(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_folder(kind: str) -> Path:
    """A folder of `kind` under the var folder that belongs to this server process alone,
    emptied at start; those of servers that have ended since are removed, as nobody will read
    them again."""
    folder = settings.VAR_DIR / kind / f"serve-{os.getpid()}"
    for earlier in folder.parent.glob("serve-*"):
        if earlier != folder and not _running(earlier.name.removeprefix("serve-")):
            shutil.rmtree(earlier, ignore_errors=True)
    return _emptied(folder)


def metrics_folder() -> Path:
    """Where this server's gunicorn workers keep their metrics for /metrics to add up:
    PROMETHEUS_MULTIPROC_DIR if set (emptied at start, so counts from an earlier run are not
    added in), else a folder of this server's own."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return _emptied(Path(configured)) if configured else server_folder("metrics")


def _emptied(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def node_answers_file() -> Path:
    """The file this server's workers share kept answers through (techalign/core/answers.py):
    a new one at each start, so no answer outlives the code and the database it was built
    from."""
    return server_folder("answers") / "answers.sqlite3"


class Command(BaseCommand):
    help = "Serve techalign with gunicorn (static files included)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=DEFAULT_BIND, help="HOST:PORT to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Worker processes (default: WEB_CONCURRENCY, else 2).",
        )

    def handle(self, *args: Any, bind: str, workers: int | None, **options: Any) -> None:
        workers = workers if workers is not None else default_workers()
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        argv = gunicorn_argv(bind=bind, workers=workers)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_folder())
        os.environ["TECHALIGN_NODE_ANSWERS"] = str(node_answers_file())
        self.stdout.write(f"techalign listening on http://{bind}/ with {workers} worker(s)")
        self.stdout.flush()
        # exec, so gunicorn's arbiter receives signals (Ctrl-C, SIGTERM) directly.
        os.execv(argv[0], argv)
