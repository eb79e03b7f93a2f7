"""django-auth-ldap's settings from the environment (imported only when LDAP is configured)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ldap  # type: ignore[import-untyped]
from django_auth_ldap.config import (  # type: ignore[import-untyped]
    ActiveDirectoryGroupType,
    GroupOfNamesType,
    LDAPSearch,
    PosixGroupType,
)

GROUP_TYPES = {
    "groupOfNames": GroupOfNamesType,
    "activeDirectory": ActiveDirectoryGroupType,
    "posixGroup": PosixGroupType,
}


def directory_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """AUTH_LDAP_* settings from TECHALIGN_LDAP_* variables."""
    values: dict[str, Any] = {
        "AUTH_LDAP_BIND_DN": env.get("TECHALIGN_LDAP_BIND_DN", ""),
        "AUTH_LDAP_BIND_PASSWORD": env.get("TECHALIGN_LDAP_BIND_PASSWORD", ""),
        "AUTH_LDAP_START_TLS": env.get("TECHALIGN_LDAP_START_TLS", "") == "1",
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            env.get("TECHALIGN_LDAP_USER_BASE", ""),
            ldap.SCOPE_SUBTREE,
            env.get("TECHALIGN_LDAP_USER_FILTER", "(uid=%(user)s)"),
        ),
        "AUTH_LDAP_USER_ATTR_MAP": {
            "email": env.get("TECHALIGN_LDAP_EMAIL_ATTR", "mail"),
            "display_name": env.get("TECHALIGN_LDAP_NAME_ATTR", "displayName"),
        },
        "AUTH_LDAP_CONNECTION_OPTIONS": {ldap.OPT_NETWORK_TIMEOUT: 10, ldap.OPT_REFERRALS: 0},
    }
    if group_base := env.get("TECHALIGN_LDAP_GROUP_BASE", ""):
        group_type = env.get("TECHALIGN_LDAP_GROUP_TYPE", "groupOfNames")
        values["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(
            group_base,
            ldap.SCOPE_SUBTREE,
            env.get("TECHALIGN_LDAP_GROUP_FILTER", "(objectClass=groupOfNames)"),
        )
        values["AUTH_LDAP_GROUP_TYPE"] = GROUP_TYPES[group_type]()
    return values
