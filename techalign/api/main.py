"""The REST API under /api/v1/: one NinjaAPI, one router per domain app, one error envelope."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from techalign.api import calendars, comments, meetings, notify, org, plans, requirements
from techalign.api.common import AUTH, BodyRefused, JSONBodyParser, envelope_details
from techalign.core.errors import Refused

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="techalign",
    version="0.2.0",
    description="Cross-team technical-plan alignment: requirements, plans, reviews, meetings, "
    "sign-offs, baselines and change control. Errors are `{code, message, details}`; messages "
    "follow Accept-Language, then the user's language.",
    auth=AUTH,
    parser=JSONBodyParser(),
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, code: str, message: str, details=None):
    return api.create_response(
        request, {"code": code, "message": message, "details": details or {}}, status=status
    )


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, envelope_details(exc))


def _field_name(loc: Sequence[str]) -> str:
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
    if isinstance(exc.__cause__, BodyRefused):  # ninja reports any parser error as a 400
        refused = exc.__cause__
        return _error(request, refused.status, refused.code, refused.message, refused.details)
    return _error(request, exc.status_code, code, str(exc))


api.add_router("/", org.router)
api.add_router("/requirements", requirements.router)
api.add_router("/requirements", plans.router)
api.add_router("/requirements", meetings.router)
api.add_router("/requirements", comments.router)
api.add_router("/calendars", calendars.router)
api.add_router("/", notify.router)
api.add_router("/", "techalign.api.health.router")
api.add_router("/admin", "techalign.api.admin.router")
