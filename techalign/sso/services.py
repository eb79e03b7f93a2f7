"""Writes of company sign-in: the person behind a company account, and the team roles that
follow the company's groups.

The company's identity provider or directory acts through the org services, as an
administrator would: people are created and updated with `save_user`, roles granted and taken
with `grant_role` / `revoke_role`, so every change is gated and audited the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from techalign.core.errors import Refused
from techalign.org.models import Membership, Role, Team, User
from techalign.org.services import grant_role, revoke_role, save_user

log = logging.getLogger(__name__)

TeamRole = tuple[str, str]


@dataclass(frozen=True)
class CompanyDirectory:
    """The company's identity provider or directory, acting through the org services.

    It administers exactly what its group mapping names; audit entries show no person as the
    actor (the change came from outside techalign), and the summary names the person changed.
    """

    source: str
    pk: None = None
    is_authenticated: bool = True
    is_superuser: bool = True

    def __str__(self) -> str:
        return f"company directory ({self.source})"


def parse_group_roles(text: str) -> dict[str, tuple[TeamRole, ...]]:
    """Read `group=team:ROLE,group=team:ROLE` into {group: ((team code, role), ...)}.

    A group may give several roles (repeat it). Raises ValueError naming the bad entry.
    """
    mapping: dict[str, list[TeamRole]] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        group, sep, grant = entry.rpartition("=")
        team, colon, role = grant.partition(":")
        group, team, role = group.strip(), team.strip(), role.strip().upper()
        if not sep or not colon or not group or not team:
            raise ValueError(f"{entry!r} is not group=team:ROLE")
        if role not in Role.values:
            raise ValueError(f"{entry!r}: role {role!r} is not one of {', '.join(Role.values)}")
        mapping.setdefault(group, []).append((team, role))
    return {group: tuple(pairs) for group, pairs in mapping.items()}


def roles_for_groups(
    groups: Iterable[str], mapping: dict[str, tuple[TeamRole, ...]]
) -> set[TeamRole]:
    """The (team code, role) pairs the given groups grant under `mapping`."""
    return {pair for group in groups for pair in mapping.get(group, ())}


def sync_memberships(
    *, user: User, groups: Iterable[str], mapping: dict[str, tuple[TeamRole, ...]], source: str
) -> None:
    """Make the roles the mapping manages follow the person's groups: grant those the groups
    give, take those they no longer give. Roles the mapping does not name (granted by hand)
    stay. A team the mapping names but techalign does not know is skipped; so is taking the
    last administrator's role, which nobody could give back."""
    managed = {pair for pairs in mapping.values() for pair in pairs}
    if not managed:
        return
    wanted = roles_for_groups(groups, mapping)
    teams = {team.code: team for team in Team.objects.filter(code__in={c for c, _ in managed})}
    for code in sorted({c for c, _ in managed} - teams.keys()):
        log.warning("%s group mapping names team %r, which does not exist", source, code)
    held = set(
        Membership.objects.filter(user=user, team__code__in=teams).values_list("team__code", "role")
    )
    actor = CompanyDirectory(source)
    for code, role in sorted(wanted - held):
        if code in teams:
            grant_role(actor=actor, user=user, team=teams[code], role=role)
    for code, role in sorted((managed - wanted) & held):
        try:
            revoke_role(actor=actor, user=user, team=teams[code], role=role)
        except Refused as refusal:
            log.warning("%s kept %s %s of %s: %s", source, role, code, user, refusal.code)


def person_for_company_account(
    *, username: str, email: str, email_verified: bool, display_name: str, source: str
) -> User:
    """The techalign person behind a company account, created on first sign-in.

    An existing person is recognised by e-mail, and only by an e-mail the provider has
    verified (anyone can type an unverified address). A deactivated person stays out.
    """
    if not email:
        raise Refused("sso.email_missing", source=source)
    if not email_verified:
        raise Refused("sso.email_unverified", email=email, source=source)
    matches = list(User.objects.filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise Refused("sso.email_ambiguous", email=email)
    if matches:
        user = matches[0]
        if not user.is_active:
            raise Refused("sso.user_deactivated", user=str(user))
        username = user.username
    elif not username:
        raise Refused("sso.username_missing", source=source)
    elif User.objects.filter(username=username).exists():
        raise Refused("sso.username_taken", username=username, email=email)
    return save_user(
        actor=CompanyDirectory(source),
        username=username,
        display_name=display_name or (matches[0].display_name if matches else username),
        email=email if not matches else matches[0].email,
        is_active=True,
    )
