"""Deployment checks of a company-scale installation (`techalign check --deploy`), ids
techalign.W1xx; the settings are read when the checks run, never at import.

  techalign.W101  TECHALIGN_NODES above 1 on a SQLite database
  techalign.W102  DEBUG on while ALLOWED_HOSTS names a host other than this machine

A missing EMAIL_HOST or TECHALIGN_SEALING_KEY is named by the settings checks (techalign/core/
checks.py, techalign.W001 and W002).
"""

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _is_local(host: str) -> bool:
    host = host.strip().lstrip(".")
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@register(Tags.security, deploy=True)
def check_sqlite_on_several_nodes(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    nodes = settings.TECHALIGN_NODES
    if nodes <= 1 or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return []
    return [
        Warning(
            f"TECHALIGN_NODES is {nodes} but the database is a SQLite file: several machines "
            "cannot share it safely.",
            hint="Point DATABASE_URL at PostgreSQL, or run one node (several gunicorn workers "
            "on one machine, WEB_CONCURRENCY, are fine on SQLite).",
            id="techalign.W101",
        )
    ]


@register(Tags.security, deploy=True)
def check_debug_on_public_host(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    public = [host for host in settings.ALLOWED_HOSTS if not _is_local(host)]
    if not settings.DEBUG or not public:
        return []
    return [
        Warning(
            f"DEBUG is on while the site answers for {', '.join(public)}: error pages show "
            "settings, code and data to anyone.",
            hint="Unset DEBUG on any machine reachable by others.",
            id="techalign.W102",
        )
    ]
