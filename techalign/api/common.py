"""What every API module shares: authentication, request-body base, the error envelope."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.security import HttpBearer, SessionAuth
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from techalign.core.errors import Refused
from techalign.core.text import check_tree
from techalign.org.models import User
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
    in the database as a 500 instead of a 422."""

    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=2**31 - 1)


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
    422: ErrorOut,
}
# ... and those of writes to an editable resource, which need If-Match.
PRECONDITION_ERRORS: dict[int, type[Schema]] = {**ERRORS, 412: ErrorOut, 428: ErrorOut}


def set_etag(response: HttpResponse, tag: str, version: int) -> None:
    """ETag of an editable resource: a letter naming the counter, and the counter."""
    response["ETag"] = f'"{tag}{version}"'


def if_match(request: HttpRequest, tag: str) -> int:
    """The version the client read, from If-Match; the service compares it in one
    compare-and-set update, so the check and the write cannot be separated."""
    given = request.headers.get("If-Match", "").strip()
    if not given:
        raise Refused("precondition.required")
    match = re.fullmatch(rf'(?:W/)?"{re.escape(tag)}(\d+)"', given)
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
    return request.auth  # type: ignore[attr-defined, no-any-return]
