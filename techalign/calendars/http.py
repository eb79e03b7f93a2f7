"""One bounded HTTP exchange for calendar fetches, CalDAV and webhooks.

Every call has a timeout and a size cap, so a server that hangs or floods cannot hold a worker.
Failures come back as `HttpFailure` with a short problem text fit to store and show.

Addresses are given by users, so no call reaches the server's own network (loopback, private,
link-local such as a cloud metadata service, ...) unless an administrator allowed that host or
network in TECHALIGN_OUTBOUND_ALLOWLIST. The check is made on the address actually connected
to, after DNS, on every redirect too: a name that resolves differently on the second lookup
gains nothing.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPMessage
from typing import IO
from urllib.parse import urlsplit

from django.conf import settings

from techalign.core.errors import Refused

MAX_BODY = 5 * 1024 * 1024


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        return self.body.decode(charset, errors="replace")


class HttpFailure(Exception):
    """No usable answer: cannot connect, timed out, or answered with a status >= 400."""

    def __init__(self, problem: str, *, status: int | None = None, retry: bool = True) -> None:
        self.problem = problem
        self.status = status
        # 4xx (except 408/429) will not heal by asking again; the rest may.
        self.retry = retry
        super().__init__(problem)


class LocalAddressRefused(OSError):
    """The address a user gave leads into the server's own network."""

    def __init__(self, host: str, address: str) -> None:
        self.host, self.address = host, address
        super().__init__(f"{host} ({address}) is on the local network")


def _is_local(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _allowed(host: str, address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    for entry in settings.TECHALIGN_OUTBOUND_ALLOWLIST:
        if entry.lower() == host.lower():
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_address(host: str, address: str) -> None:
    """Refuse a connection to `address` (what `host` resolved to) inside the local network."""
    if _is_local(address) and not _allowed(host, address):
        raise LocalAddressRefused(host, address)


def check_url(url: str) -> None:
    """Refuse, before it is saved, an address whose host resolves into the local network.
    A name that does not resolve now is left to the check made when connecting."""
    host = urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return
    for *_rest, sockaddr in found:
        # IPv4 and IPv6 socket addresses begin with the address as text.
        check_address(host, str(sockaddr[0]))


def require_outside_url(url: str) -> None:
    """`check_url`, as the refusal a user reads when saving the address."""
    try:
        check_url(url)
    except LocalAddressRefused as refused:
        raise Refused(
            "outbound.local_address", host=refused.host, address=refused.address
        ) from None


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self)


def _check_peer(connection: http.client.HTTPConnection) -> None:
    try:
        check_address(connection.host, connection.sock.getpeername()[0])
    except LocalAddressRefused:
        connection.close()
        raise


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        # HTTPSHandler keeps its SSL context in _context, which typeshed does not declare.
        context = self._context  # type: ignore[attr-defined]
        return self.do_open(_GuardedHTTPSConnection, req, context=context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Methods other than GET keep their verb and body only if we do not follow redirects."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if req.get_method() not in {"GET", "HEAD"}:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_NoRedirect, _GuardedHTTPHandler, _GuardedHTTPSHandler)


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """Send one request; return the response or raise HttpFailure."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    req.add_header("User-Agent", "techalign")
    try:
        with _opener.open(req, timeout=timeout) as answer:
            data = answer.read(MAX_BODY + 1)
            if len(data) > MAX_BODY:
                raise HttpFailure(
                    f"answer larger than {MAX_BODY // (1024 * 1024)} MiB", retry=False
                )
            return Response(answer.status, answer.headers, data)
    except urllib.error.HTTPError as error:
        status = error.code
        retry = status >= 500 or status in {408, 425, 429}
        detail = error.read(500).decode("utf-8", errors="replace").strip()
        problem = f"HTTP {status} {error.reason}" + (f": {detail[:200]}" if detail else "")
        raise HttpFailure(problem, status=status, retry=retry) from error
    except TimeoutError as error:
        raise HttpFailure(f"no answer within {timeout:g} s") from error
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, LocalAddressRefused):
            raise HttpFailure(f"refused: {reason}", retry=False) from error
        if isinstance(reason, TimeoutError):
            raise HttpFailure(f"no answer within {timeout:g} s") from error
        raise HttpFailure(f"cannot connect: {reason}") from error
    except (ConnectionError, OSError) as error:
        raise HttpFailure(f"connection failed: {error}") from error
