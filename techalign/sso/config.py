"""What company sign-in is configured to do, read from settings when asked (never at import)."""

from __future__ import annotations

import functools

import requests
from django.conf import settings
from mozilla_django_oidc.utils import import_from_settings  # type: ignore[import-untyped]

from techalign.sso.services import TeamRole, parse_group_roles

# mozilla-django-oidc setting -> key of the provider's discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def oidc_enabled() -> bool:
    return bool(
        settings.OIDC_RP_CLIENT_ID
        and (settings.TECHALIGN_OIDC_ISSUER or getattr(settings, "OIDC_OP_TOKEN_ENDPOINT", ""))
    )


def ldap_enabled() -> bool:
    return bool(getattr(settings, "AUTH_LDAP_SERVER_URI", ""))


def local_passwords_allowed(user) -> bool:
    """Local passwords may be turned off for everyone but superusers, who keep a way in when
    the company's sign-in is down."""
    return settings.TECHALIGN_LOCAL_PASSWORDS or bool(getattr(user, "is_superuser", False))


@functools.lru_cache(maxsize=4)
def discovery(issuer: str) -> dict:
    """The provider's OpenID configuration, fetched once per issuer."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    response = requests.get(url, timeout=getattr(settings, "OIDC_TIMEOUT", 10))
    response.raise_for_status()
    return response.json()


def oidc_setting(attr: str, *default):
    """A mozilla-django-oidc setting; endpoints not set come from the issuer's discovery."""
    if attr in DISCOVERED and not getattr(settings, attr, "") and settings.TECHALIGN_OIDC_ISSUER:
        return discovery(settings.TECHALIGN_OIDC_ISSUER).get(DISCOVERED[attr], *default)
    return import_from_settings(attr, *default)


def oidc_group_roles() -> dict[str, tuple[TeamRole, ...]]:
    return parse_group_roles(settings.TECHALIGN_OIDC_GROUP_ROLES)


def ldap_group_roles() -> dict[str, tuple[TeamRole, ...]]:
    return parse_group_roles(settings.TECHALIGN_LDAP_GROUP_ROLES)
