"""The comments API: the list envelope, threads, mentions, and refusals as `{code, message}`."""

from django.test import Client

from techalign.notify.models import Notification
from tests.factories import advance


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _post(client, key, body):
    return client.post(
        f"/api/v1/requirements/{key}/comments", body, content_type="application/json"
    )


def test_comment_on_an_item_reply_and_list_in_the_envelope(w, django_capture_on_commit_callbacks):
    req = advance(w, "planning")
    ming = _client(w.ming)
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(ming, req.key, {"body": "@jun I-2 什么时候好？", "item": "I-2"})
    assert first.status_code == 201, first.content
    assert first.json()["on"] == "I-2" and first.json()["mentions"] == ["jun"]
    assert Notification.objects.filter(recipient=w.jun, event="comment.mentioned").count() == 1
    reply = _post(_client(w.jun), req.key, {"body": "下周", "reply_to": first.json()["id"]})
    assert reply.status_code == 201 and reply.json()["on"] == "I-2"
    _post(ming, req.key, {"body": "范围先定"})
    listing = ming.get(f"/api/v1/requirements/{req.key}/comments").json()
    assert listing["count"] == 3 and [c["on"] for c in listing["items"]] == ["I-2", "I-2", req.key]
    only = ming.get(f"/api/v1/requirements/{req.key}/comments?on=i-2").json()
    assert only["count"] == 2


def test_refusals_come_back_in_the_error_envelope(w):
    req = advance(w, "planning")
    ming = _client(w.ming)
    response = _post(ming, req.key, {"body": "@ghost 看看"})
    assert response.status_code == 422 and response.json()["code"] == "comment.unknown_mention"
    response = _post(ming, req.key, {"body": "x", "item": "I-99"})
    assert response.status_code == 404 and response.json()["code"] == "access.not_found"
    response = _post(ming, req.key, {"body": "x", "scenario": "S-99"})
    assert response.status_code == 404
    assert ming.get(f"/api/v1/requirements/{req.key}/comments").json()["count"] == 0
