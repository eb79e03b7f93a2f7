"""Addresses users type (calendar feeds, CalDAV servers, webhooks) never lead into the server's
own network unless an administrator allowed it: refused when saved, and refused again on the
address actually connected to, redirects included."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from techalign.calendars import services
from techalign.calendars.http import HttpFailure, _is_local, request
from techalign.calendars.models import CalendarSource
from techalign.core.errors import Refused
from techalign.notify.models import Channel
from techalign.notify.services import add_channel


@pytest.fixture
def server():
    """A loopback server: /ics answers a calendar, /hop redirects to 127.0.0.1's /ics."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            if self.path == "/hop":
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{port}/ics")
                self.end_headers()
                return
            body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield port, seen
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    "address",
    [
        *["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0"],
        *["::1", "::ffff:127.0.0.1", "fd00::1", "fe80::1", "224.0.0.1"],
    ],
)
def test_loopback_private_link_local_and_reserved_addresses_are_local(address):
    assert _is_local(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "114.114.114.114", "2001:4860:4860::8888"])
def test_public_addresses_are_not(address):
    assert not _is_local(address)


def test_a_feed_on_the_local_network_is_refused_when_saved(w, server, settings):
    settings.TECHALIGN_OUTBOUND_ALLOWLIST = []
    port, seen = server
    with pytest.raises(Refused) as refused:
        services.add_feed(actor=w.lei, user=w.lei, name="x", url=f"http://127.0.0.1:{port}/ics")
    assert refused.value.code == "outbound.local_address"
    assert "127.0.0.1 leads into the server's own network (127.0.0.1)" in refused.value.message
    assert not CalendarSource.objects.exists() and seen == []


def test_a_webhook_to_the_cloud_metadata_address_is_refused(w, settings):
    settings.TECHALIGN_OUTBOUND_ALLOWLIST = []
    with pytest.raises(Refused) as refused:
        add_channel(
            actor=w.ming,
            team=w.order,
            kind=Channel.Kind.WEBHOOK,
            name="metadata",
            url="http://169.254.169.254/latest/meta-data/",
            secret="s",
        )
    assert refused.value.code == "outbound.local_address"
    assert not Channel.objects.exists()


def test_the_connection_itself_is_checked_so_a_later_lookup_cannot_slip_in(server, settings):
    settings.TECHALIGN_OUTBOUND_ALLOWLIST = []
    port, seen = server
    with pytest.raises(HttpFailure) as failure:
        request("GET", f"http://127.0.0.1:{port}/ics")
    assert "refused: 127.0.0.1 (127.0.0.1) is on the local network" in failure.value.problem
    assert failure.value.retry is False
    assert seen == []  # nothing was sent


def test_a_redirect_is_checked_at_its_own_address(server, settings):
    port, seen = server
    settings.TECHALIGN_OUTBOUND_ALLOWLIST = ["localhost"]
    with pytest.raises(HttpFailure, match=r"refused: 127\.0\.0\.1"):
        request("GET", f"http://localhost:{port}/hop")
    assert seen == ["/hop"]  # the allowed host answered; the address it pointed to was refused


def test_an_allowed_network_is_reached(server, settings):
    port, seen = server
    settings.TECHALIGN_OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    assert request("GET", f"http://127.0.0.1:{port}/ics").status == 200
    assert seen == ["/ics"]
