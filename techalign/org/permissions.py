"""Who holds which role where. Every role rule in the domain goes through these functions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise

from techalign.core.errors import AnyOf, Refused
from techalign.core.prepared import prepared
from techalign.org.models import Membership, Role, Team, User


def roles_of(user: User) -> frozenset[tuple[int, str]]:
    """(team id, role) pairs of a user, loaded once per user object."""
    cached = getattr(user, "_techalign_roles", None)
    if cached is None:
        cached = frozenset(Membership.objects.filter(user=user).values_list("team_id", "role"))
        user._techalign_roles = cached  # type: ignore[attr-defined]
    return cached


def remember_roles(user: User, held: Iterable[tuple[int, str]]) -> None:
    """(team id, role) pairs read together with the user (org.selectors.user_with_roles)."""
    user._techalign_roles = frozenset(held)  # type: ignore[attr-defined]


def forget_roles(user: User) -> None:
    user.__dict__.pop("_techalign_roles", None)
    user.__dict__.pop("_techalign_committee_architect", None)


def has_role(user: Any, team: Team | int, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    team_id = team if isinstance(team, int) else team.pk
    held = roles_of(user)
    return any((team_id, role) in held for role in roles)


def is_admin(user: Any) -> bool:
    return (
        bool(getattr(user, "is_superuser", False))
        or any(role == Role.ADMIN for _, role in roles_of(user))
        if getattr(user, "is_authenticated", False)
        else False
    )


def teams_of(user: Any) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return {team_id for team_id, _ in roles_of(user)}


def committee_architect(user: Any) -> bool:
    """An architect of a technical committee may review any team's plan."""
    if not getattr(user, "is_authenticated", False):
        return False
    known: bool | None = getattr(user, "_techalign_committee_architect", None)
    if known is None:
        known = remember_committee_architects([user], committee_team_ids())[0]
    return known


def committee_team_ids() -> set[int]:
    return set(_committee_team_ids())


@prepared
def _committee_team_ids() -> QuerySet[Team, int]:
    return Team.objects.filter(is_committee=True).values_list("pk", flat=True)


def remember_committee_architects(users: list[User], committee_ids: set[int]) -> list[bool]:
    """Whether each user is a committee architect, kept on the user object like its roles, so
    a page weighing many people ("who acts next") reads the committees once, not per person."""
    flags = []
    for user in users:
        flag = any(t in committee_ids and r == Role.ARCHITECT for t, r in roles_of(user))
        user._techalign_committee_architect = flag  # type: ignore[attr-defined]
        flags.append(flag)
    return flags


# Looking a role up through the enum costs more than the rest of a refusal: "who acts next"
# builds (and discards) hundreds of refusals per page.
_ROLE_LABELS: dict[str, str | Promise] = dict(Role.choices)


def role_names(roles: Iterable[str]) -> AnyOf:
    """Role labels, translated when the refusal is shown rather than when it is raised."""
    return AnyOf(_ROLE_LABELS[r] for r in roles)


def require_role(user: Any, team: Team, *roles: str, action: str | Promise) -> None:
    """Refuse unless `user` holds one of `roles` in `team`."""
    if not has_role(user, team, *roles):
        raise Refused(
            "role.not_allowed",
            roles=role_names(roles),
            team=team.name,
            action=action,
            user=str(user),
        )
