"""Hostile input against the site's security settings: the client address behind the https
proxy, throttling of expensive endpoints, private caching, what /healthz tells strangers, and
key rotation (SECRET_KEY_FALLBACKS, sealing keys and `techalign rekey`)."""

from __future__ import annotations

from django.test import Client, RequestFactory

from techalign.core.middleware import client_address

LOGIN = "/accounts/login/"
PROXY = "10.0.0.5"


def through_proxy(client_ip: str, forwarded: str | None = None) -> Client:
    """A browser whose requests reach the site through the documented https proxy."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded or client_ip)


def log_in(client: Client, username: str, password: str) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


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
