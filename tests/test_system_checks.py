"""`techalign check` names each setting the app depends on that is missing or malformed, with a
stable id; those that matter only in production show under `check --deploy`."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from techalign.core import checks
from techalign.settings import database_from_url


def ids(messages) -> list[str]:
    return [m.id for m in messages]


def test_a_missing_or_development_secret_key_outside_debug_is_an_error():
    for key in ["", checks.DEVELOPMENT_KEY]:
        with override_settings(DEBUG=False, SECRET_KEY=key):
            assert ids(checks.check_secret_key()) == ["techalign.E001"]
    with override_settings(DEBUG=True, SECRET_KEY=checks.DEVELOPMENT_KEY):
        assert checks.check_secret_key() == []
    with override_settings(DEBUG=False, SECRET_KEY="a-real-key-" * 5):
        assert checks.check_secret_key() == []


@pytest.mark.parametrize(
    "url", ["mysql://db/techalign", "postgres://user@db:5432/", "oracle:///x", "sqlite"]
)
def test_a_database_url_that_cannot_be_read_is_an_error(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert ids(checks.check_database_url()) == ["techalign.E002"]


@pytest.mark.parametrize("url", ["sqlite:////tmp/x.sqlite3", "postgres://u:p@db:5432/techalign"])
def test_a_readable_database_url_passes(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert checks.check_database_url() == []


def test_sqlite_without_wal_immediate_or_timeout_is_an_error():
    good = database_from_url("sqlite:////tmp/x.sqlite3")
    assert checks.sqlite_problems({"default": good}) == []
    for drop in ["transaction_mode", "timeout", "init_command"]:
        options = {k: v for k, v in good["OPTIONS"].items() if k != drop}
        messages = checks.sqlite_problems({"default": {**good, "OPTIONS": options}})
        assert ids(messages) == ["techalign.E003"], drop
    bare = {"default": {"ENGINE": "django.db.backends.sqlite3"}}
    message = checks.sqlite_problems(bare)[0].msg
    assert "IMMEDIATE" in message and "timeout" in message and "WAL" in message


def test_an_unknown_time_zone_is_an_error():
    with override_settings(TIME_ZONE="Mars/Olympus_Mons"):
        assert ids(checks.check_time_zone_and_languages()) == ["techalign.E004"]
    with override_settings(TIME_ZONE="Asia/Shanghai"):
        assert checks.check_time_zone_and_languages() == []


def test_languages_without_chinese_or_english_or_an_unoffered_default_is_an_error():
    with override_settings(LANGUAGES=[("en", "English")]):
        assert ids(checks.check_time_zone_and_languages()) == ["techalign.E005"]
    with override_settings(LANGUAGE_CODE="fr"):
        assert ids(checks.check_time_zone_and_languages()) == ["techalign.E005"]


@pytest.mark.parametrize(
    "url",
    [
        "",
        "techalign.example.com",
        "ftp://example.com",
        "https://",
        "https://a.example/?x=1",
        "https://a.example/",
    ],
)
def test_a_base_url_that_is_not_an_absolute_address_is_an_error(url):
    with override_settings(TECHALIGN_BASE_URL=url):
        assert ids(checks.check_base_url()) == ["techalign.E006"]


def test_a_base_url_with_a_path_prefix_passes():
    for url in ["https://techalign.example.com", "http://127.0.0.1:8000/align"]:
        with override_settings(TECHALIGN_BASE_URL=url):
            assert checks.check_base_url() == []


def test_a_sealing_key_that_is_not_a_fernet_key_is_an_error():
    with override_settings(TECHALIGN_SEALING_KEY="not-a-key"):
        assert ids(checks.check_sealing_key()) == ["techalign.E007"]
    with override_settings(TECHALIGN_SEALING_KEY=Fernet.generate_key().decode()):
        assert checks.check_sealing_key() == []


def test_production_without_mail_server_or_sealing_key_is_warned():
    with override_settings(DEBUG=False, EMAIL_HOST="", TECHALIGN_SEALING_KEY=""):
        assert ids(checks.check_production_mail_and_sealing()) == [
            "techalign.W001",
            "techalign.W002",
        ]
    key = Fernet.generate_key().decode()
    with override_settings(DEBUG=False, EMAIL_HOST="smtp.example.com", TECHALIGN_SEALING_KEY=key):
        assert checks.check_production_mail_and_sealing() == []
    with override_settings(DEBUG=True, EMAIL_HOST="", TECHALIGN_SEALING_KEY=""):
        assert checks.check_production_mail_and_sealing() == []


def _techalign_check(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    test_only = {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY"}
    base = {k: v for k, v in os.environ.items() if k not in test_only}
    base.update(TECHALIGN_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "techalign.cli", "check", *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_techalign_check_shows_the_ids_and_check_deploy_the_production_warnings(tmp_path):
    broken = _techalign_check(tmp_path, TECHALIGN_BASE_URL="example.com", TECHALIGN_LANGUAGE="fr")
    assert broken.returncode != 0
    for check_id in ["techalign.E001", "techalign.E005", "techalign.E006"]:
        assert check_id in broken.stderr, broken.stderr
    assert "techalign.W001" not in broken.stderr
    deploy = _techalign_check(tmp_path, "--deploy", SECRET_KEY="k" * 60)
    assert deploy.returncode == 0, deploy.stderr
    assert "techalign.W001" in deploy.stderr and "techalign.W002" in deploy.stderr


def test_the_audit_partitions_must_stay_few_enough_to_lock_together():
    for partitions in (0, 257):
        with override_settings(TECHALIGN_AUDIT_PARTITIONS=partitions):
            assert ids(checks.check_audit_partitions()) == ["techalign.E008"]
    with override_settings(TECHALIGN_AUDIT_PARTITIONS=16):
        assert checks.check_audit_partitions() == []
