"""The request a page behind `login_required` receives: its user is signed in."""

from __future__ import annotations

from django.http import HttpRequest

from techalign.org.models import User


class SignedInRequest(HttpRequest):
    """An HttpRequest whose `user` is a techalign User, never the anonymous one.

    Only for type checking views wrapped in `login_required` (it redirects everyone else
    to the login page first); Django still passes its own HttpRequest."""

    user: User
