"""The project's settings, as the tests need them: a throwaway key and a fast password hash."""

import os

os.environ.setdefault("SECRET_KEY", "insecure-key-for-tests-only")

from techalign.settings import *  # noqa: F403

# Hashing every persona's password with PBKDF2 would dominate the suite's run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The tests' calendar, CalDAV and webhook servers listen on loopback.
TECHALIGN_OUTBOUND_ALLOWLIST = ["127.0.0.0/8", "::1", "localhost"]

# Tests read messages in English unless they choose Chinese; the demo and new users stay zh-hans.
LANGUAGE_CODE = "en"
