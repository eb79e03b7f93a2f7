"""/metrics: Prometheus reads latency by route, the task queue, failed deliveries and failed
sign-ins; nobody else reads anything there."""

import re

import pytest
from django.test import Client

from techalign.notify.models import Delivery
from techalign.notify.tasks import deliver_task
from tests.hostile.test_security_settings import api_client

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def scrapable(settings):
    settings.TECHALIGN_METRICS_TOKEN = TOKEN
    settings.TECHALIGN_METRICS_ALLOW = ["10.9.0.0/16"]


def scrape() -> str:
    response = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}").get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples `name{labels}` (labels in any order, others allowed) in the
    exposition: a route's requests are split by status, and earlier tests in the same process
    may have left other statuses than this test's."""
    samples = []
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            samples.append(float(match.group(2)))
    if not samples:
        raise AssertionError(f"no sample {name} {labels} in:\n{text}")
    return sum(samples)


def test_strangers_and_wrong_tokens_learn_nothing(db, scrapable):
    assert Client(REMOTE_ADDR="203.0.113.7").get("/metrics").status_code == 404
    wrong = Client(REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.get("/metrics").status_code == 404


def test_without_settings_nobody_may_scrape(db, settings):
    settings.TECHALIGN_METRICS_TOKEN = ""
    settings.TECHALIGN_METRICS_ALLOW = []

    assert Client(HTTP_AUTHORIZATION="Bearer ").get("/metrics").status_code == 404
    assert Client().get("/metrics").status_code == 404


def test_an_allowed_network_may_scrape_without_a_token(db, scrapable):
    response = Client(REMOTE_ADDR="10.9.3.4").get("/metrics")

    assert response.status_code == 200
    assert "techalign_task_queue_depth" in response.content.decode()


def test_latency_is_counted_by_route_not_by_raw_path(w, scrapable):
    ming = api_client(w.ming)
    route = "api/v1/requirements/<key>"
    before = scrape()
    count_before = (
        value(before, "techalign_request_duration_seconds_count", route=route, method="GET")
        if f'route="{route}"' in before
        else 0
    )

    for key in ("REQ-1", "REQ-2", "NOPE-9"):
        ming.get(f"/api/v1/requirements/{key}")

    after = scrape()
    count = value(after, "techalign_request_duration_seconds_count", route=route, method="GET")
    assert count - count_before == 3
    assert "NOPE-9" not in after and "REQ-1" not in after


def test_the_task_queue_depth_and_oldest_age_come_from_the_database(db, scrapable):
    assert value(scrape(), "techalign_task_queue_depth") == 0
    assert value(scrape(), "techalign_task_queue_oldest_age_seconds") == 0

    deliver_task.enqueue(1)
    deliver_task.enqueue(2)

    text = scrape()
    assert value(text, "techalign_task_queue_depth") == 2
    assert value(text, "techalign_task_queue_oldest_age_seconds") >= 0


def test_failed_and_retrying_deliveries_are_counted(db, scrapable):
    for status, attempts in [("failed", 5), ("pending", 2), ("pending", 0), ("sent", 1)]:
        Delivery.objects.create(
            event="plan.approved",
            medium=Delivery.Medium.EMAIL,
            recipient="ming@example.com",
            subject="s",
            status=status,
            attempts=attempts,
        )

    text = scrape()

    assert value(text, "techalign_deliveries_failed") == 1
    assert value(text, "techalign_deliveries_retrying") == 1


def test_failed_sign_ins_are_counted(w, scrapable):
    before = value(scrape(), "techalign_signin_failures_total")

    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(2):
        attacker.post("/accounts/login/", {"username": "ming", "password": "guess"})
    Client(REMOTE_ADDR="10.1.2.3").post(
        "/accounts/login/", {"username": "ming", "password": "pw-ming"}
    )

    assert value(scrape(), "techalign_signin_failures_total") - before == 2


def test_kept_answers_count_their_hits_and_misses(w, scrapable):
    from techalign.api.common import kept_answers
    from tests.api.conftest import Api
    from tests.factories import advance

    req = advance(w, "aligning")
    kept_answers.clear()
    readers = [Api(w.ming), Api(w.jun)]
    text = scrape()
    hits, misses = (value(text, "techalign_kept_answers_total", outcome=o) for o in ("hit", "miss"))
    for reader in readers:
        assert reader.get(f"/requirements/{req.key}/plan").status_code == 200
    text = scrape()
    assert value(text, "techalign_kept_answers_total", outcome="miss") - misses == 1
    assert value(text, "techalign_kept_answers_total", outcome="hit") - hits == 1


def test_a_kept_answer_from_another_worker_counts_as_node(w, scrapable, tmp_path, monkeypatch):
    from techalign.api.common import kept_answers
    from techalign.core.answers import NodeAnswers
    from tests.api.conftest import Api
    from tests.factories import advance

    monkeypatch.setattr(kept_answers, "node", NodeAnswers(tmp_path / "node.sqlite3", 1 << 20))
    req = advance(w, "aligning")
    reader = Api(w.ming)
    before = value(scrape(), "techalign_kept_answers_total", outcome="node")
    assert reader.get(f"/requirements/{req.key}/plan").status_code == 200
    with kept_answers._lock:  # as if the next request landed on another worker
        kept_answers._entries.clear()
    assert reader.get(f"/requirements/{req.key}/plan").status_code == 200
    assert value(scrape(), "techalign_kept_answers_total", outcome="node") - before == 1
