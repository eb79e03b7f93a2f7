"""Request ids and JSON logs (`TECHALIGN_LOG_FORMAT=json`).

Every request gets an id: the `X-Request-ID` a trusted proxy (TECHALIGN_TRUSTED_PROXIES) sent,
else a new one. It is returned in the `X-Request-ID` header, in the `details` of API error
answers, and on every log line written while the request is served.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

current_request_id: ContextVar[str] = ContextVar("techalign_request_id", default="-")
# What a proxy may hand us: short, printable, nothing a log or header could be confused by.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
request_log = logging.getLogger("techalign.request")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


# Attributes every LogRecord has; anything else was passed with `extra=` and is logged too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id.get()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _from_trusted_proxy(request: HttpRequest) -> bool:
    # Imported here: logging is configured before the apps (and their models) are loaded.
    from techalign.core.middleware import _address, _trusted_networks

    trusted = _trusted_networks(tuple(settings.TECHALIGN_TRUSTED_PROXIES))
    peer = _address(request.META.get("REMOTE_ADDR", "") or "")
    return peer is not None and any(peer in network for network in trusted)


def request_id_of(request: HttpRequest) -> str:
    offered = request.META.get("HTTP_X_REQUEST_ID", "")
    if offered and ACCEPTED_ID.fullmatch(offered) and _from_trusted_proxy(request):
        return str(offered)
    return uuid.uuid4().hex


def _with_id_in_error_details(response: HttpResponse, request_id: str) -> None:
    """API errors are `{code, message, details}`: the id goes into `details`."""
    if response.status_code < 400 or not response.get("Content-Type", "").startswith(
        "application/json"
    ):
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        return
    if isinstance(body, dict) and "code" in body and isinstance(body.get("details"), dict):
        body["details"]["request_id"] = request_id
        response.content = json.dumps(body).encode()
        # CommonMiddleware measured the body before the id was added.
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))


class RequestIdMiddleware:
    """First in the chain: names the request, and logs one line per request when asked to."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if request.path.startswith("/api/"):
                _with_id_in_error_details(response, request_id)
            match = getattr(request, "resolver_match", None)
            request_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "route": getattr(match, "route", None) or "unmatched",
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            current_request_id.reset(token)
