"""Two `techalign serve` nodes and two workers on PostgreSQL behind haproxy; one node is
SIGKILLed mid-load. Nothing acknowledged is lost, sessions and lockouts carry over, every
notification reaches its webhook once, the audit chain verifies, and the node rejoins."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils.crypto import get_random_string

from techalign.audit.services import verify_chain
from techalign.notify.models import Channel, Delivery
from techalign.notify.services import add_channel
from tests.deploy.cluster import Browser, Proxy, Receiver, Worker, tail
from tests.factories import advance
from tests.integrity.conftest import postgresql_only
from tests.integrity.load import (
    Load,
    lost_or_doubled_edits,
    lost_questions,
    revision_numbers_are_contiguous,
)

pytestmark = [postgresql_only, pytest.mark.slow]

# What haproxy answers for a request in flight on the node that died: not an acknowledgement.
LOST_IN_FLIGHT = ("-> 502:", "-> 504:")


def until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def servers_know_the_passwords_of(*users) -> None:
    """The tests hash passwords with MD5 for speed; the servers run the production hashers."""
    for user in users:
        # Few iterations: the servers verify with those stored in the hash, so guesses are fast.
        user.password = PBKDF2PasswordHasher().encode(
            f"pw-{user.username}", get_random_string(12), iterations=1000
        )
        user.save(update_fields=["password"])


def test_two_nodes_behind_haproxy_survive_the_loss_of_one(stage, tw):
    requirement = advance(tw, to="planning")
    servers_know_the_passwords_of(tw.ming, tw.wei)
    receiver = Receiver()
    channel = add_channel(
        actor=tw.ming,
        kind=Channel.Kind.WEBHOOK,
        name="order team",
        url=receiver.url,
        secret="hook-secret",
        team=tw.order,
    )
    token = {name: stage.token(getattr(tw, name)) for name in ("ming", "hua", "lei", "fang")}
    stage.extra_env.update(
        TECHALIGN_NODES="2",
        TECHALIGN_TRUSTED_PROXIES="127.0.0.1",
        TECHALIGN_OUTBOUND_ALLOWLIST="127.0.0.0/8",
    )
    # Both nodes start at once; each is up when its /healthz answers.
    with ThreadPoolExecutor(2) as starting:
        a, b = starting.map(lambda _: stage.serve(workers=2), "ab")
    proxy = Proxy(stage, {"a": a.port, "b": b.port})
    workers = [Worker(stage, "1"), Worker(stage, "2")]
    try:
        assert set(proxy.wait_for({"a", "b"})) == {"a", "b"}, tail(proxy.log_path)

        # ming signs in; round-robin sends his next pages to both nodes.
        ming = Browser(proxy.port)
        assert ming.sign_in("ming", "pw-ming") == 302
        pages = [ming.get("/") for _ in range(4)]
        assert {status for status, _, _ in pages} == {200}
        assert {node for _, _, node in pages} == {"a", "b"}
        # Someone guesses wei's password: failures on both nodes add up to one lockout.
        guesser = Browser(proxy.port)
        assert [guesser.sign_in("wei", "guess") for _ in range(5)] == [200] * 4 + [429]

        load = Load(proxy.port, requirement.key, writes_per_thread=400, seconds=12)
        driver = load.start_mixed(token)
        # Mid-load: once writes are being acknowledged, well before the load ends.
        assert until(lambda: load.acknowledged >= 15 or not driver.is_alive(), 6)
        a.kill()
        acknowledged_at_kill = load.acknowledged
        driver.join(timeout=60)

        assert not driver.is_alive()
        in_flight = [f for f in load.failures if any(s in f for s in LOST_IN_FLIGHT)]
        assert [f for f in load.failures if f not in in_flight] == []
        assert len(in_flight) <= 4, "at most one request per load thread was cut off"
        assert not load.unanswered, load.unanswered
        # The load went on through the node left.
        assert load.acknowledged >= acknowledged_at_kill + 5, load.statuses

        # Only b is left: ming's session and wei's lockout are there too.
        after = [ming.get("/") for _ in range(3)]
        assert [(status, node) for status, _, node in after] == [(200, "b")] * 3
        assert guesser.sign_in("wei", "pw-wei") == 429

        # a comes back on its address and haproxy sends it traffic again.
        stage.serve(workers=2, port=a.port)
        assert set(proxy.wait_for({"a", "b"})) == {"a", "b"}, tail(proxy.log_path)
        assert ming.get("/")[0] == 200

        # The workers send every notification; each delivery reaches the webhook once. Two
        # workers drain every event of the load (party asks included) while the suite runs
        # beside them on two cores: wait up to 90 s.
        unsent = Delivery.objects.filter(channel=channel).exclude(status="sent")
        assert until(lambda: not unsent.exists(), 90), (
            list(unsent.values("pk", "status", "attempts", "next_attempt_at", "last_error")[:5]),
            unsent.count(),
            Delivery.objects.filter(channel=channel).count(),
        )
    finally:
        for worker in workers:
            worker.stop()
        proxy.stop()
        receiver.close()

    assert lost_questions(requirement, load.questions) == []
    assert lost_or_doubled_edits(requirement, load.edits) == {}
    assert revision_numbers_are_contiguous(requirement)

    sent = {str(pk) for pk in Delivery.objects.filter(channel=channel).values_list("pk", flat=True)}
    assert set(receiver.deliveries) == sent
    assert [d for d, times in receiver.deliveries.items() if times > 1] == []
    # Every acknowledged question was announced exactly once.
    announced = Counter({key: receiver.questions[key] for key in load.questions})
    assert {key for key, times in announced.items() if times != 1} == set()

    assert verify_chain()[1] is None
    verified = stage.command("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
