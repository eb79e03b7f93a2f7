"""What pages read from a request: the signed-in user, and numbers typed in addresses and forms."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from techalign.org.models import User


class SignedInRequest(HttpRequest):
    """An HttpRequest whose `user` is a techalign User, never the anonymous one.

    Only for type checking views wrapped in `login_required` (it redirects everyone else
    to the login page first); Django still passes its own HttpRequest."""

    user: User


def whole_number(value: Any) -> int | None:
    """A number typed in an address or a form, or None when it is not one."""
    text = str(value or "")
    # isdigit() alone admits digits such as "²" that int() refuses.
    return int(text) if text.isascii() and text.isdigit() else None
