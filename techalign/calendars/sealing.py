"""Credentials at rest: calendar passwords, feed URLs with tokens, webhook secrets.

They are sealed with Fernet (AES-128-CBC + HMAC-SHA256). The key comes from
TECHALIGN_SEALING_KEY when set (a Fernet key, so it can be rotated apart from SECRET_KEY),
otherwise it is derived from SECRET_KEY; a database dump alone reveals none of them.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _fernet() -> Fernet:
    explicit = getattr(settings, "TECHALIGN_SEALING_KEY", "")
    if explicit:
        return Fernet(explicit)
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"techalign credential sealing"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(values: dict[str, Any]) -> str:
    """Encrypt a small dict of secrets for storage."""
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def unseal(token: str) -> dict[str, Any]:
    """Decrypt what `seal` stored; an unreadable token (key changed) reads as no secrets."""
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        return {}


def redact_url(url: str) -> str:
    """The URL as it may be shown: no user, password, query or fragment (feed tokens live
    there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    shown = urlunsplit((parts.scheme, host, parts.path, "", ""))
    return shown + ("?…" if parts.query else "")
