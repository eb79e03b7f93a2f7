"""One shape for the same thing everywhere in the API (docs/api-changes.md, 0.2.0): lists,
related parties, roles in refusals, stale versions, and how a revision is named."""

import datetime as dt

from django.test import Client

from techalign.meetings.services import add_action_item
from techalign.plans.selectors import current_revision
from tests.factories import advance


def _schema() -> dict:
    return Client().get("/api/v1/openapi.json").json()


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_the_api_says_its_version(db):
    assert _schema()["info"]["version"] == "0.2.0"


def test_every_list_answers_items_and_count(db):
    schema = _schema()
    lists = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            ok = op["responses"].get("200") or op["responses"].get("201")
            content = (ok or {}).get("content", {}).get("application/json")
            if not content:
                continue
            body = _resolve(schema, content["schema"])
            assert body.get("type") != "array", f"{method.upper()} {path} answers a bare array"
            if set(body.get("properties", {})) == {"items", "count"}:
                lists.append(f"{method.upper()} {path}")
    assert len(lists) >= 15
    assert "GET /api/v1/requirements/{key}/meetings" in lists
    assert "GET /api/v1/health/rules" in lists


def test_lists_answered_whole_have_the_envelope_of_paginated_ones(w, as_):
    key = advance(w, "aligning").key
    meetings = as_("ming").get(f"/requirements/{key}/meetings").json()
    assert meetings["count"] == 1 and meetings["items"][0]["key"] == "M-1"
    revisions = as_("ming").get(f"/requirements/{key}/plan/revisions").json()
    assert revisions["count"] == 3 and [r["number"] for r in revisions["items"]] == [3, 2, 1]
    milestones = as_("ming").get(f"/requirements/{key}/milestones").json()
    assert milestones == {"items": [], "count": 0}


def test_related_parties_are_the_same_objects_on_the_requirement_and_on_its_plan(w, as_):
    key = advance(w, "approved").key
    summary = as_("hua").get(f"/requirements/{key}").json()["plan"]["related_parties"]
    plan = as_("hua").get(f"/requirements/{key}/plan").json()["related_parties"]
    assert summary == plan
    assert [(p["team"], p["is_lead"]) for p in plan] == [
        ("order", True),
        ("finance", False),
        ("payments", False),
    ]
    payments = plan[2]
    assert payments["name"] == "支付组" and payments["asks"] == ["I-2: 请支持部分退款"]


def test_a_role_refusal_names_role_codes_with_display_names_beside_them(w, as_):
    key = advance(w, "planning").key
    item = {"based_on": 3, "component": "ledger", "kind": "data", "title": "PM 写的"}
    for language, name in [("en", "Developer"), ("zh-hans", "开发")]:
        refused = as_("ming", language).post(f"/requirements/{key}/plan/items", item)
        assert refused.status_code == 403
        details = refused.json()["details"]
        assert details["roles"] == ["DEV"]
        assert details["role_names"] == [name]
    reviewer = as_("lei").post(
        f"/requirements/{key}/plan/approve", {"revision": 3, "content_hash": "0" * 64}
    )
    assert reviewer.json()["details"]["roles"] == ["TECH_LEAD", "ARCHITECT"]


def test_a_stale_if_match_on_a_plan_edit_fails_the_precondition_and_names_the_current(w, as_):
    req = advance(w, "planning")
    key = req.key
    stale = as_("lei").patch(
        f"/requirements/{key}/plan/items/I-1", {"title": "改"}, if_match='"r2"'
    )
    assert stale.status_code == 412
    body = stale.json()
    assert body["code"] == "precondition.failed"
    assert body["details"]["current_revision"] == 3 and body["details"]["seen"] == '"r2"'
    removed = as_("lei").delete(f"/requirements/{key}/plan/items/I-1", if_match='"r1"')
    assert removed.status_code == 412 and removed.json()["details"]["current_revision"] == 3
    assert current_revision(req).number == 3  # nothing written
    fresh = as_("lei").patch(
        f"/requirements/{key}/plan/items/I-1", {"title": "改"}, if_match='"r3"'
    )
    assert fresh.status_code == 200


def test_a_stale_based_on_stays_a_conflict_naming_the_current_revision(w, as_):
    key = advance(w, "planning").key
    stale = as_("lei").patch(f"/requirements/{key}/plan/items/I-1", {"based_on": 2, "title": "改"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "plan.stale_revision"
    assert stale.json()["details"]["current_revision"] == 3


def test_finalizing_or_signing_a_stale_revision_names_the_current_one(w, as_):
    req = advance(w, "aligning")
    old = req.plan.revisions.get(number=2)
    stale = {"revision": 2, "content_hash": old.content_hash}
    finalized = as_("ming").post(f"/requirements/{req.key}/finalize", stale)
    assert finalized.status_code == 409
    assert finalized.json()["details"]["current_revision"] == 3
    signed = as_("jun").post(f"/requirements/{req.key}/sign-offs", {**stale, "team": "payments"})
    assert signed.status_code == 409
    assert signed.json()["details"]["current_revision"] == 3
    submitted = as_("lei").post(f"/requirements/{req.key}/plan/submit", {"revision": 2})
    assert submitted.json()["details"]["current_revision"] == 3
    assert not req.baselines.exists() and not req.plan.revisions.get(number=2).signoffs.exists()


def test_review_sign_off_and_finalize_name_the_revision_and_hash_the_same_way(w, as_):
    req = advance(w, "in_review")
    revision = current_revision(req)
    named = {"revision": revision.number, "content_hash": revision.content_hash}
    approved = as_("qiang").post(f"/requirements/{req.key}/plan/approve", named)
    assert approved.status_code == 200, approved.content
    assert approved.json()["revision"] == 3 and approved.json()["verdict"] == "approved"
    stale = as_("qiang").post(
        f"/requirements/{req.key}/plan/request-changes",
        {**named, "revision": 2, "comment": "改"},
    )
    assert stale.status_code == 409 and stale.json()["details"]["current_revision"] == 3


def test_the_review_path_with_the_revision_in_the_url_still_works_and_says_it_is_deprecated(w, as_):
    req = advance(w, "in_review")
    revision = current_revision(req)
    old = as_("qiang").post(
        f"/requirements/{req.key}/plan/revisions/3/approve",
        {"content_hash": revision.content_hash},
    )
    assert old.status_code == 200 and old["Deprecation"] == "true"
    operation = _schema()["paths"]["/api/v1/requirements/{key}/plan/revisions/{number}/approve"]
    assert operation["post"]["deprecated"] is True


def test_a_bad_reference_is_not_found_in_the_envelope(w, as_):
    req = advance(w, "aligning")
    other = advance(w, "aligning")
    meeting = req.meetings.get()
    due = dt.date.today() + dt.timedelta(days=3)
    foreign = add_action_item(
        meeting=other.meetings.get(), actor=w.ming, text="别处", owner=w.jun, due_on=due
    )
    base = f"/requirements/{req.key}"
    paths = [
        ("get", f"{base}/plan/revisions/abc"),
        ("get", f"{base}/plan/revisions/99999999999999999999"),
        ("get", f"{base}/baselines/abc"),
        ("get", f"{base}/meetings/M-9"),
        ("get", f"{base}/meetings/x"),
        ("post", f"{base}/meetings/{meeting.key}/action-items/abc/done"),
        ("post", f"{base}/meetings/{meeting.key}/action-items/{foreign.pk}/done"),
        ("post", f"{base}/change-requests/abc/withdraw"),
        ("post", f"{base}/scenarios/S-99999999999999999999/acknowledge"),
        ("post", f"{base}/scenarios/S-²/acknowledge"),
        ("post", f"{base}/questions/Q-99999999999999999999/reopen"),
        ("post", f"{base}/questions/q-0/reopen"),
    ]
    for method, path in paths:
        client = as_("ming")
        response = client.post(path, {"reason": "核对"}) if method == "post" else client.get(path)
        assert response.status_code == 404, (path, response.status_code, response.content)
        assert response.json()["code"] == "access.not_found", path
    hashed = {"content_hash": "0" * 64}
    approve = as_("qiang").post(f"{base}/plan/revisions/abc/approve", hashed)
    assert approve.status_code == 404 and approve.json()["code"] == "access.not_found"
    lower = as_("ming").get(f"{base}/meetings/{meeting.key.lower()}")
    assert lower.status_code == 200
