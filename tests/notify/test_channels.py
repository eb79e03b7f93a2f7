"""Chat webhooks: each platform's format and signature, checked by a real HTTP receiver with
each platform's documented rule; retries after a 500, a hanging server, refused credentials."""

import base64
import datetime as dt
import hashlib
import hmac
import time
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from django.utils import timezone

from techalign.notify.models import Channel, Delivery
from techalign.notify.services import add_channel
from techalign.notify.worker import run_ready_tasks
from tests.factories import advance
from tests.notify.conftest import schedule

SECRET = "SEC-test-secret"


def connect(w, receiver, kind: str, secret: str = SECRET) -> Channel:
    return add_channel(
        actor=w.ming,
        kind=kind,
        name=kind,
        url=receiver.url(f"/{kind}?key=tok"),
        secret=secret,
        team=w.order,
    )


def announce(w, django_capture_on_commit_callbacks):
    req = advance(w, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        schedule(w, req)
    return req


def fresh(timestamp: float) -> bool:
    return abs(time.time() - timestamp) < 60


def test_every_platform_gets_its_format_and_a_valid_signature(
    w, receiver, django_capture_on_commit_callbacks
):
    for kind in Channel.Kind.values:
        connect(w, receiver, kind)
    announce(w, django_capture_on_commit_callbacks)
    run_ready_tasks()
    got = {r.path.split("?")[0].strip("/"): r for r in receiver.received}
    assert set(got) == set(Channel.Kind.values)

    feishu = got["feishu"].json()
    string_to_sign = f"{feishu['timestamp']}\n{SECRET}".encode()
    expected = base64.b64encode(hmac.new(string_to_sign, b"", hashlib.sha256).digest()).decode()
    assert feishu["sign"] == expected and fresh(int(feishu["timestamp"]))
    assert feishu["msg_type"] == "post"
    assert "REQ-1" in feishu["content"]["post"]["zh_cn"]["title"]

    query = parse_qs(urlsplit(got["dingtalk"].path).query)
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert unquote_plus(query["sign"][0]) == expected or query["sign"][0] == expected
    assert fresh(int(timestamp) / 1000) and query["key"] == ["tok"]
    assert got["dingtalk"].json()["msgtype"] == "markdown"

    assert got["wecom"].json()["msgtype"] == "markdown"
    assert "REQ-1" in got["slack"].json()["text"]

    generic = got["webhook"]
    stamp = generic.headers["X-Techalign-Timestamp"]
    expected = hmac.new(
        SECRET.encode(), stamp.encode() + b"." + generic.body, hashlib.sha256
    ).hexdigest()
    assert generic.headers["X-Techalign-Signature"] == f"sha256={expected}"
    assert generic.headers["X-Techalign-Event"] == "meeting.invited"
    assert generic.json()["data"]["meeting"] == "M-1"
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_a_webhook_answering_500_is_retried_until_it_accepts(
    w, receiver, quick_retries, django_capture_on_commit_callbacks
):
    connect(w, receiver, Channel.Kind.WEBHOOK)
    receiver.script = [(500, b"oops"), (503, b"busy")]
    announce(w, django_capture_on_commit_callbacks)
    run_ready_tasks()
    delivery = Delivery.objects.get(medium=Delivery.Medium.CHAT)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 3)
    assert len(receiver.received) == 3
    assert len({r.headers["X-Techalign-Delivery"] for r in receiver.received}) == 1


def test_a_webhook_that_keeps_failing_is_marked_failed_with_its_last_error(
    w, receiver, quick_retries, django_capture_on_commit_callbacks
):
    connect(w, receiver, Channel.Kind.SLACK)
    receiver.default = (500, b"still down")
    announce(w, django_capture_on_commit_callbacks)
    run_ready_tasks()
    delivery = Delivery.objects.get(medium=Delivery.Medium.CHAT)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 4)
    assert "HTTP 500" in delivery.last_error and delivery.last_status_code == 500


def test_a_hanging_webhook_times_out_without_holding_up_the_meeting(
    w, receiver, settings, django_capture_on_commit_callbacks
):
    settings.TECHALIGN_WEBHOOK_TIMEOUT = 0.5
    settings.TECHALIGN_NOTIFY_BACKOFF = [300]
    connect(w, receiver, Channel.Kind.WECOM)
    receiver.default = "hang"
    req = advance(w, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(w, req)
    # Nothing is sent inside the user's action: the hanging receiver has not been called yet
    # (asked rather than timed, which a busy machine would stretch).
    assert meeting.pk and receiver.received == []
    run_ready_tasks()
    delivery = Delivery.objects.get(medium=Delivery.Medium.CHAT)
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert "no answer within 0.5 s" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(minutes=4)


def test_a_bad_signing_secret_is_a_permanent_failure(
    w, receiver, quick_retries, django_capture_on_commit_callbacks
):
    connect(w, receiver, Channel.Kind.FEISHU)
    receiver.default = (
        200,
        b'{"code": 19021, "msg": "sign match fail or timestamp is not '
        b'within one hour from current time"}',
    )
    announce(w, django_capture_on_commit_callbacks)
    run_ready_tasks()
    delivery = Delivery.objects.get(medium=Delivery.Medium.CHAT)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 1)
    assert "19021" in delivery.last_error and "sign match fail" in delivery.last_error


@pytest.mark.parametrize(
    "kind, url, secret",
    [
        ("irc", "https://chat.example/hook", ""),
        ("slack", "ftp://chat.example/hook", ""),
        ("webhook", "https://chat.example/hook", ""),
    ],
)
def test_a_channel_must_be_a_known_kind_with_an_http_address(w, kind, url, secret):
    from techalign.core.errors import Refused

    with pytest.raises(Refused) as refused:
        add_channel(actor=w.ming, kind=kind, name="x", url=url, secret=secret, team=w.order)
    assert refused.value.code == "notify.bad_channel"
    assert not Channel.objects.exists()


def test_webhook_addresses_and_secrets_are_stored_sealed(w, receiver):
    channel = connect(w, receiver, Channel.Kind.DINGTALK)
    stored = Channel.objects.filter(pk=channel.pk).values_list("sealed_secret", "display_url")[0]
    assert SECRET not in stored[0] and "tok" not in stored[0] and "tok" not in stored[1]
    assert stored[1].endswith("/dingtalk?…")
