"""Hostile input against the site's security settings: the client address behind the https
proxy, throttling of expensive endpoints, private caching, what /healthz tells strangers, and
key rotation (SECRET_KEY_FALLBACKS, sealing keys and `techalign rekey`)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory

from techalign.calendars.models import CalendarSource
from techalign.calendars.sealing import unseal
from techalign.calendars.services import add_caldav, add_feed
from techalign.core.middleware import client_address
from techalign.org.services import issue_token
from tests.factories import make_user

LOGIN = "/accounts/login/"
FEED_URL = "https://127.0.0.1:8443/cal/lei.ics?token=feed-secret"
PROXY = "10.0.0.5"


def through_proxy(client_ip: str, forwarded: str | None = None) -> Client:
    """A browser whose requests reach the site through the documented https proxy."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded or client_ip)


def log_in(client: Client, username: str, password: str) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


def settings_under(shown: str, **environment: str) -> str:
    """`print(s.<shown>)` of the production settings read in a fresh process under this
    environment."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "techalign.settings", "SECRET_KEY": "k"}
    env.update(environment)
    script = f"from django.conf import settings as s; print(s.{shown})"
    run = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def address_of(remote: str, forwarded: str | None = None) -> str:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **headers))


class TestClientAddressBehindTheProxy:
    def test_an_attacker_behind_the_proxy_locks_out_only_himself(self, w, settings):
        settings.TECHALIGN_TRUSTED_PROXIES = [PROXY]
        attacker = through_proxy("203.0.113.7")

        failures = [log_in(attacker, "ming", "guess") for _ in range(5)]

        assert failures[-1] == 429
        # ming, at his desk behind the same proxy, still signs in.
        assert log_in(through_proxy("10.1.2.3"), "ming", "pw-ming") == 302
        assert log_in(attacker, "ming", "pw-ming") == 429

    def test_without_trusted_proxies_every_client_of_the_proxy_is_the_proxy(self, w, settings):
        """What the probe found: the proxy's address stands for everyone, so the attacker's
        five failures lock ming out wherever he is."""
        settings.TECHALIGN_TRUSTED_PROXIES = []
        for _ in range(5):
            log_in(through_proxy("203.0.113.7"), "ming", "guess")

        assert log_in(through_proxy("10.1.2.3"), "ming", "pw-ming") == 429

    def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(self, settings):
        settings.TECHALIGN_TRUSTED_PROXIES = [PROXY]

        assert address_of("203.0.113.7", "10.1.2.3") == "203.0.113.7"

    def test_the_rightmost_untrusted_hop_is_the_client_not_what_it_claims(self, settings):
        settings.TECHALIGN_TRUSTED_PROXIES = ["10.0.0.0/24", "192.0.2.1"]

        # The client sent "1.2.3.4" itself; our proxies appended the address they saw.
        assert address_of(PROXY, "1.2.3.4, 203.0.113.7, 192.0.2.1") == "203.0.113.7"
        assert address_of(PROXY, "203.0.113.7") == "203.0.113.7"
        assert address_of(PROXY, "2001:db8::7") == "2001:db8::7"

    def test_garbage_in_the_forwarded_header_stops_at_the_last_trusted_hop(self, settings):
        settings.TECHALIGN_TRUSTED_PROXIES = ["10.0.0.0/24"]

        assert address_of(PROXY, "203.0.113.7, not-an-address") == PROXY
        assert address_of(PROXY, "") == PROXY


UPLOAD = "/api/v1/calendars/sources/upload"


def api_client(user, address: str = "10.1.2.3", language: str = "en") -> Client:
    _token, raw = issue_token(actor=None, user=user)
    return Client(
        REMOTE_ADDR=address, HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE=language
    )


def upload(client: Client):
    return client.post(UPLOAD, {"name": "c", "ics": "junk"}, content_type="application/json")


@pytest.fixture
def two_uploads_an_hour(settings):
    settings.TECHALIGN_THROTTLES = {**settings.TECHALIGN_THROTTLES, "calendar_upload": (2, 3600)}


class TestThrottling:
    def test_the_third_upload_within_the_hour_is_refused_with_429_and_retry_after(
        self, w, two_uploads_an_hour
    ):
        lei = api_client(w.lei)

        answers = [upload(lei) for _ in range(3)]

        assert [a.status_code for a in answers] == [422, 422, 429]
        refused = answers[-1]
        assert 1 <= int(refused["Retry-After"]) <= 3600
        body = refused.json()
        assert body["code"] == "request.throttled"
        assert body["message"].startswith(
            "Too many calendar uploads and fetches from lei: at most 2 every 3600 seconds."
        )
        assert body["details"]["retry_after"] == int(refused["Retry-After"])

    def test_the_refusal_speaks_the_clients_language(self, w, two_uploads_an_hour):
        lei = api_client(w.lei, language="zh-hans")
        for _ in range(2):
            upload(lei)

        body = upload(lei).json()

        assert "lei" in body["message"] and "秒" in body["message"]
        assert body["message"].startswith("来自 lei 的")

    def test_without_accept_language_the_token_holders_language_is_used(
        self, w, two_uploads_an_hour
    ):
        w.lei.language = "zh-hans"
        w.lei.save(update_fields=["language"])
        _token, raw = issue_token(actor=None, user=w.lei)
        lei = Client(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=f"Bearer {raw}")
        for _ in range(2):
            upload(lei)

        assert upload(lei).json()["message"].startswith("来自 lei 的日历上传与抓取过多")

    def test_a_user_is_counted_across_addresses(self, w, two_uploads_an_hour):
        upload(api_client(w.lei, "10.1.2.3"))
        upload(api_client(w.lei, "10.9.9.9"))

        assert upload(api_client(w.lei, "10.7.7.7")).status_code == 429
        assert upload(api_client(w.fang, "10.7.7.7")).status_code == 422

    def test_an_address_is_counted_across_users(self, w, two_uploads_an_hour):
        upload(api_client(w.lei, "203.0.113.7"))
        upload(api_client(w.fang, "203.0.113.7"))

        refused = upload(api_client(w.jun, "203.0.113.7"))

        assert refused.status_code == 429
        assert "from 203.0.113.7" in refused.json()["message"]

    def test_the_window_ends_and_uploads_are_accepted_again(self, w, two_uploads_an_hour):
        from techalign.core.models import ThrottleCount

        lei = api_client(w.lei)
        for _ in range(3):
            upload(lei)
        ThrottleCount.objects.update(window_start=0)  # an hour and more ago

        assert upload(lei).status_code == 422

    def test_sign_in_attempts_are_throttled_per_address_across_usernames(self, w, settings):
        settings.TECHALIGN_THROTTLES = {**settings.TECHALIGN_THROTTLES, "signin": (3, 300)}
        sprayer = Client(REMOTE_ADDR="203.0.113.7")

        answers = [log_in(sprayer, name, "guess") for name in ("ming", "lei", "fang", "qiang")]
        page = sprayer.post(LOGIN, {"username": "hua", "password": "pw-hua"})

        assert answers == [200, 200, 200, 429]
        assert page.status_code == 429 and "Retry-After" in page
        assert 'data-code="request.throttled"' in page.content.decode()
        assert log_in(Client(REMOTE_ADDR="10.1.2.3"), "hua", "pw-hua") == 302

    def test_web_calendar_uploads_count_but_working_hours_do_not(self, w, settings):
        settings.TECHALIGN_THROTTLES = {**settings.TECHALIGN_THROTTLES, "calendar_upload": (1, 60)}
        browser = Client(REMOTE_ADDR="10.1.2.3")
        browser.force_login(w.lei)

        first = browser.post("/calendars/", {"form": "upload", "name": "c", "ics": "junk"})
        second = browser.post("/calendars/", {"form": "upload", "name": "c", "ics": "junk"})
        hours = browser.post("/calendars/", {"form": "hours", "starts": "09:00", "ends": "x"})

        assert first.status_code != 429
        assert second.status_code == 429 and int(second["Retry-After"]) <= 60
        assert hours.status_code != 429

    def test_slot_searches_are_throttled_on_the_api(self, w, settings):
        settings.TECHALIGN_THROTTLES = {**settings.TECHALIGN_THROTTLES, "slot_search": (1, 60)}
        lei = api_client(w.lei)

        lei.get("/api/v1/calendars/slots/REQ-999")
        refused = lei.get("/api/v1/calendars/slots/REQ-999")

        assert refused.status_code == 429
        assert refused.json()["code"] == "request.throttled"

    def test_limits_come_from_the_environment(self):
        shown = settings_under(
            "TECHALIGN_THROTTLES['slot_search'], s.TECHALIGN_TRUSTED_PROXIES",
            TECHALIGN_THROTTLE_SLOT_SEARCH="7/30",
            TECHALIGN_TRUSTED_PROXIES="10.0.0.5",
        )

        assert shown == "(7, 30) ['10.0.0.5']"


class TestPrivateCaching:
    def test_signed_in_pages_and_api_answers_are_private(self, w):
        browser = Client()
        browser.force_login(w.ming)

        page = browser.get("/")
        answer = api_client(w.ming).get("/api/v1/me")

        for response in (page, answer):
            assert response.status_code == 200
            directives = {d.strip() for d in response["Cache-Control"].split(",")}
            assert {"private", "no-cache"} <= directives
            assert "public" not in directives


class TestHealthCheck:
    def test_strangers_learn_neither_the_database_path_nor_versions(self, db):
        body = Client().get("/healthz").content.decode()

        assert "sqlite" not in body and "/" not in body.replace("\\/", "")
        assert "pending" not in body
        assert Client().get("/healthz").json()["status"] == "ok"

    def test_staff_see_where_the_database_is(self, db):
        ops = Client()
        ops.force_login(make_user("ops", is_staff=True))

        body = ops.get("/healthz").json()

        assert "name" in body["database"] and body["migrations"]["pending"] == []


KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))


def feed_secret(source) -> dict:
    source.refresh_from_db()
    return unseal(source.sealed_secret)


class TestKeyRotation:
    def test_a_session_survives_a_secret_key_rotation_only_with_the_old_key_as_fallback(
        self, w, settings
    ):
        settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old-secret-key-0123456789", []
        kept, lost = Client(), Client()
        kept.force_login(w.ming)
        lost.force_login(w.lei)
        settings.SECRET_KEY = "new-secret-key-0123456789"

        settings.SECRET_KEY_FALLBACKS = ["old-secret-key-0123456789"]
        assert kept.get("/").status_code == 200
        settings.SECRET_KEY_FALLBACKS = []
        assert lost.get("/").status_code == 302  # signed out: back to the sign-in page

    def test_fallbacks_and_sealing_keys_are_lists_from_the_environment(self):
        shown = settings_under(
            "SECRET_KEY_FALLBACKS, len(s.TECHALIGN_SEALING_KEY)",
            SECRET_KEY_FALLBACKS="old1, old2",
            TECHALIGN_SEALING_KEY=f"{KEY_A},{KEY_B}",
        )

        assert shown == "['old1', 'old2'] 2"

    def test_rekey_reseals_every_credential_with_the_first_key(self, w, settings, capsys):
        settings.TECHALIGN_SEALING_KEY = [KEY_A]
        feed = add_feed(actor=w.lei, user=w.lei, name="f", url=FEED_URL)
        caldav = add_caldav(
            actor=w.fang, user=w.fang, name="c", url=FEED_URL, username="fang", password="s3cret"
        )

        settings.TECHALIGN_SEALING_KEY = [KEY_B, KEY_A]  # the new key first, the old still read
        assert feed_secret(feed) == {"url": FEED_URL}
        call_command("rekey")
        settings.TECHALIGN_SEALING_KEY = [KEY_B]  # the old key dropped

        assert capsys.readouterr().out.strip() == (
            "re-sealed 2 stored secrets with the first sealing key"
        )
        assert feed_secret(feed) == {"url": FEED_URL}
        assert feed_secret(caldav)["password"] == "s3cret"

    def test_without_rekey_dropping_the_old_key_loses_the_credentials(self, w, settings):
        settings.TECHALIGN_SEALING_KEY = [KEY_A]
        feed = add_feed(actor=w.lei, user=w.lei, name="f", url=FEED_URL)

        settings.TECHALIGN_SEALING_KEY = [KEY_B]

        assert feed_secret(feed) == {}

    def test_rekey_changes_nothing_when_a_secret_opens_with_no_key(self, w, settings):
        settings.TECHALIGN_SEALING_KEY = [KEY_C]
        lost = add_feed(actor=w.lei, user=w.lei, name="lost", url=FEED_URL)
        settings.TECHALIGN_SEALING_KEY = [KEY_A]
        kept = add_feed(actor=w.fang, user=w.fang, name="kept", url=FEED_URL)
        sealed_before = CalendarSource.objects.get(pk=kept.pk).sealed_secret
        settings.TECHALIGN_SEALING_KEY = [KEY_B, KEY_A]

        with pytest.raises(CommandError) as refused:
            call_command("rekey")

        assert refused.value.returncode == 1
        assert f"calendar source {lost.pk}" in str(refused.value)
        assert CalendarSource.objects.get(pk=kept.pk).sealed_secret == sealed_before

    def test_sealed_with_the_secret_key_credentials_open_after_its_rotation_with_fallback(
        self, w, settings
    ):
        settings.TECHALIGN_SEALING_KEY = []
        settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old-secret-key-0123456789", []
        feed = add_feed(actor=w.lei, user=w.lei, name="f", url=FEED_URL)

        settings.SECRET_KEY = "new-secret-key-0123456789"
        settings.SECRET_KEY_FALLBACKS = ["old-secret-key-0123456789"]
        call_command("rekey", stdout=io.StringIO())
        settings.SECRET_KEY_FALLBACKS = []

        assert feed_secret(feed) == {"url": FEED_URL}
