"""Configuration checks: a bad sign-in setting stops `techalign serve` and `migrate` with the
reason, instead of failing at someone's first sign-in."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def sign_in_configuration(app_configs, **kwargs) -> list[Error]:
    from techalign.sso.services import parse_group_roles

    errors = []
    for name in ("TECHALIGN_OIDC_GROUP_ROLES", "TECHALIGN_LDAP_GROUP_ROLES"):
        try:
            parse_group_roles(getattr(settings, name))
        except ValueError as problem:
            errors.append(Error(f"{name}: {problem}", id="techalign.sso.E001"))
    if settings.OIDC_RP_CLIENT_ID and not (
        settings.TECHALIGN_OIDC_ISSUER or getattr(settings, "OIDC_OP_TOKEN_ENDPOINT", "")
    ):
        errors.append(
            Error(
                "TECHALIGN_OIDC_CLIENT_ID is set but neither TECHALIGN_OIDC_ISSUER nor the "
                "endpoints are",
                id="techalign.sso.E002",
            )
        )
    if settings.TECHALIGN_LDAP_GROUP_ROLES and not getattr(settings, "AUTH_LDAP_GROUP_TYPE", None):
        errors.append(
            Error(
                "TECHALIGN_LDAP_GROUP_ROLES is set but TECHALIGN_LDAP_GROUP_BASE is not, so no "
                "group is ever found",
                id="techalign.sso.E003",
            )
        )
    return errors
