"""Process health and plans as Markdown through the API."""

import json

import pytest
from django.test import Client

from techalign.health.models import HealthSettings
from techalign.plans import services as plans
from techalign.plans.markdown import export_plan
from tests.api.conftest import Api
from tests.factories import advance, make_user


@pytest.fixture
def as_(w):
    def client(name, language="en"):
        return Api(getattr(w, name), language)

    return client


def _production_change(w, req):
    plans.open_change_request(
        requirement=req,
        actor=w.ming,
        title="线上漏单",
        reason="对账缺失",
        phase_found="production",
        affected_teams=[w.finance],
    )


def test_rules_are_listed_in_the_callers_language(w, as_):
    english = as_("ming").get("/health/rules").json()["items"]
    assert [r["code"] for r in english][:2] == ["TA101", "TA102"]
    assert english[0]["title"] == "Plan content written by a PM"
    chinese = as_("ming", "zh-hans").get("/health/rules").json()["items"]
    assert chinese[0]["title"] == "技术方案由产品经理编写"


def test_findings_per_team_with_filters(w, as_):
    _production_change(w, advance(w, "finalized"))
    body = as_("li").get("/health/findings", team="finance").json()
    assert body["scope"] == "team-finance" and body["summary"] == {"error": 1, "warning": 0}
    (finding,) = body["findings"]
    assert finding["code"] == "TA113" and finding["subject"] == "CR-1"
    assert as_("li").get("/health/findings", team="payments").json()["count"] == 0
    assert as_("li").get("/health/findings", severity="warning").json()["count"] == 0
    assert as_("li").get("/health/findings", team="nope").status_code == 404


def test_one_requirements_findings(w, as_):
    req = advance(w, "finalized")
    _production_change(w, req)
    body = as_("jun").get(f"/requirements/{req.key}/health").json()
    assert [f["code"] for f in body["findings"]] == ["TA113"]


def test_a_report_as_json_and_as_csv(w, as_):
    _production_change(w, advance(w, "finalized"))
    api = as_("ming")
    body = api.get("/health/reports/change-cost", team="order").json()
    assert body["rows"][-1][:5] == ["total", "", 1, None, 100]
    assert body["charts"][0].startswith("<svg")
    csv = api.get("/health/reports/change-cost", team="order", format="csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[-1] == "total,,1,,100,100.0"
    assert api.get("/health/reports/nope").status_code == 422
    bad = api.get("/health/reports/coverage", **{"from": "2025-02-01", "to": "2025-01-01"})
    assert bad.status_code == 422


def test_thresholds_are_read_by_all_and_changed_by_administrators(w, as_):
    read = as_("ming").get("/health/settings")
    assert read.json()["alignment_days_before_dev_start"] == 5 and read["ETag"] == '"v0"'
    refused = as_("qiang").put("/health/settings", {"blocking_question_days": 5}, if_match='"v0"')
    assert refused.status_code == 403
    admin = Api(make_user("root", is_superuser=True))
    changed = admin.put(
        "/health/settings",
        {"alignment_days_before_launch": 20, "disabled_rules": ["TA106"]},
        if_match='"v0"',
    )
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"v1"' == admin.get("/health/settings")["ETag"]
    settings = HealthSettings.current()
    assert settings.alignment_days_before_launch == 20 and settings.disabled_rules == ["TA106"]
    assert settings.blocking_question_days == 3  # left out: unchanged
    bad = admin.put("/health/settings", {"disabled_rules": ["TA999"]}, if_match='"v1"')
    assert bad.status_code == 422


def test_threshold_changes_need_the_etag_of_what_was_read(w):
    admin = Api(make_user("root", is_superuser=True))
    unconditional = admin.put("/health/settings", {"blocking_question_days": 4})
    assert unconditional.status_code == 428
    assert unconditional.json()["code"] == "precondition.required"
    saved = admin.put("/health/settings", {"blocking_question_days": 4}, if_match='"v0"')
    assert saved.status_code == 200
    stale = admin.put("/health/settings", {"blocking_question_days": 9}, if_match='"v0"')
    assert stale.status_code == 412 and stale.json()["code"] == "conflict.stale_version"
    assert HealthSettings.current().blocking_question_days == 4  # the stale edit wrote nothing


def _post_markdown(api: Api, key: str, text: str, content_type="text/markdown"):
    return api.client.post(
        f"/api/v1/requirements/{key}/plan.md",
        data=text,
        content_type=content_type,
        headers=api.headers,
    )


def test_plan_markdown_export_and_import(w, as_):
    req = advance(w, "planning")
    exported = as_("jun").get(f"/requirements/{req.key}/plan.md")
    assert exported["Content-Type"].startswith("text/markdown")
    text = exported.content.decode()
    assert text == export_plan(req)
    unchanged = _post_markdown(as_("lei"), req.key, text).json()
    assert unchanged == {
        "requirement": "REQ-1",
        "based_on": 3,
        "revision": None,
        "changed": False,
        "summary": "REQ-1: no change; the plan stays at revision 3.",
    }
    edited = _post_markdown(as_("lei"), req.key, text.replace("改 ledger", "改总账"))
    assert edited.json()["revision"] == 4 and edited.json()["changed"]


def test_plan_markdown_import_refusals(w, as_):
    req = advance(w, "planning")
    text = export_plan(req)
    refused = _post_markdown(as_("ming"), req.key, text.replace("改 ledger", "PM 改"))
    assert refused.status_code == 403 and refused.json()["code"] == "role.not_allowed"
    _post_markdown(as_("lei"), req.key, text.replace("改 ledger", "改总账"))
    stale = _post_markdown(as_("fang"), req.key, text.replace("改 ledger", "又改"))
    assert stale.status_code == 409
    assert stale.json()["details"] == {
        "current": "4",
        "based_on": "3",
        "current_revision": 4,
        "request_id": stale["X-Request-ID"],
    }
    bad = _post_markdown(as_("lei"), req.key, "no front matter")
    assert bad.status_code == 422 and bad.json()["details"]["line"] == "1"


def test_plan_markdown_import_as_json(w, as_):
    req = advance(w, "planning")
    text = export_plan(req).replace("改 ledger", "改总账")
    body = json.dumps({"markdown": text})
    response = _post_markdown(as_("lei"), req.key, body, "application/json")
    assert response.json()["revision"] == 4
    assert (
        _post_markdown(as_("lei"), req.key, '"just a string"', "application/json").status_code
        == 422
    )


def test_anonymous_callers_get_401(db):
    assert Client().get("/api/v1/health/rules").status_code == 401
