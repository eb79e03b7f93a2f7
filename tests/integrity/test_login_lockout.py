"""Login rate limiting: five failed logins for one username from one address lock that pair
out for fifteen minutes, even with the right password; others are not affected."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client

LOGIN = "/accounts/login/"


def log_in(client: Client, username: str, password: str) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


def test_the_fifth_failure_locks_out_that_username_from_that_address(w):
    attacker = Client(REMOTE_ADDR="203.0.113.7")

    failures = [log_in(attacker, "ming", "guess") for _ in range(5)]
    with_the_right_password = log_in(attacker, "ming", "pw-ming")

    assert failures == [200, 200, 200, 200, 429]
    assert with_the_right_password == 429
    assert "_auth_user_id" not in attacker.session


def test_a_lockout_binds_neither_other_addresses_nor_other_usernames(w):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        log_in(attacker, "ming", "guess")

    # ming himself, at his desk, and lei at the attacker's address, still get in.
    assert log_in(Client(REMOTE_ADDR="10.1.2.3"), "ming", "pw-ming") == 302
    assert log_in(attacker, "lei", "pw-lei") == 302


def minutes_pass(minutes: int) -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))


def test_the_lockout_ends_fifteen_minutes_after_the_last_attempt(w):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        log_in(attacker, "ming", "guess")
    minutes_pass(14)
    # Still locked; trying again while locked starts the fifteen minutes anew.
    assert log_in(attacker, "ming", "pw-ming") == 429
    minutes_pass(14)
    assert log_in(attacker, "ming", "pw-ming") == 429

    minutes_pass(16)

    assert log_in(attacker, "ming", "pw-ming") == 302


def test_a_successful_login_forgets_earlier_failures(w):
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(4):
        log_in(client, "ming", "typo")
    assert log_in(client, "ming", "pw-ming") == 302
    client.logout()

    assert [log_in(client, "ming", "typo") for _ in range(4)] == [200] * 4


def test_the_limit_and_the_lockout_time_come_from_the_environment():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "techalign.settings", "SECRET_KEY": "k"}
    env.update(TECHALIGN_LOGIN_FAILURES="3", TECHALIGN_LOGIN_LOCKOUT_MINUTES="60")
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; "
            "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert shown.stdout.split() == ["3", "1:00:00"]


def test_the_lockout_page_says_why_and_for_how_long_in_the_sites_language(w, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(4):
        log_in(attacker, "ming", "guess")
    locked = attacker.post(LOGIN, {"username": "ming", "password": "guess"})
    assert locked.status_code == 429
    page = locked.content.decode()
    assert 'data-code="auth.locked_out"' in page
    assert "After 5 failed sign-ins for ming from this address, signing in is paused." in page
    assert "Try again in 15 minutes" in page

    settings.LANGUAGE_CODE = "zh-hans"  # the site's default outside the tests
    again = attacker.post(LOGIN, {"username": "ming", "password": "guess"}).content.decode()
    assert "ming 在此地址连续 5 次登录失败，登录已暂停。" in again
    assert "请在 15 分钟后再试" in again
