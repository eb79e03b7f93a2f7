"""Remote calendars: ICS feeds from an HTTP server and CalDAV from a real Radicale server, both
started on 127.0.0.1 by the tests. Failures are stored on the source, shown, and retried."""

from __future__ import annotations

import base64
import datetime as dt
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from techalign.calendars import services
from techalign.calendars.models import CalendarSource
from tests.calendars.ics_builders import busy_at, calendar

SH = ZoneInfo("Asia/Shanghai")
MEETING = (dt.datetime(2026, 12, 8, 10, tzinfo=SH), dt.datetime(2026, 12, 8, 11, tzinfo=SH))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def busy_starts(source: CalendarSource) -> list[dt.datetime]:
    return [dt.datetime.fromtimestamp(s, SH) for s, _e in source.busy]


# ICS feeds


class Feed:
    def __init__(self) -> None:
        self.body = calendar(busy_at("f1", *MEETING)).encode()
        self.status = 200
        self.requests: list[dict] = []


@pytest.fixture
def feed():
    state = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append(dict(self.headers))
            etag = f'"{hash(state.body)}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(state.status)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/cal/lei.ics?token=s3cret"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def test_a_feed_is_fetched_cached_and_refetched_only_when_changed(
    w, feed, django_capture_on_commit_callbacks
):
    from techalign.notify.worker import run_ready_tasks

    with django_capture_on_commit_callbacks(execute=True):
        source = services.add_feed(actor=w.lei, user=w.lei, name="Outlook", url=feed.url)
    assert source.display_url.endswith("/cal/lei.ics?…")  # the token is never shown
    run_ready_tasks()  # the background fetch
    source.refresh_from_db()
    assert source.fetch_status == CalendarSource.FetchStatus.OK
    assert busy_starts(source) == [MEETING[0]]
    expanded_at = source.expanded_at

    services.refresh_source(source=source)  # unchanged: 304, no re-expansion
    source.refresh_from_db()
    assert feed.requests[-1].get("If-None-Match") and source.expanded_at == expanded_at

    feed.body = calendar(
        busy_at("f2", MEETING[0] + dt.timedelta(hours=3), MEETING[1] + dt.timedelta(hours=3))
    ).encode()
    services.refresh_source(source=source)
    source.refresh_from_db()
    assert busy_starts(source) == [MEETING[0] + dt.timedelta(hours=3)]


def test_a_malformed_feed_keeps_the_last_good_calendar_and_shows_the_error(w, feed):
    source = services.add_feed(actor=w.lei, user=w.lei, name="Outlook", url=feed.url)
    services.refresh_source(source=source)
    feed.body = b"<html>Sign in to continue</html>"
    source = services.refresh_source(source=source)
    assert source.fetch_status == CalendarSource.FetchStatus.ERROR
    assert source.fetch_error_code == "calendar.ics_invalid"
    assert "BEGIN:VCALENDAR" in source.fetch_error
    assert busy_starts(source) == [MEETING[0]]  # still busy from the last good fetch


def test_an_unreachable_feed_is_retried_with_backoff(w, settings):
    settings.TECHALIGN_FETCH_TIMEOUT = 2
    url = f"http://127.0.0.1:{free_port()}/gone.ics"
    source = services.add_feed(actor=w.lei, user=w.lei, name="gone", url=url)
    source = services.refresh_source(source=source)
    assert source.fetch_status == CalendarSource.FetchStatus.ERROR
    assert "cannot connect" in source.fetch_error and source.failures == 1
    first_retry = source.next_fetch_at - source.fetched_at
    source = services.refresh_source(source=source)
    assert source.failures == 2
    assert source.next_fetch_at - source.fetched_at == 2 * first_retry
    assert source.pk in services.due_sources(source.next_fetch_at).values_list("pk", flat=True)


def test_a_feed_answering_an_http_error_stores_the_status(w, feed):
    feed.status = 404
    source = services.add_feed(actor=w.lei, user=w.lei, name="Outlook", url=feed.url)
    source = services.refresh_source(source=source)
    assert source.fetch_error_code == "calendar.fetch_failed" and "HTTP 404" in source.fetch_error


# CalDAV against Radicale

USER, PASSWORD = "lei", "correct horse"


def _dav(method: str, url: str, body: str = "", content_type: str = "text/calendar") -> int:
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    req = urllib.request.Request(
        url,
        data=body.encode() or None,
        method=method,
        headers={"Authorization": f"Basic {auth}", "Content-Type": content_type},
    )
    with urllib.request.urlopen(req, timeout=5) as answer:
        return answer.status


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    root = tmp_path_factory.mktemp("radicale")
    (root / "users").write_text(f"{USER}:{PASSWORD}\n")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(root / "collections"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(root / "users"),
            "--auth-htpasswd-encryption",
            "plain",
            "--rights-type",
            "owner_only",
            "--logging-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError(f"radicale did not start: {server.stderr.read()!r}") from None
            time.sleep(0.1)
    _dav("MKCALENDAR", f"{base}/{USER}/work/")
    # Times in UTC: Radicale misreads VTIMEZONE blocks written as RDATE lists.
    _dav(
        "PUT",
        f"{base}/{USER}/work/standup.ics",
        calendar(busy_at("standup", *MEETING, "RRULE:FREQ=DAILY;COUNT=3")),
    )
    yield base
    server.terminate()
    server.wait(timeout=10)


def test_caldav_discovers_the_users_calendars_and_reads_busy_time(w, radicale):
    source = services.add_caldav(
        actor=w.lei,
        user=w.lei,
        name="Radicale",
        url=f"{radicale}/",
        username=USER,
        password=PASSWORD,
    )
    source = services.refresh_source(source=source)
    assert source.fetch_status == CalendarSource.FetchStatus.OK, source.fetch_error
    assert busy_starts(source) == [MEETING[0] + dt.timedelta(days=n) for n in range(3)]


def test_caldav_reads_a_calendar_collection_url_directly(w, radicale):
    source = services.add_caldav(
        actor=w.lei,
        user=w.lei,
        name="work",
        url=f"{radicale}/{USER}/work/",
        username=USER,
        password=PASSWORD,
    )
    source = services.refresh_source(source=source)
    assert len(source.busy) == 3


def test_a_caldav_login_failure_is_stored_and_the_password_never_shown(w, radicale):
    source = services.add_caldav(
        actor=w.lei,
        user=w.lei,
        name="Radicale",
        url=f"{radicale}/",
        username=USER,
        password="wrong password",
    )
    source = services.refresh_source(source=source)
    assert source.fetch_status == CalendarSource.FetchStatus.ERROR
    assert source.fetch_error_code == "calendar.caldav_auth_failed"
    assert "HTTP 401" in source.fetch_error and USER in source.fetch_error
    stored = CalendarSource.objects.filter(pk=source.pk).values()[0]
    assert not any("wrong password" in str(value) for value in stored.values())
    services.update_source(actor=w.lei, source=source, password=PASSWORD)
    source = services.refresh_source(source=source)
    assert source.fetch_status == CalendarSource.FetchStatus.OK and source.failures == 0
    assert timezone.now() < source.next_fetch_at
