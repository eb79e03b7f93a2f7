"""The production server on 127.0.0.1 for the measurements, and a plain single HTTP client."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from techalign.core.management.commands.serve import (
    default_workers,
    gunicorn_argv,
    node_answers_file,
)

ROOT = Path(settings.BASE_DIR)
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`techalign serve`'s gunicorn command line, with the bench's floor view added."""

    def __init__(self, *, workers: int | None = None, kept_answers: bool = True) -> None:
        self.workers = workers or default_workers()
        # Off, every read builds its answer: what a reader pays who asks first.
        self.kept_answers = kept_answers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = RESULTS / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> str:
        kept = "" if self.kept_answers else "; TECHALIGN_KEPT_ANSWERS_MB=0"
        return f"techalign serve --workers {self.workers} (bench.settings: + /bench/floor{kept})"

    def __enter__(self) -> Server:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": str(ROOT),
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-" + "x" * 40,
            # Plain http on 127.0.0.1: the session cookie cannot be marked secure.
            "SESSION_COOKIE_SECURE": "0",
            "DEBUG": "",
            # As `techalign serve` does: the workers share what they built, from a new file.
            **(
                {"TECHALIGN_NODE_ANSWERS": str(node_answers_file())}
                if self.kept_answers
                else {"TECHALIGN_KEPT_ANSWERS_MB": "0"}
            ),
        }
        argv = gunicorn_argv(bind=f"127.0.0.1:{self.port}", workers=self.workers)
        RESULTS.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv, env=env, stdout=log, stderr=log, cwd=ROOT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                Client(self.base).get("/bench/floor")
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"the server did not start; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()]

    def workers_cpu_ms(self) -> dict[int, float]:
        """Each worker's CPU time so far (user and system), in milliseconds."""
        ticks = os.sysconf("SC_CLK_TCK")
        spent = {}
        for pid in self.worker_pids():
            try:
                # The fields after the command's closing parenthesis: utime and stime are the
                # 12th and 13th of them.
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a worker that ended in between
            spent[pid] = (int(fields[11]) + int(fields[12])) * 1000 / ticks
        return spent

    def worker_peak_rss_mb(self) -> dict[int, float]:
        """Each worker's peak resident memory so far (VmHWM), in MiB."""
        peaks = {}
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            found = re.search(r"VmHWM:\s+(\d+) kB", status)
            if found:
                peaks[pid] = round(int(found.group(1)) / 1024, 1)
        return peaks


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    """One HTTP client: a new connection per request, as gunicorn's sync workers close them."""

    base: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        parts = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            data = raw.read()
            for header, value in raw.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Response(raw.status, data, {k.lower(): v for k, v in raw.getheaders()})
        finally:
            connection.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def login(self, username: str, password: str) -> None:
        """A session login through the login form, as a browser does it."""
        self.get("/accounts/login/")
        token = self.cookies.get("csrftoken", "")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        response = self.request(
            "POST",
            "/accounts/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.base + "/",
            },
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {username} failed: HTTP {response.status}")


def timed(client: Client, path: str) -> tuple[float, int]:
    """Milliseconds from sending the request to the last byte of the response."""
    started = time.perf_counter()
    response = client.get(path)
    return (time.perf_counter() - started) * 1000, response.status
