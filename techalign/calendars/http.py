"""One bounded HTTP exchange for calendar fetches, CalDAV and webhooks.

Every call has a timeout and a size cap, so a server that hangs or floods cannot hold a worker.
Failures come back as `HttpFailure` with a short problem text fit to store and show.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message

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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Methods other than GET keep their verb and body only if we do not follow redirects."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if req.get_method() not in {"GET", "HEAD"}:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_NoRedirect)


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
        if isinstance(reason, TimeoutError):
            raise HttpFailure(f"no answer within {timeout:g} s") from error
        raise HttpFailure(f"cannot connect: {reason}") from error
    except (ConnectionError, OSError) as error:
        raise HttpFailure(f"connection failed: {error}") from error
