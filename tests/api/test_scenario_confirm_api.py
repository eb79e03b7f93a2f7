"""Scenario and requirement-text edits through the API ask, like item edits, before they
withdraw an approval: 409 plan.withdrawal_unconfirmed until `"confirm": true` or `?confirm=1`."""

from techalign.requirements.models import Status
from tests.factories import advance


def test_adding_a_scenario_after_approval_is_refused_until_confirmed(w, as_):
    req = advance(w, "approved")
    ming = as_("ming")
    path = f"/requirements/{req.key}/scenarios"
    refused = ming.post(path, {"title": "场景 4"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "plan.withdrawal_unconfirmed"
    assert refused.json()["details"]["withdrawn"] == "the approval of revision 3"
    assert req.scenarios.count() == 3  # nothing written
    added = ming.post(path, {"title": "场景 4", "confirm": True})
    assert added.status_code == 201, added.content
    req.refresh_from_db()
    assert req.status == Status.PLANNING


def test_editing_a_scenario_confirms_in_the_query(w, as_):
    req = advance(w, "in_review")
    ming = as_("ming")
    etag = ming.get(f"/requirements/{req.key}")["ETag"]
    path = f"/requirements/{req.key}/scenarios/S-2"
    refused = ming.patch(path, {"title": "部分退款到余额"}, if_match=etag)
    assert refused.status_code == 409
    assert refused.json()["code"] == "plan.withdrawal_unconfirmed"
    edited = ming.patch(f"{path}?confirm=1", {"title": "部分退款到余额"}, if_match=etag)
    assert edited.status_code == 200, edited.content
    assert edited.json()["title"] == "部分退款到余额"
    req.refresh_from_db()
    assert req.status == Status.PLANNING
