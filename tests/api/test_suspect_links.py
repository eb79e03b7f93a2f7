"""Suspect links and acknowledgement delegation through the REST API."""

from tests.factories import advance


def _edit_scenario(ming, key: str, scenario: str, **changes):
    etag = ming.get(f"/requirements/{key}").headers["ETag"]
    response = ming.patch(f"/requirements/{key}/scenarios/{scenario}", changes, if_match=etag)
    assert response.status_code == 200, response.content


def test_a_rewritten_scenario_shows_on_the_plan_and_a_dev_confirms_the_item(w, as_):
    req = advance(w, "planning")
    ming, fang = as_("ming"), as_("fang")
    _edit_scenario(ming, req.key, "S-2", acceptance_criteria="1 分钟内到账")

    plan = ming.get(f"/requirements/{req.key}/plan").json()
    assert plan["suspect"] == {"I-2": ["S-2"]}
    assert plan["unacknowledged"] == ["S-2"]
    [item] = [i for i in plan["items"] if i["key"] == "I-2"]
    [mark] = item["suspect"]
    assert (mark["scenario"], mark["before"], mark["after"], mark["marked_by"]) == (
        "S-2",
        {"acceptance_criteria": ""},
        {"acceptance_criteria": "1 分钟内到账"},
        "ming",
    )
    assert any("I-2" in gap and "suspect" in gap for gap in plan["approval_gaps"])
    summary = ming.get(f"/requirements/{req.key}").json()["plan"]
    assert (summary["suspect_items"], summary["unacknowledged"]) == (["I-2"], ["S-2"])

    confirmed = fang.post(
        f"/requirements/{req.key}/plan/items/I-2/confirm", {"based_on": plan["revision"]}
    )

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["suspect"] == []
    after = ming.get(f"/requirements/{req.key}/plan").json()
    assert (after["suspect"], after["revision"]) == ({}, plan["revision"])


def test_confirming_is_refused_for_the_pm_and_for_an_item_that_is_not_suspect(w, as_):
    req = advance(w, "planning")
    _edit_scenario(as_("ming"), req.key, "S-2", description="新描述")

    by_pm = as_("ming").post(f"/requirements/{req.key}/plan/items/I-2/confirm", {"based_on": 4})
    not_suspect = as_("lei").post(
        f"/requirements/{req.key}/plan/items/I-1/confirm", {"based_on": 4}
    )

    assert (by_pm.status_code, by_pm.json()["code"]) == (403, "role.not_allowed")
    assert (not_suspect.status_code, not_suspect.json()["code"]) == (409, "item.not_suspect")


def test_the_lead_dev_delegates_and_takes_back_acknowledging(w, as_):
    req = advance(w, "handed_off")
    lei, fang = as_("lei"), as_("fang")

    refused = fang.post(f"/requirements/{req.key}/scenarios/S-1/acknowledge")
    assert (refused.status_code, refused.json()["code"]) == (403, "scenario.not_lead_dev")
    assert "lei" in refused.json()["message"]

    delegated = lei.post(f"/requirements/{req.key}/acknowledgement-delegates", {"username": "fang"})
    assert delegated.status_code == 200, delegated.content
    assert delegated.json()["acknowledgement_delegates"] == ["fang"]
    [acknowledge] = [a for a in delegated.json()["next_actions"] if a["action"] == "acknowledge"]
    assert acknowledge["users"] == ["fang", "lei"]
    assert fang.post(f"/requirements/{req.key}/scenarios/S-1/acknowledge").status_code == 200

    taken_back = lei.delete(f"/requirements/{req.key}/acknowledgement-delegates/fang")
    assert taken_back.json()["acknowledgement_delegates"] == []
    again = fang.post(f"/requirements/{req.key}/scenarios/S-2/acknowledge")
    assert again.json()["code"] == "scenario.not_lead_dev"


def test_delegating_a_pm_is_refused(w, as_):
    req = advance(w, "handed_off")

    response = as_("lei").post(
        f"/requirements/{req.key}/acknowledgement-delegates", {"username": "ming"}
    )

    assert (response.status_code, response.json()["code"]) == (422, "delegate.not_dev")
