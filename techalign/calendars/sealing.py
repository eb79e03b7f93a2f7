"""Credentials at rest: calendar passwords, feed URLs with tokens, webhook secrets.

They are sealed with Fernet (AES-128-CBC + HMAC-SHA256). The keys come from
TECHALIGN_SEALING_KEY when set (comma-separated Fernet keys: the first seals, every one unseals,
so a new key goes first and `techalign rekey` re-seals everything with it before the old one is
dropped), otherwise they are derived from SECRET_KEY and SECRET_KEY_FALLBACKS; a database dump
alone reveals none of them.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models, transaction


def _derived(secret: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"techalign credential sealing"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _fernet() -> MultiFernet:
    explicit = list(getattr(settings, "TECHALIGN_SEALING_KEY", None) or [])
    if explicit:
        return MultiFernet([Fernet(key) for key in explicit])
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_derived(secret) for secret in secrets if secret])


def seal(values: dict[str, Any]) -> str:
    """Encrypt a small dict of secrets for storage."""
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def unseal(token: str) -> dict[str, Any]:
    """Decrypt what `seal` stored; an unreadable token (key changed) reads as no secrets."""
    if not token:
        return {}
    try:
        values: dict[str, Any] = json.loads(_fernet().decrypt(token.encode()))
        return values
    except InvalidToken:
        return {}


def reseal(token: str) -> str:
    """The same secrets sealed with the first key; InvalidToken if no key opens them."""
    return _fernet().rotate(token.encode()).decode()


def redact_url(url: str) -> str:
    """The URL as it may be shown: no user, password, query or fragment (feed tokens live
    there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    shown = urlunsplit((parts.scheme, host, parts.path, "", ""))
    return shown + ("?…" if parts.query else "")


class UnreadableSecrets(Exception):
    """Stored secrets that none of the sealing keys opens; `rekey` changes nothing then."""


def sealed_fields() -> list[tuple[type[models.Model], str]]:
    """Every model field that holds sealed secrets."""
    from techalign.calendars.models import CalendarSource
    from techalign.notify.models import Channel

    return [(CalendarSource, "sealed_secret"), (Channel, "sealed_secret")]


def reseal_all() -> int:
    """Re-seal every stored credential and feed URL with the first sealing key, in one
    transaction; returns how many were re-sealed. If any cannot be opened with the configured
    keys, nothing is changed and UnreadableSecrets names them."""
    resealed, unreadable = 0, []
    with transaction.atomic():
        for model, field in sealed_fields():
            rows = model._default_manager.exclude(**{field: ""}).order_by("pk")
            for pk, token in rows.select_for_update().values_list("pk", field):
                try:
                    fresh = reseal(token)
                except InvalidToken:
                    unreadable.append(f"{model._meta.verbose_name} {pk}")
                    continue
                # Compare-and-set: a secret edited meanwhile is already sealed with the first key.
                unchanged = model._default_manager.filter(pk=pk, **{field: token})
                resealed += unchanged.update(**{field: fresh})
        if unreadable:
            transaction.set_rollback(True)
            raise UnreadableSecrets(", ".join(unreadable))
    return resealed
