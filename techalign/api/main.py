"""The REST API under /api/v1/: one NinjaAPI, one router per domain app, one error envelope."""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from techalign.api import calendars, comments, meetings, notify, org, plans, requirements
from techalign.api.common import AUTH
from techalign.core.errors import Refused

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="techalign",
    version="1",
    description="Cross-team technical-plan alignment: requirements, plans, reviews, meetings, "
    "sign-offs, baselines and change control. Errors are `{code, message, details}`; messages "
    "follow Accept-Language, then the user's language.",
    auth=AUTH,
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, code: str, message: str, details=None):
    return api.create_response(
        request, {"code": code, "message": message, "details": details or {}}, status=status
    )


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    details = {
        k: ([str(x) for x in v] if isinstance(v, list | tuple | set) else str(v))
        for k, v in exc.details.items()
    }
    return _error(request, exc.status, exc.code, exc.message, details)


def _field_name(loc: list[str]) -> str:
    """`["body", "body", "title"]` -> "title": the field as the client named it."""
    parts = list(loc)
    while len(parts) > 1 and parts[0] in {"body", "query", "path"}:
        parts.pop(0)
    return ".".join(parts)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "loc": [str(p) for p in e.get("loc", [])],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors
    ]
    fields = ", ".join(_field_name(e["loc"]) for e in errors)
    return _error(
        request,
        422,
        "input.invalid",
        _("Invalid input: %(fields)s") % {"fields": fields},
        {"errors": errors},
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "auth.required", Refused("auth.required").message)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "access.not_found", _("Not found."))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "input.malformed", 403: "access.forbidden"}.get(exc.status_code, "http.error")
    return _error(request, exc.status_code, code, str(exc))


@api.exception_handler(OperationalError)
def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """SQLite under write contention past its busy timeout: ask the client to come back."""
    if "locked" not in str(exc) and "busy" not in str(exc):
        raise exc
    log.warning("database busy: %s", exc)
    response = _error(request, 503, "database.busy", _("The database is busy; retry shortly."))
    response["Retry-After"] = "1"
    return response


api.add_router("/", org.router)
api.add_router("/requirements", requirements.router)
api.add_router("/requirements", plans.router)
api.add_router("/requirements", meetings.router)
api.add_router("/requirements", comments.router)
api.add_router("/calendars", calendars.router)
api.add_router("/", notify.router)
api.add_router("/", "techalign.api.health.router")
