"""Bad input gets a clear 4xx in the error envelope, and nothing is written."""

import pytest
from django.test import Client

from techalign.audit.models import AuditEvent
from techalign.plans.models import Revision
from techalign.requirements.models import Requirement, Scenario
from tests.factories import advance


def _snapshot():
    return (
        Requirement.objects.count(),
        Scenario.objects.count(),
        Revision.objects.count(),
        AuditEvent.objects.filter(outcome="done").exclude(action__startswith="token.").count(),
    )


def _envelope(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["message"]
    return body


@pytest.mark.parametrize(
    "body, field",
    [
        ('"AAA"', None),  # a bare JSON string is not an object
        ([], None),
        ({"lead_team": "order"}, "title"),  # missing field
        ({"lead_team": "order", "title": 42}, "title"),  # wrong type
        ({"lead_team": "order", "title": ""}, "title"),  # empty
        ({"lead_team": "order", "title": "x" * 201}, "title"),  # oversized
        ({"lead_team": "order", "title": "t", "user_stories": "x" * 20_001}, "user_stories"),
        (
            {"lead_team": "order", "title": "t", "planned_launch_on": "not a date"},
            "planned_launch_on",
        ),
        ({"lead_team": "order", "title": "t", "owner": "hua"}, "owner"),  # unknown field
    ],
)
def test_malformed_bodies_are_422_and_write_nothing(w, as_, body, field):
    before = _snapshot()
    error = _envelope(as_("ming").post("/requirements", body), 422)
    assert error["code"] == "input.invalid"
    if field:
        assert field in error["message"]
    assert _snapshot() == before


def test_unparseable_json_is_400(w, as_):
    api = as_("ming")
    response = api.client.post(
        "/api/v1/requirements",
        data="{not json",
        headers=api.headers,
        content_type="application/json",
    )
    assert response.status_code in (400, 422)
    assert response.json()["code"] in {"input.malformed", "input.invalid"}


@pytest.mark.parametrize(
    "path, body",
    [
        ("/requirements", {"lead_team": "no-such-team", "title": "t"}),
        ("/requirements", {"lead_team": "order", "title": "t", "lead_dev": "nobody"}),
        ("/requirements/REQ-999", None),
        ("/requirements/garbage", None),
        ("/requirements/{key}/scenarios/S-99/acknowledge", {}),
        ("/requirements/{key}/questions/Q-9/answer", {"answer": "a"}),
        ("/requirements/{key}/plan/revisions/9/approve", {"content_hash": "0" * 64}),
        ("/requirements/{key}/plan/approve", {"revision": 9, "content_hash": "0" * 64}),
        ("/requirements/{key}/meetings/M-9/cancel", {}),
    ],
)
def test_unknown_ids_are_404_and_write_nothing(w, as_, path, body):
    key = advance(w, "planning").key
    before = _snapshot()
    api = as_("ming")
    response = (
        api.get(path.format(key=key)) if body is None else api.post(path.format(key=key), body)
    )
    assert _envelope(response, 404)["code"] == "access.not_found"
    assert _snapshot() == before


def test_unknown_component_in_an_item_is_404(w, as_):
    key = advance(w, "planning").key
    before = _snapshot()
    response = as_("lei").post(
        f"/requirements/{key}/plan/items",
        {"based_on": 3, "component": "nope", "kind": "data", "title": "t"},
    )
    assert _envelope(response, 404)["details"]["ref"] == "nope"
    assert _snapshot() == before


def test_unknown_scenario_key_on_an_item_is_422(w, as_):
    key = advance(w, "planning").key
    before = _snapshot()
    response = as_("lei").post(
        f"/requirements/{key}/plan/items",
        {
            "based_on": 3,
            "component": "ledger",
            "kind": "data",
            "title": "t",
            "scenarios": ["S-1", "S-42"],
        },
    )
    error = _envelope(response, 422)
    assert error["code"] == "item.unknown_scenario" and "S-42" in error["message"]
    assert _snapshot() == before


def test_an_action_in_the_wrong_state_is_409_and_audited_as_refused(w, as_):
    key = advance(w, "draft").key
    before = _snapshot()
    error = _envelope(as_("ming").post(f"/requirements/{key}/plan/submit", {"revision": 1}), 403)
    assert error["code"] == "role.not_allowed"
    error = _envelope(as_("lei").post(f"/requirements/{key}/plan/submit", {"revision": 1}), 409)
    assert error["code"] == "requirement.wrong_step"
    assert "Draft" in error["message"] and "Planning" in error["message"]
    assert _snapshot() == before
    refused = AuditEvent.objects.filter(outcome="refused").order_by("seq").last()
    assert (
        refused.action == "plan.submitted" and refused.summary["code"] == "requirement.wrong_step"
    )


def test_edits_need_if_match_and_a_stale_etag_is_412(w, as_):
    key = advance(w, "draft").key
    api = as_("ming")
    etag = api.get(f"/requirements/{key}")["ETag"]
    _envelope(api.patch(f"/requirements/{key}", {"title": "无条件"}), 428)
    response = api.patch(f"/requirements/{key}", {"title": "新标题"}, if_match=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    error = _envelope(api.patch(f"/requirements/{key}", {"title": "旧"}, if_match=etag), 412)
    assert error["code"] == "conflict.stale_version"
    assert api.get(f"/requirements/{key}").json()["title"] == "新标题"


def test_anonymous_and_bad_tokens_are_401(w):
    client = Client()
    for headers in [{}, {"Authorization": "Bearer ta_wrong"}, {"Authorization": "Basic eA=="}]:
        response = client.get("/api/v1/requirements", headers=headers)
        assert _envelope(response, 401)["code"] == "auth.required"


def test_session_writes_need_the_csrf_token(w):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.ming)
    assert client.get("/api/v1/requirements").status_code == 200
    response = client.post(
        "/api/v1/requirements",
        {"lead_team": "order", "title": "t"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Requirement.objects.count() == 0


def test_private_requirements_are_not_found_for_outsiders(w, as_):
    req = advance(w, "draft")
    Requirement.objects.filter(pk=req.pk).update(is_private=True)
    assert as_("charlie").get(f"/requirements/{req.key}").status_code == 404
    assert as_("charlie").get("/requirements").json()["count"] == 0
    assert as_("ming").get(f"/requirements/{req.key}").status_code == 200


# Errors outside any operation's own handling are in the envelope too.


def test_an_oversized_body_is_413_in_the_envelope(w, as_):
    api = as_("ming")
    big = '{"lead_team": "order", "title": "' + "x" * (2 * 1024 * 1024) + '"}'
    before = _snapshot()
    response = api.client.post(
        "/api/v1/requirements", data=big, content_type="application/json", headers=api.headers
    )
    error = _envelope(response, 413)
    assert error["code"] == "limit.body_too_large"
    assert error["details"]["limit"] == 2 * 1024 * 1024
    assert _snapshot() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_sent_as_json_is_415(w, as_, content_type):
    api = as_("ming")
    before = _snapshot()
    response = api.client.post(
        "/api/v1/requirements",
        data='{"lead_team": "order", "title": "t"}',
        content_type=content_type,
        headers=api.headers,
    )
    error = _envelope(response, 415)
    assert error["code"] == "input.unsupported_media_type"
    assert content_type in error["message"]
    assert _snapshot() == before


def test_a_json_body_naming_a_key_twice_is_refused(w, as_):
    api = as_("ming")
    before = _snapshot()
    response = api.client.post(
        "/api/v1/requirements",
        data='{"lead_team": "order", "title": "harmless", "title": "the other one"}',
        content_type="application/json",
        headers=api.headers,
    )
    error = _envelope(response, 400)
    assert error["code"] == "input.duplicate_key"
    assert error["details"] == {"key": "title", "request_id": response["X-Request-ID"]}
    assert _snapshot() == before


def test_an_unknown_api_path_is_404_in_the_envelope(w, as_):
    error = _envelope(as_("ming").get("/no-such-thing"), 404)
    assert error["code"] == "access.not_found"


def test_a_method_not_allowed_is_405_in_the_envelope(w, as_):
    response = as_("ming").put("/requirements", {"title": "t"})
    error = _envelope(response, 405)
    assert error["code"] == "http.method_not_allowed"
    assert "GET" in response["Allow"] and "GET" in error["details"]["allowed"]


def test_an_unexpected_error_is_500_with_a_generic_message_and_a_request_id(
    w, as_, settings, caplog
):
    settings.ROOT_URLCONF = "tests.api.broken_urls"
    response = as_("ming").get("/broken")
    error = _envelope(response, 500)
    assert error["code"] == "server.error"
    request_id = error["details"]["request_id"]
    assert response["X-Request-ID"] == request_id and request_id in error["message"]
    assert "ZeroDivisionError" not in response.content.decode(), "no internals to the client"
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info[0] is ZeroDivisionError


def test_a_read_only_database_is_503_with_retry_after(transactional_db, w, as_):
    from django.db import connection

    api = as_("ming")  # its token is written before the database turns read-only
    api.get("/requirements")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET default_transaction_read_only = on")
    try:
        response = api.post("/requirements", {"lead_team": "order", "title": "t"})
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = OFF")
            else:
                cursor.execute("SET default_transaction_read_only = off")
    error = _envelope(response, 503)
    assert error["code"] == "database.unavailable"
    assert int(response["Retry-After"]) > 0
    assert not Requirement.objects.exists()
