"""Deployment checks (`techalign check --deploy`): settings that work on one laptop but not for a
company. Ids techalign.W1xx; the settings are read when the checks run, never at import."""

import ipaddress

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _is_local(host: str) -> bool:
    host = host.strip().lstrip(".")
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def warning(code: str, message: str, hint: str) -> list[Warning]:
    return [Warning(message, hint=hint, id=f"techalign.{code}")]


@register(Tags.security, deploy=True)
def check_mail_server(app_configs, **kwargs):
    if settings.DEBUG or settings.EMAIL_HOST:
        return []
    return warning(
        "W101",
        "EMAIL_HOST is not set: invitations and notifications are written as files under "
        "the var folder instead of being sent.",
        "Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
        "EMAIL_USE_TLS) to your SMTP relay.",
    )


@register(Tags.security, deploy=True)
def check_sqlite_on_several_nodes(app_configs, **kwargs):
    nodes = settings.TECHALIGN_NODES
    if nodes <= 1 or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return []
    return warning(
        "W102",
        f"TECHALIGN_NODES is {nodes} but the database is a SQLite file: several machines "
        "cannot share it safely.",
        "Point DATABASE_URL at PostgreSQL, or run one node (several gunicorn workers "
        "on one machine, WEB_CONCURRENCY, are fine on SQLite).",
    )


@register(Tags.security, deploy=True)
def check_sealing_key(app_configs, **kwargs):
    if settings.TECHALIGN_SEALING_KEY:
        return []
    return warning(
        "W103",
        "TECHALIGN_SEALING_KEY is not set: stored calendar passwords, feed addresses and "
        "webhook secrets are sealed with a key derived from SECRET_KEY.",
        "Generate a Fernet key, set TECHALIGN_SEALING_KEY on every node, and run "
        "`techalign rekey`.",
    )


@register(Tags.security, deploy=True)
def check_debug_on_public_host(app_configs, **kwargs):
    public = [host for host in settings.ALLOWED_HOSTS if not _is_local(host)]
    if not settings.DEBUG or not public:
        return []
    return warning(
        "W104",
        f"DEBUG is on while the site answers for {', '.join(public)}: error pages show "
        "settings, code and data to anyone.",
        "Unset DEBUG on any machine reachable by others.",
    )
