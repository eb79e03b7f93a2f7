"""System checks for the settings techalign depends on, shown by `techalign check` (and those
that matter only in production by `techalign check --deploy`).

Errors stop `migrate`, `serve` and the worker before they run on a configuration that would fail
later, or quietly lose data; warnings name what a production instance should set.

  techalign.E001  SECRET_KEY missing, or the development key, outside DEBUG
  techalign.E002  DATABASE_URL cannot be read (scheme, database name)
  techalign.E003  SQLite without the options that keep concurrent writes safe
  techalign.E004  TIME_ZONE is not a known time zone
  techalign.E005  LANGUAGES lacks zh-hans or en, or LANGUAGE_CODE is not one of LANGUAGES
  techalign.E006  TECHALIGN_BASE_URL is not an absolute http(s) address without query or "/" end
  techalign.E007  TECHALIGN_SEALING_KEY is set but is not a Fernet key
  techalign.E008  TECHALIGN_AUDIT_PARTITIONS is not between 1 and 256
  techalign.W001  (deploy) no EMAIL_HOST outside DEBUG: mail is written to files, not sent
  techalign.W002  (deploy) no TECHALIGN_SEALING_KEY: sealed credentials depend on SECRET_KEY
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_KEY = "insecure-development-key"
REQUIRED_LANGUAGES = {"zh-hans", "en"}

Apps = Sequence[AppConfig] | None


@register(Tags.security)
def check_secret_key(app_configs: Apps = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:
        key = ""
    if not key or key == DEVELOPMENT_KEY:
        return [
            Error(
                "SECRET_KEY is not set (or is the development key) while DEBUG is off.",
                hint="Set SECRET_KEY to a long random value kept outside the code, "
                "e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="techalign.E001",
            )
        ]
    return []


@register(Tags.database)
def check_database_url(app_configs: Apps = None, **kwargs: Any) -> list[CheckMessage]:
    from techalign.settings import database_from_url

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return []
    hint = "Use sqlite:///path/to/file.sqlite3 or postgres://user:password@host:port/name."
    try:
        database = database_from_url(url)
    except ValueError as error:
        return [Error(f"DATABASE_URL cannot be read: {error}.", hint=hint, id="techalign.E002")]
    if not database.get("NAME"):
        return [Error("DATABASE_URL names no database.", hint=hint, id="techalign.E002")]
    return []


@register(Tags.database)
def check_sqlite_options(app_configs: Apps = None, **kwargs: Any) -> list[CheckMessage]:
    return sqlite_problems(settings.DATABASES)


def sqlite_problems(databases: dict[str, dict[str, Any]]) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    for alias, database in databases.items():
        if database.get("ENGINE") != "django.db.backends.sqlite3":
            continue
        options = database.get("OPTIONS", {})
        pragmas = str(options.get("init_command", "")).replace(" ", "").lower()
        missing = [
            name
            for name, present in [
                ('"transaction_mode": "IMMEDIATE"', options.get("transaction_mode") == "IMMEDIATE"),
                ('"timeout"', isinstance(options.get("timeout"), int | float)),
                ("PRAGMA journal_mode=WAL", "journal_mode=wal" in pragmas),
            ]
            if not present
        ]
        if missing:
            problems.append(
                Error(
                    f"SQLite database {alias!r} lacks {', '.join(missing)} in its OPTIONS: "
                    "concurrent writes then fail with 'database is locked'.",
                    hint="Configure it through DATABASE_URL, which sets these options.",
                    id="techalign.E003",
                )
            )
    return problems


@register()
def check_time_zone_and_languages(app_configs: Apps = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    try:
        zoneinfo.ZoneInfo(settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(
            Error(
                f"TIME_ZONE {settings.TIME_ZONE!r} is not a known time zone.",
                hint="Set TECHALIGN_TIME_ZONE to an IANA name such as Asia/Shanghai.",
                id="techalign.E004",
            )
        )
    codes = {code for code, _name in settings.LANGUAGES}
    if not codes >= REQUIRED_LANGUAGES or settings.LANGUAGE_CODE not in codes:
        problems.append(
            Error(
                f"LANGUAGES must offer zh-hans and en, and LANGUAGE_CODE "
                f"({settings.LANGUAGE_CODE!r}) must be one of them.",
                hint="Set TECHALIGN_LANGUAGE to zh-hans or en.",
                id="techalign.E005",
            )
        )
    return problems


@register()
def check_base_url(app_configs: Apps = None, **kwargs: Any) -> list[CheckMessage]:
    url = str(getattr(settings, "TECHALIGN_BASE_URL", ""))
    parts = urlsplit(url)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.query
        or parts.fragment
        or url.endswith("/")
    ):
        return [
            Error(
                f"TECHALIGN_BASE_URL {url!r} is not an absolute http(s) address: links in "
                "emails, chat messages and invitations would not open.",
                hint="Set it like https://techalign.example.com (no trailing slash).",
                id="techalign.E006",
            )
        ]
    return []


@register(Tags.security)
def check_sealing_key(app_configs: Apps = None, **kwargs: Any) -> list[CheckMessage]:
    from cryptography.fernet import Fernet

    keys = getattr(settings, "TECHALIGN_SEALING_KEY", None) or []
    try:
        for key in [keys] if isinstance(keys, str) else keys:
            Fernet(key)
    except (ValueError, TypeError):
        return [
            Error(
                "TECHALIGN_SEALING_KEY holds a key that is not a Fernet key: calendar and webhook "
                "credentials "
                "could be neither sealed nor read.",
                hint="Generate one with `python3 -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`.",
                id="techalign.E007",
            )
        ]
    return []


# A reader of the audit log that must know which events can no longer appear takes every
# partition's lock at once (audit.services.committed_through): hundreds, not thousands.
AUDIT_PARTITIONS_MAX = 256


@register()
def check_audit_partitions(app_configs: Apps = None, **kwargs: Any) -> list[CheckMessage]:
    partitions = settings.TECHALIGN_AUDIT_PARTITIONS
    if 1 <= partitions <= AUDIT_PARTITIONS_MAX:
        return []
    return [
        Error(
            f"TECHALIGN_AUDIT_PARTITIONS is {partitions}.",
            hint=f"Choose between 1 and {AUDIT_PARTITIONS_MAX} (16 by default); see docs/audit.md.",
            id="techalign.E008",
        )
    ]


@register(Tags.security, deploy=True)
def check_production_mail_and_sealing(
    app_configs: Apps = None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    problems: list[CheckMessage] = []
    if not getattr(settings, "EMAIL_HOST", ""):
        problems.append(
            Warning(
                "EMAIL_HOST is not set: invitations and notifications are written to "
                "var/mail/ instead of being sent.",
                hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, ...) to your SMTP server.",
                id="techalign.W001",
            )
        )
    if not getattr(settings, "TECHALIGN_SEALING_KEY", ""):
        problems.append(
            Warning(
                "TECHALIGN_SEALING_KEY is not set: stored calendar and webhook credentials are "
                "sealed with a key derived from SECRET_KEY and become unreadable when it rotates.",
                hint="Set TECHALIGN_SEALING_KEY to a Fernet key of its own.",
                id="techalign.W002",
            )
        )
    return problems
