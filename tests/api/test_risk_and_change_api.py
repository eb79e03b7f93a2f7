"""Through the API: marking a requirement high-risk, filtering the list by risk, and opening a
change request that records its root cause and the reason for an earlier phase."""

import typing

from techalign.api.plans import RecordedCause
from techalign.plans.models import RootCause
from tests.factories import advance, hand_to_test


def test_the_lead_pm_marks_it_and_the_list_filters_by_risk(w, as_):
    risky, plain = advance(w, "draft"), advance(w, "draft")
    refused = as_("lei").post(f"/requirements/{risky.key}/risk", {"risk": "money", "reason": "钱"})
    assert refused.status_code == 403 and refused.json()["code"] == "role.not_allowed"
    marked = as_("ming").post(f"/requirements/{risky.key}/risk", {"risk": "money", "reason": "钱"})
    assert marked.status_code == 200
    assert (marked.json()["risk"], marked.json()["risk_reason"]) == ("money", "钱")
    listed = as_("ming").get("/requirements", risk="high").json()
    assert [r["key"] for r in listed["items"]] == [risky.key]
    assert listed["items"][0]["risk"] == "money"
    everything = as_("ming").get("/requirements").json()["items"]
    assert {r["key"]: r["risk"] for r in everything} == {risky.key: "money", plain.key: None}
    cleared = as_("qiang").post(f"/requirements/{risky.key}/risk/clear", {"reason": "不动钱了"})
    assert cleared.status_code == 200 and cleared.json()["risk"] is None


def test_a_change_request_needs_a_root_cause_and_a_reason_for_an_earlier_phase(w, as_):
    req = hand_to_test(w, advance(w, "finalized"))
    body = {
        "title": "审批",
        "reason": "漏了",
        "phase_found": "design",
        "affected_teams": ["payments"],
    }
    path = f"/requirements/{req.key}/change-requests"
    missing = as_("ming").post(path, body | {"phase_found": "testing"})
    assert missing.status_code == 422 and missing.json()["code"] == "change.root_cause_required"
    body["root_cause"] = "party_missing"
    body["cause_party"] = "finance"
    early = as_("ming").post(path, body)
    assert early.status_code == 422 and early.json()["code"] == "change.phase_reason_required"
    assert "Testing" in early.json()["message"]
    body["phase_reason"] = "设计评审时财务组缺席"
    opened = as_("ming").post(path, body).json()
    assert (
        opened["phase_proposed"] == "testing" and opened["phase_reason"] == "设计评审时财务组缺席"
    )
    assert (opened["root_cause"], opened["cause_party"]) == ("party_missing", "finance")
    assert opened["cost_weight"] == 3
    listed = as_("hua").get(path).json()["items"]
    assert listed[0]["cause_party"] == "finance"


def test_the_api_offers_every_root_cause_but_not_recorded():
    assert set(typing.get_args(RecordedCause)) == set(RootCause.values) - {RootCause.UNKNOWN}
