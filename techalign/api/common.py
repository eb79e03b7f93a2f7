"""What every API module shares: authentication, request-body base, the error envelope."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from ninja import Schema
from ninja.security import HttpBearer, SessionAuth
from pydantic import BaseModel, ConfigDict

from techalign.core.errors import Refused
from techalign.org.models import User
from techalign.org.services import user_for_token


class Body(BaseModel):
    """Base of every request body: a JSON object with known fields only.

    A plain pydantic model (not ninja.Schema): ninja's Schema reads attributes off any value,
    so a bare JSON string would pass as an object.
    """

    model_config = ConfigDict(extra="forbid")


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
