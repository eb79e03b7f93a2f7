"""`techalign token`: issue, list and revoke personal API tokens from the server's console."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from techalign.core.errors import Refused
from techalign.org.models import ApiToken, User
from techalign.org.services import issue_token, revoke_token


def token_state(token: ApiToken) -> str:
    """active, revoked or expired, as the API would judge the token now."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    return "active"


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


class Command(BaseCommand):
    help = "Manage personal API tokens (sent as 'Authorization: Bearer <token>')."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Issue a token and print it once.")
        create.add_argument("username")
        create.add_argument("--name", default="cli", help="What the token is for.")
        create.add_argument(
            "--days", type=int, default=90, help="Days until it expires (0: never; default 90)."
        )
        listing = actions.add_parser("list", help="List a user's tokens (never the tokens).")
        listing.add_argument("username")
        revoke = actions.add_parser("revoke", help="Revoke the token with this prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        # Each takes the options of its own subcommand.
        actions: dict[str, Callable[..., None]] = {
            "create": self.create,
            "list": self.list_tokens,
            "revoke": self.revoke,
        }
        try:
            actions[action](**options)
        except Refused as refusal:
            raise CommandError(refusal.message) from refusal

    def create(self, *, username: str, name: str, days: int, **options: Any) -> None:
        token, raw = issue_token(
            actor=None, user=self._user(username), name=name, expires_in_days=days or None
        )
        self.stderr.write(
            f"Token {token.prefix}… for {username}, expires {_when(token.expires_at)}. "
            "It is shown only now:"
        )
        self.stdout.write(raw)

    def list_tokens(self, *, username: str, **options: Any) -> None:
        tokens = ApiToken.objects.filter(user=self._user(username)).order_by("-created_at")
        self.stdout.write(
            f"{'PREFIX':<12} {'NAME':<20} {'STATE':<8} {'CREATED':<16} {'EXPIRES':<16} LAST USED"
        )
        for token in tokens:
            self.stdout.write(
                f"{token.prefix:<12} {token.name[:20]:<20} {token_state(token):<8} "
                f"{_when(token.created_at):<16} {_when(token.expires_at):<16} "
                f"{_when(token.last_used_at)}"
            )

    def revoke(self, *, prefix: str, **options: Any) -> None:
        matches = list(ApiToken.objects.select_related("user").filter(prefix=prefix)[:2])
        if not matches:
            raise CommandError(f"No token starts with {prefix!r}.")
        if len(matches) > 1:
            raise CommandError(f"More than one token starts with {prefix!r}; none was revoked.")
        token = revoke_token(actor=None, token=matches[0])
        self.stdout.write(f"Revoked {token.prefix}… of {token.user.username}.")

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
