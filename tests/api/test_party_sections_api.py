"""Item routes follow the party-section rule: a party DEV edits their own section through the
API, a DEV of another team is refused 403 naming the owning team in the error envelope."""

from tests.factories import advance


def plan_etag(api, key: str) -> str:
    return api.get(f"/requirements/{key}/plan")["ETag"]


def test_a_party_dev_changes_and_removes_their_item_through_the_api(w, as_):
    req = advance(w, "planning")
    jun = as_("jun")

    response = jun.patch(
        f"/requirements/{req.key}/plan/items/I-2",
        {"ask": "退款接口支持部分金额", "due_on": "2027-02-01"},
        if_match=plan_etag(jun, req.key),
    )
    assert response.status_code == 200, response.content
    assert response.json()["ask"] == "退款接口支持部分金额"

    response = jun.delete(
        f"/requirements/{req.key}/plan/items/I-2", if_match=plan_etag(jun, req.key)
    )
    assert response.status_code == 200 and response.json()["number"] == 5


def test_a_party_dev_adds_on_their_own_component_through_the_api(w, as_):
    req = advance(w, "planning")
    response = as_("jun").post(
        f"/requirements/{req.key}/plan/items",
        {"based_on": 3, "component": "refund-api", "kind": "new_api", "title": "查询退款"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["key"] == "I-4"


def test_another_teams_dev_is_refused_naming_the_owning_team(w, as_):
    req = advance(w, "planning")
    for name, item, team in [("charlie", "I-2", "支付组"), ("jun", "I-3", "财务组")]:
        api = as_(name)
        response = api.patch(
            f"/requirements/{req.key}/plan/items/{item}",
            {"title": "越界"},
            if_match=plan_etag(api, req.key),
        )
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "item.other_party"
        assert body["details"]["team"] == team and team in body["message"]
    assert as_("lei").get(f"/requirements/{req.key}/plan").json()["revision"] == 3
