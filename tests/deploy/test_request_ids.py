"""Every answer names its request: X-Request-ID, API error details, and JSON log lines."""

import json
import re
import urllib.request

import pytest
from django.test import Client

from tests.hostile.test_security_settings import api_client
from tests.integrity.support import HOST

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_a_request_without_an_id_gets_a_new_one_in_the_answer(db):
    first = Client().get("/healthz")["X-Request-ID"]
    second = Client().get("/healthz")["X-Request-ID"]

    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


def test_the_id_a_trusted_proxy_sent_is_kept(db, settings):
    settings.TECHALIGN_TRUSTED_PROXIES = ["10.0.0.1"]
    proxied = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_REQUEST_ID="lb-7f3a.42")

    assert proxied.get("/healthz")["X-Request-ID"] == "lb-7f3a.42"


@pytest.mark.parametrize(
    "peer, offered",
    [("203.0.113.7", "chosen-by-the-client"), ("10.0.0.1", "not an id\r\nX-Evil: 1")],
    ids=["untrusted-peer", "malformed-id"],
)
def test_an_id_from_anyone_else_or_malformed_is_replaced(db, settings, peer, offered):
    settings.TECHALIGN_TRUSTED_PROXIES = ["10.0.0.1"]

    answered = Client(REMOTE_ADDR=peer, HTTP_X_REQUEST_ID=offered).get("/healthz")

    assert GENERATED.fullmatch(answered["X-Request-ID"])


def test_api_errors_carry_the_request_id_in_their_details(w):
    response = api_client(w.ming).get("/api/v1/requirements/NOPE-9")

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "access.not_found"
    assert body["details"]["request_id"] == response["X-Request-ID"]


def test_successful_api_answers_are_unchanged(w):
    response = api_client(w.ming).get("/api/v1/me")

    assert response.status_code == 200
    assert "request_id" not in response.content.decode()


def get(port: int, path: str, **headers: str):
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.slow
def test_a_server_with_json_logs_and_several_workers(stage, tw):
    """`techalign serve` with TECHALIGN_LOG_FORMAT=json: every line is JSON with the request id,
    and /metrics adds up what each gunicorn worker counted."""
    stage.extra_env.update(
        TECHALIGN_LOG_FORMAT="json",
        TECHALIGN_TRUSTED_PROXIES="127.0.0.1",
        TECHALIGN_METRICS_TOKEN="scrape",
    )
    server = stage.serve(workers=2)
    for n in range(20):
        status, headers, _ = get(server.port, "/readyz", **{"X-Request-ID": f"probe-{n}"})
        assert status == 200 and headers["X-Request-ID"] == f"probe-{n}"
    status, _, body = get(server.port, "/metrics", Authorization="Bearer scrape")
    server.stop()

    assert status == 200
    counted = re.search(
        r'techalign_request_duration_seconds_count\{[^}]*route="readyz"[^}]*\} (\S+)',
        body.decode(),
    )
    assert counted and float(counted.group(1)) >= 20, body.decode()
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "techalign.request"]
    assert {line["request_id"] for line in requests} >= {f"probe-{n}" for n in range(20)}
    assert {line["route"] for line in requests} <= {"healthz", "readyz", "metrics"}
    assert all("request_id" in line for line in lines)
    assert "GET /readyz HTTP/1.1" not in server.log(), "gunicorn's plain access log is off"


def test_the_request_id_in_an_error_body_is_counted_in_its_length(w):
    """Clients read Content-Length bytes: the body with the id must not be cut short."""
    response = api_client(w.ming).get("/api/v1/requirements/NOPE-9")

    assert int(response["Content-Length"]) == len(response.content)
