"""Look-ups of organisation objects by their public keys; unknown keys are refusals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from techalign.core.errors import Refused
from techalign.core.prepared import prepared
from techalign.org.models import Component, Team, User
from techalign.org.permissions import remember_roles


def user_with_roles(users: QuerySet[User]) -> User | None:
    """The user `users` names (the first, by id), with the roles they hold, in one query.

    Every request asks who the caller is and which roles they hold; this answers both with one
    query (the memberships come LEFT JOINed, a row per role) instead of one for the person and
    one for the roles. They are read afresh on every request rather than cached per process
    on purpose: a revoked token, a deactivated person, a role granted or taken, a move to
    another team and a changed password then count from the very next request, on every
    worker and every node, with no cache to invalidate. Annotations the caller put on `users`
    (a token's fields) come along on the user."""
    return first_with_roles(list(with_roles(users)))


def with_roles(users: QuerySet[User]) -> QuerySet[User]:
    """`users` with a row per role they hold, for first_with_roles."""
    return users.annotate(
        held_team=F("memberships__team_id"), held_role=F("memberships__role")
    ).order_by("pk")


def first_with_roles(rows: list[Any]) -> User | None:
    """The first user of rows read through with_roles, knowing their roles."""
    if not rows:
        return None
    user: User = rows[0]
    remember_roles(
        user,
        ((row.held_team, row.held_role) for row in rows if row.pk == user.pk and row.held_role),
    )
    return user


def teams_with_ids(ids: Iterable[int]) -> list[Team]:
    """The teams of these ids, by code. A requirement's parties and a notification's teams
    are read so on most requests: SQL compiled once per count of ids (core.prepared)."""
    return _teams_with_ids(sorted(ids))


@prepared
def _teams_with_ids(ids: list[int]) -> QuerySet[Team]:
    return Team.objects.filter(pk__in=ids)


def get_team(code: str) -> Team:
    team = Team.objects.select_related("department").filter(code=code).first()
    if team is None:
        raise Refused("access.not_found", kind=_("Team"), ref=code)
    return team


def get_user(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Refused("access.not_found", kind=_("User"), ref=username)
    return user


def get_users(usernames: list[str]) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    missing = [name for name in usernames if name not in found]
    if missing:
        raise Refused("access.not_found", kind=_("User"), ref=", ".join(missing))
    return [found[name] for name in dict.fromkeys(usernames)]


def get_component(key: str) -> Component:
    component = Component.objects.select_related("owner_team").filter(key=key).first()
    if component is None:
        raise Refused("access.not_found", kind=_("Component"), ref=key)
    return component


def search_components(
    query: str, limit: int | None = 20, *, owner_teams: list[str] | None = None
) -> QuerySet[Component]:
    """Components whose key or name contains `query`, with their owner and system; the whole
    catalog for an empty query when `limit` is None; with `owner_teams` (team codes), only
    those teams' components."""
    components = Component.objects.select_related("owner_team", "system")
    if owner_teams:
        components = components.filter(owner_team__code__in=owner_teams)
    query = query.strip()
    if query:
        components = components.filter(Q(key__icontains=query) | Q(name__icontains=query))
    return components[:limit] if limit else components


def holders_of(teams: Iterable[Team], *roles: str) -> QuerySet[User]:
    """Active people holding one of `roles` in any of `teams`, by user name: who a form may
    offer as lead DEV, presenter and the like (the services still check the choice)."""
    return (
        User.objects.filter(
            memberships__team__in=teams, memberships__role__in=roles, is_active=True
        )
        .distinct()
        .order_by("username")
    )
