"""The API's published contract: OpenAPI schema, pagination, language of refusals."""

import re

from django.test import Client

from tests.factories import advance, hold_meeting


def test_openapi_schema_lists_every_operation_with_its_error_responses(db):
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "techalign"
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 40
    for op in operations:
        assert {"401", "403", "404", "409", "422"} <= set(op["responses"]), op["operationId"]
    assert "BearerAuth" in str(schema["components"]["securitySchemes"]) or "TokenAuth" in str(
        schema["components"]["securitySchemes"]
    )


def test_lists_paginate_with_limit_and_offset(w, as_):
    for _ in range(3):
        advance(w, "draft")
    page = as_("ming").get("/requirements", limit=2, offset=0).json()
    assert page["count"] == 3 and len(page["items"]) == 2
    rest = as_("ming").get("/requirements", limit=2, offset=2).json()
    assert [r["key"] for r in rest["items"]] == ["REQ-1"]


def test_requirement_resource_says_who_must_act_next(w, as_):
    req = advance(w, "aligning")
    key = req.key
    actions = as_("hua").get(f"/requirements/{key}").json()["next_actions"]
    assert {a["action"] for a in actions} == {"hold_meeting"}
    # Whoever keeps the minutes: the invitees and the lead team's PMs and DEVs.
    assert actions[0]["users"] == ["fang", "hua", "jun", "lei", "li", "ming", "wei"]
    hold_meeting(w, req)
    actions = as_("hua").get(f"/requirements/{key}").json()["next_actions"]
    assert {a["action"] for a in actions} == {"sign_off"}
    payments = next(a for a in actions if a["team"] == "payments")
    assert payments["users"] == ["jun"]  # a DEV completes the party; its PM only confirms


def test_refusal_language_follows_accept_language_then_the_user(w, as_):
    key = advance(w, "draft").key
    w.ming.language = "en"
    w.ming.save()
    english = as_("ming", language=None).post(f"/requirements/{key}/plan/submit", {"revision": 1})
    chinese = as_("ming", language="zh-hans").post(
        f"/requirements/{key}/plan/submit", {"revision": 1}
    )
    assert english.json()["code"] == chinese.json()["code"] == "role.not_allowed"
    assert "Only a" in english.json()["message"]
    assert english["Content-Language"] == "en"
    assert chinese["Content-Language"] == "zh-hans"


def test_api_docs_are_served_without_a_cdn_and_under_the_csp(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    # Nothing loaded from another host (a random token may well spell "cdn").
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    csp = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )


def test_acknowledging_a_scenario_changes_the_requirements_etag(w, as_):
    key = advance(w, "handed_off").key
    before = as_("lei").get(f"/requirements/{key}")["ETag"]
    as_("lei").post(f"/requirements/{key}/scenarios/S-1/acknowledge")
    assert as_("lei").get(f"/requirements/{key}")["ETag"] != before
