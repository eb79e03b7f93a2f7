"""What every API module shares: authentication, request-body base, the error envelope."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from techalign.core import limits
from techalign.core.answers import kept_answers
from techalign.core.errors import Refused
from techalign.core.prepared import Listing
from techalign.core.text import check_tree
from techalign.org.models import Role, User
from techalign.org.services import user_for_token


def _has_json_type(annotation: Any, value: Any) -> bool:
    """Whether a value parsed from JSON has the JSON type its field declares.

    Checks only what pydantic would otherwise coerce: booleans, numbers, and dates or times
    (which it also reads from numbers). Everything else pydantic checks itself.
    """
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _has_json_type(args[0], value)
    if origin in (Union, UnionType):
        return any(_has_json_type(arg, value) for arg in args)
    if origin is list:
        return not isinstance(value, list) or all(_has_json_type(args[0], v) for v in value)
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation in (int, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation in (date, datetime, time):
        return isinstance(value, str)
    return True


class Body(BaseModel):
    """Base of every request body: a JSON object with known fields only, of the JSON types
    the schema documents (`0` is not `false`, `"1"` is not `1`).

    A plain pydantic model (not ninja.Schema): ninja's Schema reads attributes off any value,
    so a bare JSON string would pass as an object.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _json_types_only(cls, value: Any, info: ValidationInfo) -> Any:
        annotation = cls.model_fields[info.field_name].annotation  # type: ignore[index]
        if not _has_json_type(annotation, value):
            raise ValueError(f"{json.dumps(value)} is not of the documented type")
        return value

    @model_validator(mode="after")
    def _no_hostile_text(self) -> Body:
        """NUL and other control characters nowhere, line breaks in no single-line field, no
        blank title: refused as `text.*` naming the field (see techalign.core.text)."""
        for name, value in self:
            # An empty title is the schema's to allow (a default) or refuse.
            check_tree(value, field=name, allow_empty=True)
        return self


class Pages(LimitOffsetPagination):
    """ninja's limit/offset pages, with an offset the database can take: a larger one failed
    in the database as a 500 instead of a 422. An operation may return a prepared `Listing`
    instead of a QuerySet: its page and count are then read with SQL compiled once."""

    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=2**31 - 1)

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        if not isinstance(queryset, Listing):
            return super().paginate_queryset(queryset, pagination, request, **params)
        limit = min(pagination.limit, self.max_limit)
        return {
            self.items_attribute: queryset.page(pagination.offset, limit),
            "count": queryset.count(),
        }


_LISTINGS: dict[type[Schema], type[Schema]] = {}


def listing(schema: type[Schema]) -> type[Schema]:
    """The one list envelope, `{items, count}`, for a list answered whole; paginated lists
    (`?limit=&offset=`) have the same shape, with `count` the total."""
    if schema not in _LISTINGS:
        _LISTINGS[schema] = create_model(
            f"{schema.__name__}List",
            __base__=Schema,
            items=(list[schema], ...),  # type: ignore[valid-type]
            count=(int, ...),
        )
    return _LISTINGS[schema]


def listed(rows: Iterable[Any]) -> dict[str, Any]:
    """A whole list in the list envelope."""
    items = list(rows)
    return {"items": items, "count": len(items)}


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, Any] = {}


# Responses every operation may give, documented once.
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    500: ErrorOut,
    503: ErrorOut,
}
# ... and those of writes to an editable resource, which need If-Match.
PRECONDITION_ERRORS: dict[int, type[Schema]] = {**ERRORS, 412: ErrorOut, 428: ErrorOut}


def envelope_details(refused: Refused) -> dict[str, Any]:
    """A refusal's details as the error envelope shows them: names of objects as text, roles
    as their codes (`["DEV"]`, display names beside them in `role_names`), and the current
    revision as a number wherever a refusal is about a stale one."""
    details: dict[str, Any] = {}
    for name, value in refused.details.items():
        if name == "current_revision":
            details[name] = int(value)
        elif isinstance(value, list | tuple | set):
            details[name] = [str(v) for v in value]
        else:
            details[name] = str(value)
    if "roles" in details:
        names = details["roles"] if isinstance(details["roles"], list) else [details["roles"]]
        codes = {str(label): code for code, label in Role.choices}
        details["roles"] = [codes.get(n, n) for n in names]
        details["role_names"] = names
    current = details.get("current", "")
    if refused.code.endswith(".stale_revision") and str(current).isdigit():
        details.setdefault("current_revision", int(current))
    return details


def etag(tag: str, version: int, marks: str = "") -> str:
    """ETag of an editable resource: a letter naming the counter, the counter, and, where the
    answer shows more than the counter covers (a plan's sign-offs, a source's last fetch), the
    marks of that more after a dash. If-Match reads the counter only; If-None-Match compares
    the whole tag."""
    return f'"{tag}{version}-{marks}"' if marks else f'"{tag}{version}"'


def set_etag(response: HttpResponse, tag: str, version: int) -> None:
    response["ETag"] = etag(tag, version)


def not_modified(request: HttpRequest, response: HttpResponse, current: str) -> HttpResponse | None:
    """Give the answer being built the ETag `current`; return `304 Not Modified` instead when
    If-None-Match names it (RFC 9110 13.1.2: a list of tags, `*`, and weak comparison, so
    `W/"v3"` matches `"v3"`), else None.

    Call it after the caller's access to the resource is established and before the body is
    built: what a 304 saves is the body, never the access check."""
    response["ETag"] = current
    given = request.headers.get("If-None-Match", "")
    if not given or request.method not in ("GET", "HEAD"):
        return None
    tags = parse_etags(given)
    if "*" not in tags and current not in (t.removeprefix("W/") for t in tags):
        return None
    unchanged = HttpResponse(status=304)
    unchanged["ETag"] = current
    return unchanged


def kept_or_built(
    request: HttpRequest,
    response: HttpResponse,
    current: str,
    of: tuple[str, int],
    schema: type[Schema],
    build: Callable[[], Any],
) -> HttpResponse:
    """The answer whose ETag is `current`: 304 when the client has it (not_modified); else the
    body another reader had built for that tag, in the same language and time zone; else
    `build()` (an instance of `schema`, or what it validates) serialised as ninja would, and
    kept for the next reader.

    Only for answers that are the same for everyone allowed to read them, after that access is
    established; `of` names the resource, since two of them can share a tag (a requirement and
    its milestones)."""
    if unchanged := not_modified(request, response, current):
        return unchanged
    key = (*of, current, translation.get_language(), timezone.get_current_timezone_name())
    content = kept_answers.get(key)
    if content is None:
        from techalign.api.main import api  # the API's own renderer; main imports this module

        answer = build()
        if not isinstance(answer, schema):
            answer = schema.model_validate(answer, context={"request": request})
        data = answer.model_dump(context={"request": request, "response_status": 200})
        content = api.renderer.render(request, data, response_status=200).encode()
        kept_answers.put(key, content)
    response.status_code = 200
    response.content = content
    return response


def if_match(request: HttpRequest, tag: str) -> int:
    """The version the client read, from If-Match; the service compares it in one
    compare-and-set update, so the check and the write cannot be separated."""
    given = request.headers.get("If-Match", "").strip()
    if not given:
        raise Refused("precondition.required")
    match = re.fullmatch(rf'(?:W/)?"{re.escape(tag)}(\d+)(?:-[^"]*)?"', given)
    if match is None:
        raise Refused("precondition.failed", kind="ETag", ref=tag, seen=given, current="?")
    return int(match.group(1))


class TokenAuth(HttpBearer):
    """`Authorization: Bearer ta_…` personal tokens; the user's language applies when the
    request names none."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        if not request.META.get("HTTP_ACCEPT_LANGUAGE"):
            language = user.language
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return user


AUTH = [TokenAuth(), SessionAuth(csrf=True)]


def actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


# The error envelope for what happens outside an operation's own handling: bodies that are too
# large or not JSON, unknown paths and methods, a database that is locked, read-only or down,
# and bugs. Every answer under /api/ that is an error is `{"code", "message", "details"}`.

log = logging.getLogger("techalign.api")
API_PREFIX = "/api/"


class BodyRefused(Exception):
    """A request body refused before its schema is read: not JSON, or ambiguous JSON."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        self.status, self.code, self.message, self.details = status, code, message, details
        super().__init__(message)


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BodyRefused(
                400,
                "input.duplicate_key",
                _("The JSON body names %(key)s twice; send each field once.") % {"key": key},
                key=key,
            )
        seen[key] = value
    return seen


class JSONBodyParser(Parser):
    """Request bodies are JSON objects sent as JSON: another content type is a 415, and a key
    given twice (which one would count?) a 400."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = (request.content_type or "").lower()
        if not _is_json(content_type):
            raise BodyRefused(
                415,
                "input.unsupported_media_type",
                _("Send the body as application/json, not %(type)s.")
                % {"type": content_type or _("no content type")},
                content_type=content_type,
            )
        return json.loads(request.body, object_pairs_hook=_refuse_duplicate_keys)


def envelope(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "details": details or {}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def request_id(request: HttpRequest) -> str:
    """An id for this request, quoted in the answer and the log, to find one in the other: the
    one RequestIdMiddleware gave it (see techalign.core.logging), else a new one."""
    if not hasattr(request, "request_id"):
        request.request_id = uuid.uuid4().hex  # type: ignore[attr-defined]
    return str(request.request_id)  # type: ignore[attr-defined]


def _too_large(request: HttpRequest) -> JsonResponse:
    """A body past the limit that was not announced by its length (RequestBodyLimitMiddleware
    answers those before anything reads them): the same refusal."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    refused = Refused("limit.body_too_large", limit=limits.REQUEST_BODY_BYTES, value=length)
    return envelope(refused.status, refused.code, refused.message, refused.details)


def is_database_unavailable(error: BaseException) -> bool:
    """Locked, busy, read-only, full, or not reachable: a state that passes, not a bug."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    text = str(error).lower()
    return isinstance(error, DatabaseError) and ("read-only" in text or "readonly" in text)


def database_unavailable(error: BaseException) -> JsonResponse:
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        response = envelope(503, "database.busy", _("The database is busy; retry shortly."))
        response["Retry-After"] = "1"
    else:
        response = envelope(
            503,
            "database.unavailable",
            _("The database is unavailable or read-only right now; retry later."),
        )
        response["Retry-After"] = "30"
    return response


def error_for_exception(request: HttpRequest, error: BaseException) -> JsonResponse:
    """The envelope for an exception no operation handled."""
    if isinstance(error, RequestDataTooBig):
        return _too_large(request)
    if is_database_unavailable(error):
        log.warning("database unavailable (request %s): %s", request_id(request), error)
        return database_unavailable(error)
    rid = request_id(request)
    log.error(
        "unexpected error in %s %s (request %s)",
        request.method,
        request.path,
        rid,
        exc_info=(type(error), error, error.__traceback__),
    )
    return envelope(
        500,
        "server.error",
        _("Something went wrong on our side; it is logged as request %(id)s.") % {"id": rid},
        {"request_id": rid},
    )


def _envelope_for_status(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error answer Django or ninja made outside the envelope (an unknown path, a method
    not allowed, a bad request), in the envelope."""
    status = response.status_code
    if status == 404:
        return envelope(404, "access.not_found", _("Not found."))
    if status == 405:
        allowed = response.get("Allow", "")
        replaced = envelope(
            405,
            "http.method_not_allowed",
            _("%(method)s is not allowed here; allowed: %(allowed)s.")
            % {"method": request.method, "allowed": allowed},
            {"allowed": [m.strip() for m in allowed.split(",") if m.strip()]},
        )
        replaced["Allow"] = allowed
        return replaced
    if status == 413:
        return _too_large(request)
    if status >= 500:
        rid = request_id(request)
        return envelope(
            status,
            "server.error",
            _("Something went wrong on our side; it is logged as request %(id)s.") % {"id": rid},
            {"request_id": rid},
        )
    return envelope(status, "http.error", response.reason_phrase)


class ApiErrorMiddleware:
    """Every error under /api/ in the envelope, whoever raised it, with the request's id.

    Sits inside the language middleware, so messages follow the request's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code >= 400 and not is_json:
            response = _envelope_for_status(request, response)
        if hasattr(request, "request_id"):
            response["X-Request-ID"] = request.request_id
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        return error_for_exception(request, exception)
