"""What every API module shares: authentication, request-body base, the error envelope."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja import Schema
from ninja.security import HttpBearer, SessionAuth
from pydantic import BaseModel, ConfigDict

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
