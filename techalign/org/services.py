"""Writes on the organisation: personal API tokens, and the administrators' changes to
departments, teams, roles, people, the service catalog and the organisation policy.

A raw token is shown once, when it is issued; only its first characters (to recognise it in a
list) and its SHA-256 digest are stored, so a copy of the database does not hand out access.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from techalign.audit.services import record, transition
from techalign.core.errors import Refused
from techalign.core.prepared import prepared
from techalign.core.versions import compare_and_set
from techalign.org.models import (
    DEFAULT_COST_CURVE,
    ApiToken,
    Component,
    Department,
    Membership,
    OrgPolicy,
    Role,
    Team,
    User,
)
from techalign.org.permissions import forget_roles, is_admin, role_names
from techalign.org.selectors import first_with_roles, with_roles

TOKEN_MARK = "ta_"
PREFIX_LENGTH = 10
MAX_LIFETIME_DAYS = 3650
# Writing last_used_at on every request would turn each API read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_digest(raw: str) -> str:
    """The SHA-256 hex digest under which a raw token is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _require_owner_or_admin(actor: User | None, owner: User, action: str) -> None:
    """Refuse unless the actor is the token's owner, an administrator or the console (None)."""
    if actor is None or getattr(actor, "pk", None) == owner.pk or is_admin(actor):
        return
    raise Refused("token.not_owner", owner=str(owner), action=action, user=str(actor))


@transition("token.issued")
def issue_token(
    *, actor: User | None, user: User, name: str = "cli", expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Issue a personal API token for `user`; return it with the raw token, shown only now.

    A user issues tokens for themselves; an administrator may issue them for anyone. `actor`
    None means the operator at the server's console (the `techalign token` command).
    `expires_in_days` None issues a token that never expires.
    """
    _require_owner_or_admin(actor, user, gettext("issue"))
    if not user.is_active:
        raise Refused("token.user_inactive", user=str(user))
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_LIFETIME_DAYS:
        raise Refused(
            "input.invalid",
            field="expires_in_days",
            problem=gettext("must be between 1 and %(limit)d days") % {"limit": MAX_LIFETIME_DAYS},
        )
    name = name.strip() or "cli"
    max_name = ApiToken._meta.get_field("name").max_length
    if max_name is not None and len(name) > max_name:
        raise Refused("input.too_long", field="name", limit=max_name)

    raw = TOKEN_MARK + secrets.token_urlsafe(32)
    expires_at = (
        timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days is not None else None
    )
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:PREFIX_LENGTH],
        digest=token_digest(raw),
        expires_at=expires_at,
    )
    record(
        actor=actor,
        action="token.issued",
        target=token,
        summary={
            "user": user.username,
            "name": name,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, raw


@transition("token.revoked")
def revoke_token(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token at once; its owner or an administrator may. Revoking twice changes nothing.

    `actor` None means the operator at the server's console.
    """
    _require_owner_or_admin(actor, token.user, gettext("revoke"))
    now = timezone.now()
    # Compare-and-set: of two concurrent revocations, only the first writes and is audited.
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        token.revoked_at = now
        record(
            actor=actor,
            action="token.revoked",
            target=token,
            summary={"user": token.user.username, "prefix": token.prefix},
        )
    else:
        token.refresh_from_db(fields=["revoked_at"])
    return token


@prepared
def _token_holder(digest: str) -> QuerySet[User]:
    """The token, its person and their roles in one query (see user_with_roles for why), its
    SQL compiled once: every API request runs it."""
    return with_roles(
        User.objects.filter(api_tokens__digest=digest, is_active=True).annotate(
            token_pk=F("api_tokens__pk"),
            token_revoked_at=F("api_tokens__revoked_at"),
            token_expires_at=F("api_tokens__expires_at"),
            token_last_used_at=F("api_tokens__last_used_at"),
        )
    )


def user_for_token(raw: str) -> User | None:
    """The active user a raw token authenticates, or None if it is unknown, revoked or expired.

    Records when the token was last used, at most once a minute.
    """
    if not raw or not raw.startswith(TOKEN_MARK):
        return None
    user = first_with_roles(_token_holder(token_digest(raw)))
    if user is None or user.token_revoked_at is not None:  # type: ignore[attr-defined]
        return None
    now = timezone.now()
    expires_at, last_used_at = user.token_expires_at, user.token_last_used_at  # type: ignore[attr-defined]
    if expires_at is not None and expires_at <= now:
        return None
    if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=user.token_pk).update(last_used_at=now)  # type: ignore[attr-defined]
    return user


# --- administration: teams, roles, people, the service catalog ------------------------------


def can_administer(actor: Any) -> bool:
    """Administrators shape the organisation: teams, who holds which role, components."""
    return is_admin(actor)


def require_admin(actor: Any, action: str | Promise) -> None:
    """Refuse unless `actor` is an administrator."""
    if not can_administer(actor):
        raise Refused(
            "org.admin_required", action=action, user=str(actor), roles=role_names([Role.ADMIN])
        )


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set `values` on `obj`; return {field: [before, after]} for the ones that differ."""
    changed = {}
    for name, value in values.items():
        # A new row's unset relation reads as None rather than raising.
        before = getattr(obj, name, None) if obj.pk else None
        if before != value:
            changed[name] = [str(before), str(value)]
            setattr(obj, name, value)
    return changed


def _save_audited(
    actor: Any,
    obj: Any,
    values: dict[str, Any],
    *,
    seen: int | None = None,
    kind: Any,
    ref: str,
    **summary: Any,
) -> None:
    """Set `values` on `obj`, new or stored; save it and audit the change (under the running
    transition's action) only when it is new or something differs.

    A stored row is written by one compare-and-set that bumps its version, so a client that
    read version `seen` (None: whatever it is now) is refused as stale once someone else
    changed the row, even when its own change would change nothing."""
    created = obj.pk is None
    changed = _changes(obj, values)
    if created:
        obj.save()
    elif changed:
        compare_and_set(obj, seen, kind=kind, ref=ref, **{name: values[name] for name in changed})
        obj.refresh_from_db(fields=["version"])
    elif seen is not None and seen != obj.version:
        raise Refused("conflict.stale_version", kind=kind, ref=ref, seen=seen, current=obj.version)
    if created or changed:
        record(actor=actor, target=obj, summary={**summary, "created": created, "changes": changed})


def _require_new(obj: Any, is_new: bool, field: str) -> None:
    """A form that creates must not quietly change the existing one of the same code."""
    if is_new and obj.pk is not None:
        raise Refused("input.invalid", field=field, problem=gettext("already used"))


@transition("team.saved")
def save_team(
    *,
    actor: Any,
    code: str,
    name: str,
    department: Department,
    is_committee: bool = False,
    is_new: bool = False,
    version: int | None = None,
) -> Team:
    """Create the team `code` or change its name, department and committee flag; `is_new`
    refuses a code already used instead of changing that team. `version` is the one the
    caller read: a team changed since is refused as stale."""
    require_admin(actor, gettext("change teams"))
    team = Team.objects.filter(code=code).first() or Team(code=code)
    _require_new(team, is_new, gettext("code"))
    values = {"name": name, "department": department, "is_committee": is_committee}
    _save_audited(actor, team, values, seen=version, kind=gettext_lazy("Team"), ref=code, code=code)
    return team


@transition("role.granted")
def grant_role(*, actor: Any, user: User, team: Team, role: str) -> Membership:
    """Give `user` the role `role` in `team`; granting a role held already changes nothing."""
    require_admin(actor, gettext("grant roles"))
    if not user.is_active:
        raise Refused("token.user_inactive", user=str(user))
    membership, created = Membership.objects.get_or_create(user=user, team=team, role=role)
    if created:
        forget_roles(user)
        record(
            actor=actor,
            target=membership,
            summary={"user": user.username, "team": team.code, "role": role},
        )
    return membership


@transition("role.revoked")
def revoke_role(*, actor: Any, user: User, team: Team, role: str) -> None:
    """Take the role `role` in `team` from `user`. The last administrator cannot be removed:
    nobody could give the role back."""
    require_admin(actor, gettext("revoke roles"))
    membership = Membership.objects.filter(user=user, team=team, role=role).first()
    if membership is None:
        return
    if (
        role == Role.ADMIN
        and not Membership.objects.filter(role=Role.ADMIN, user__is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise Refused("org.last_admin", user=str(user))
    record(
        actor=actor,
        target=team,
        summary={"user": user.username, "team": team.code, "role": role},
    )
    membership.delete()
    forget_roles(user)


@transition("user.saved")
def save_user(
    *,
    actor: Any,
    username: str,
    display_name: str,
    email: str,
    is_active: bool = True,
    is_new: bool = False,
    version: int | None = None,
) -> User:
    """Create the person `username` (with no password: they sign in once one is set or through
    the company's sign-in) or change their name, e-mail and whether they may sign in; `is_new`
    refuses a user name already used. `version` is the one the caller read: a person changed
    since is refused as stale."""
    require_admin(actor, gettext("change people"))
    user = User.objects.filter(username=username).first()
    _require_new(user or User(), is_new, gettext("user name"))
    if user is None:
        user = User(username=username)
        user.set_unusable_password()
    if user.pk == getattr(actor, "pk", None) and not is_active:
        raise Refused("org.deactivate_self", user=str(user))
    values = {"display_name": display_name, "email": email, "is_active": is_active}
    _save_audited(
        actor,
        user,
        values,
        seen=version,
        kind=gettext_lazy("User"),
        ref=username,
        username=username,
    )
    return user


@transition("component.saved")
def save_component(
    *,
    actor: Any,
    key: str,
    name: str,
    kind: str,
    owner_team: Team,
    description: str = "",
    is_new: bool = False,
    version: int | None = None,
) -> Component:
    """Create the component `key` or change it (`is_new` refuses a key already used; `version`,
    the one the caller read, refuses a component changed since). A new owner team becomes the
    related party of plans that touch the component from their next revision on."""
    require_admin(actor, gettext("change the service catalog"))
    component = Component.objects.filter(key=key).first() or Component(key=key)
    _require_new(component, is_new, gettext("key"))
    values = {"name": name, "kind": kind, "owner_team": owner_team, "description": description}
    _save_audited(
        actor, component, values, seen=version, kind=gettext_lazy("Component"), ref=key, key=key
    )
    return component


@transition("department.saved")
def save_department(
    *, actor: Any, code: str, name: str, is_new: bool = False, version: int | None = None
) -> Department:
    """Create the department `code` or rename it; `is_new` refuses a code already used instead
    of renaming that department. `version` is the one the caller read: a department changed
    since is refused as stale. Teams move between departments with `save_team`."""
    require_admin(actor, gettext("change departments"))
    department = Department.objects.filter(code=code).first() or Department(code=code)
    _require_new(department, is_new, gettext("code"))
    _save_audited(
        actor,
        department,
        {"name": name},
        seen=version,
        kind=gettext_lazy("Department"),
        ref=code,
        code=code,
    )
    return department


@transition("department.removed")
def remove_department(*, actor: Any, department: Department, version: int | None = None) -> None:
    """Remove a department that has no team left (its teams move elsewhere first, so no team
    is ever without one). `version` as for `save_department`."""
    require_admin(actor, gettext("remove departments"))
    teams = list(department.teams.order_by("code").values_list("code", flat=True))
    if teams:
        raise Refused(
            "org.department_not_empty", department=department.code, teams=", ".join(teams)
        )
    kind, ref = gettext_lazy("Department"), department.code
    rows = Department.objects.filter(pk=department.pk)
    current = rows.values_list("version", flat=True).first()
    if current is None:
        raise Refused("access.not_found", kind=kind, ref=ref)
    if version is not None and version != current:
        raise Refused("conflict.stale_version", kind=kind, ref=ref, seen=version, current=current)
    record(actor=actor, target=department, summary={"code": ref, "name": department.name})
    rows.delete()


# The cost-of-change weight of a phase and the factor per extra party stay within these.
MAX_COST_WEIGHT = 10_000
MAX_COST_PER_EXTRA_PARTY = Decimal("99.99")


@transition("org_policy.updated")
def update_org_policy(
    *,
    actor: Any,
    cost_per_extra_party: Decimal | None = None,
    cost_curve: dict[str, int] | None = None,
    version: int | None = None,
) -> OrgPolicy:
    """Change the organisation policy: the cost-of-change weight per phase a gap was found in
    (phases left out keep the default weight) and the factor per extra affected party. `None`
    leaves a setting as it is; `version` is the one the caller read (stale: refused)."""
    require_admin(actor, gettext("change the organisation policy"))
    values: dict[str, Any] = {}
    if cost_per_extra_party is not None:
        if not Decimal("0") <= cost_per_extra_party <= MAX_COST_PER_EXTRA_PARTY:
            raise Refused(
                "input.invalid",
                field="cost_per_extra_party",
                problem=f"0 to {MAX_COST_PER_EXTRA_PARTY}",
            )
        values["cost_per_extra_party"] = cost_per_extra_party.quantize(Decimal("0.01"))
    if cost_curve is not None:
        unknown = sorted(set(cost_curve) - set(DEFAULT_COST_CURVE))
        if unknown:
            raise Refused(
                "input.invalid", field="cost_curve", problem=", ".join(DEFAULT_COST_CURVE)
            )
        if any(not 0 <= int(w) <= MAX_COST_WEIGHT for w in cost_curve.values()):
            raise Refused("input.invalid", field="cost_curve", problem=f"0 to {MAX_COST_WEIGHT}")
        values["cost_curve"] = {phase: int(w) for phase, w in sorted(cost_curve.items())}
    policy, _created = OrgPolicy.objects.get_or_create(pk=1)
    _save_audited(
        actor,
        policy,
        values,
        seen=version,
        kind=gettext_lazy("Organisation policy"),
        ref="policy",
    )
    return policy
