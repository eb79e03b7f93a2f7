"""Several nodes behind Debian's haproxy, the way docs/deploy.md describes a company install.

haproxy balances round-robin over the `techalign serve` nodes and routes only to those whose
/readyz answers 200; it names the node that answered in `X-Served-By`. Workers are plain
`techalign worker` processes; a browser is a cookie jar that signs in through the proxy.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.integrity.support import HOST, TECHALIGN, Stage, free_port

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

CONFIG = """\
global
    maxconn 512

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # Only a connection that never reached a node is tried on another: a request a node may
    # have acted on is not replayed.
    retries 2
    option redispatch
    option forwardfor

frontend site
    bind {host}:{port}
    default_backend nodes
    http-response set-header X-Served-By %[srv_name]

backend nodes
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {host}
    http-check expect status 200
    timeout check 3s
    default-server inter 500ms fall 2 rise 2
{servers}
"""


class Proxy:
    """haproxy in the foreground with a configuration written for these nodes."""

    def __init__(self, stage: Stage, nodes: dict[str, int]):
        self.port = free_port()
        servers = "\n".join(
            f"    server {name} {HOST}:{port} check" for name, port in nodes.items()
        )
        config = stage.tmp / "haproxy.cfg"
        config.write_text(CONFIG.format(host=HOST, port=self.port, servers=servers))
        self.log_path = stage.tmp / "haproxy.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)], stdout=self._log, stderr=subprocess.STDOUT
        )

    def served_by(self, requests: int) -> Counter:
        """Which node answered each of `requests` GET /readyz through the proxy."""
        seen: Counter = Counter()
        for _ in range(requests):
            conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
            try:
                conn.request("GET", "/readyz")
                answer = conn.getresponse()
                answer.read()
                seen[answer.getheader("X-Served-By", "?")] += 1
            finally:
                conn.close()
        return seen

    def wait_for(self, nodes: set[str], seconds: float = 20) -> Counter:
        """Until every node in `nodes` answers through the proxy (health checks passed)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                seen = self.served_by(2 * len(nodes))
            except OSError:
                seen = Counter()
            if nodes <= set(seen) or time.monotonic() > deadline:
                return seen
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self._log.close()


class Worker:
    """One `techalign worker`; the test restarts it if it exits."""

    def __init__(self, stage: Stage, name: str):
        self.log_path = stage.tmp / f"worker-{name}.log"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*TECHALIGN, "worker", "--interval", "0.2", "--sweep-every", "2"],
            env=stage.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


class Browser:
    """A person at a browser: cookies, CSRF token, sign-in form, through the proxy."""

    def __init__(self, port: int):
        self.base = f"http://{HOST}:{port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, body, the node that answered)."""
        return self._open(urllib.request.Request(self.base + path))

    def _open(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.read().decode(), answer.headers["X-Served-By"]
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), error.headers["X-Served-By"]

    def sign_in(self, username: str, password: str) -> int:
        _status, form, _node = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        ).encode()
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=data, headers={"Referer": self.base + "/"}
        )
        return self._open(request)[0]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Receiver:
    """A chat webhook endpoint on loopback: every delivery id it was sent, as often as sent."""

    deliveries: Counter = field(default_factory=Counter)
    # What each delivery was about: the question key of a `question.asked` message.
    questions: Counter = field(default_factory=Counter)
    url: str = ""

    def __post_init__(self):
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                state.deliveries[self.headers.get("X-Techalign-Delivery", "?")] += 1
                if body.get("event") == "question.asked":
                    state.questions[body["data"]["question"]] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{HOST}:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
