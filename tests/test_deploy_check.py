"""The production configuration the README describes passes Django's deployment checks."""

import datetime as dt
import os
import secrets
import subprocess
import sys
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.core import checks

PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "techalign.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "1",
    # techalign.W001 and W002: mail is sent, and credentials have a sealing key of their own.
    "EMAIL_HOST": "smtp.example.com",
    "TECHALIGN_SEALING_KEY": Fernet.generate_key().decode(),
}


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    # Only what a production start has: not the test run's own switches (the browser tests
    # set DJANGO_ALLOW_ASYNC_UNSAFE in this process).
    test_only = {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(
        PRODUCTION, DJANGO_SETTINGS_MODULE="techalign.settings", TECHALIGN_VAR_DIR=str(tmp_path)
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("clock", ["09:00:03", "18:00:03", "00:00:00"])
def test_the_checks_pass_at_any_time_of_day(clock):
    """Django's fields.W161 takes a fixed default within ten seconds of the clock for a
    mistaken `now()`: the working hours' 09:00 and 18:00 made `check --deploy` fail when CI
    ran at those times."""
    moment = dt.datetime.combine(dt.date(2026, 12, 7), dt.time.fromisoformat(clock))
    with mock.patch("django.db.models.fields._get_naive_now", return_value=moment):
        found = [m for m in checks.run_checks() if m.level >= checks.WARNING]
    assert found == []
