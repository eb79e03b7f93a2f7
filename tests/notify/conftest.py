"""Real servers on 127.0.0.1 for the notification tests: an SMTP server (aiosmtpd) that keeps
what it receives, and an HTTP receiver whose answers a test chooses (ok, 500, hang)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from techalign.meetings.services import schedule_meeting
from techalign.org.models import User


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler: parses and keeps every message."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    yield inbox
    controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiver got, and what it answers next: a queue of (status, body) or "hang"."""

    base: str = ""
    received: list[Received] = field(default_factory=list)
    script: list = field(default_factory=list)
    default: tuple = (200, b'{"code": 0, "errcode": 0, "msg": "ok"}')

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            state.received.append(Received(self.path, dict(self.headers), self.rfile.read(length)))
            answer = state.script.pop(0) if state.script else state.default
            if answer == "hang":
                time.sleep(1.5)  # longer than the test's webhook timeout, and bounded
                return
            status, body = answer
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def quick_retries(settings):
    """Retries without waiting, and a short webhook timeout."""
    settings.TECHALIGN_NOTIFY_BACKOFF = [0, 0, 0]
    settings.TECHALIGN_WEBHOOK_TIMEOUT = 0.5


def give_emails(*users: User) -> None:
    for user in users or User.objects.all():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.test")
        user.email = f"{user.username}@example.test"


def schedule(w, req, starts_at: dt.datetime | None = None, **options):
    """ming schedules the alignment meeting of `req` three days from now (or at `starts_at`)."""
    start = starts_at or (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    return schedule_meeting(
        requirement=req,
        actor=w.ming,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        location="3F Room 301",
        **options,
    )
