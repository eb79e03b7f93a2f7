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

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # A runaway statement fails its own test within two minutes, and the server's log names it
    # (scripts/with-postgres prints it), instead of holding an xdist worker until the suite's
    # timeout kills it with no word of the query.
    options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    options["options"] = "-c statement_timeout=120s"
    # The server's log names each connection's process, so a lock's holder can be told apart
    # from the waiter: this test process (and its xdist worker) or a server a test started.
    options["application_name"] = f"tests {os.environ.get('PYTEST_XDIST_WORKER', '')} {os.getpid()}"
