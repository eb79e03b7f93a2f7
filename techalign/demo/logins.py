"""The demo accounts as a table for the terminal (`make run` prints it)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from techalign.demo.org import PEOPLE, PERSONAS, SUPERUSER
from techalign.org.models import User


@dataclass(frozen=True)
class Login:
    username: str
    display_name: str
    teams: str
    roles: str
    persona: str


def demo_logins() -> list[Login]:
    """Every demo account as it is in the database, in the order of PEOPLE, then the superuser."""
    order = [p.username for p in PEOPLE] + [SUPERUSER]
    users = {
        u.username: u
        for u in User.objects.filter(username__in=order).prefetch_related("memberships__team")
    }
    personas = {username: key for key, username in PERSONAS.items()}
    logins = []
    for username in order:
        user = users.get(username)
        if user is None:
            continue
        memberships = sorted(user.memberships.all(), key=lambda m: (m.team.code, m.role))
        roles = [m.role for m in memberships]
        if user.is_superuser:
            roles.append("superuser")
        logins.append(
            Login(
                username=username,
                display_name=user.display_name,
                teams="、".join(dict.fromkeys(m.team.name for m in memberships)) or "—",
                roles=", ".join(roles),
                persona=personas.get(username, ""),
            )
        )
    return logins


def _width(text: str) -> int:
    """Columns the text takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_logins(logins: Sequence[Login]) -> str:
    """The logins as an aligned plain-text table."""
    header = ("username", "name", "team", "roles", "persona")
    rows = [header] + [(x.username, x.display_name, x.teams, x.roles, x.persona) for x in logins]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))

    rule = line(["-" * w for w in widths])
    return "\n".join(
        [line(header).rstrip(), rule.rstrip()] + [line(row).rstrip() for row in rows[1:]]
    )
