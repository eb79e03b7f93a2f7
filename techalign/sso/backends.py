"""Authentication backends: local passwords, the company's OpenID provider, the directory."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django_auth_ldap.backend import LDAPBackend  # type: ignore[import-untyped]
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # type: ignore[import-untyped]

from techalign.core.errors import Refused
from techalign.org.models import User
from techalign.org.selectors import user_with_roles
from techalign.sso import config
from techalign.sso.services import person_for_company_account, sync_memberships


class RolesWithPerson:
    """A signed-in session's person and their roles in one query on every request
    (org.selectors.user_with_roles says why they are not cached); a deactivated person's
    session ends on their next request."""

    def get_user(self, user_id):
        user = user_with_roles(User.objects.filter(pk=user_id))
        return user if user is not None and user.is_active else None


class LocalPasswordBackend(RolesWithPerson, ModelBackend):
    """Passwords stored in techalign; turned off for all but superusers by
    TECHALIGN_LOCAL_PASSWORDS=0 (the sign-in form then says why)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not config.local_passwords_allowed(user):
            return None
        return user


class CompanyAccountBackend(RolesWithPerson, OIDCAuthenticationBackend):
    """Single sign-on through the company's OpenID provider (authorization code flow).

    A refusal (unverified e-mail, deactivated person, ...) is kept on the request so the
    callback can show it on the sign-in page.
    """

    get_settings = staticmethod(config.oidc_setting)

    def claim(self, claims: dict, name: str) -> str:
        key = settings.TECHALIGN_OIDC_CLAIMS.get(name, "")
        value = claims.get(key, "") if key else ""
        return value if isinstance(value, str) else ""

    def verify_claims(self, claims):
        return True

    def get_or_create_user(self, access_token, id_token, payload):
        claims = {**payload, **self.get_userinfo(access_token, id_token, payload)}
        try:
            user = person_for_company_account(
                username=self.claim(claims, "username"),
                email=self.claim(claims, "email"),
                email_verified=claims.get("email_verified") is True,
                display_name=self.claim(claims, "display_name"),
                source="oidc",
            )
        except Refused as refusal:
            self.request.techalign_refusal = refusal
            raise SuspiciousOperation(refusal.code) from refusal
        group_claim = settings.TECHALIGN_OIDC_CLAIMS.get("groups", "")
        if group_claim:
            groups = claims.get(group_claim) or []
            sync_memberships(
                user=user,
                groups=[groups] if isinstance(groups, str) else [str(g) for g in groups],
                mapping=config.oidc_group_roles(),
                source="oidc",
            )
        return user


class DirectoryBackend(LDAPBackend):
    """Sign-in with the company directory's password (LDAP / Active Directory); the person's
    directory groups set the roles TECHALIGN_LDAP_GROUP_ROLES manages."""

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None and user.is_active:
            sync_memberships(
                user=user,
                groups=ldap_user.group_names,
                mapping=config.ldap_group_roles(),
                source="ldap",
            )
        return user
