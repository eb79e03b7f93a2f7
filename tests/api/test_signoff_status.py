"""The API shows per party who signed, in which capacity, on which revision, whether it still
stands and why not; signing takes the capacity (`as_role`)."""

from techalign.plans import services as plans
from tests.domain.support import current
from tests.factories import advance, hold_meeting, sign_all


def _sign(client, req, team, **extra):
    revision = current(req)
    body = {"team": team, "revision": revision.number, "content_hash": revision.content_hash}
    return client.post(f"/requirements/{req.key}/sign-offs", {**body, **extra})


def test_a_sign_off_answers_with_its_capacity_and_section_hash(w, as_):
    req = advance(w, "aligning")
    hold_meeting(w, req)

    response = _sign(as_("hua"), req, "payments", as_role="PM")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "PM"
    assert body["stands"] is True and body["voided_reason"] is None
    assert len(body["section_hash"]) == 64
    status = as_("hua").get(f"/requirements/{req.key}/plan").json()["signoff_status"]
    payments = next(p for p in status if p["team"] == "payments")
    assert payments["is_complete"] is False
    assert payments["missing_roles"] == ["DEV"]
    assert [s["signer"] for s in payments["standing"]] == ["hua"]


def test_signing_in_a_role_not_held_is_refused(w, as_):
    req = advance(w, "aligning")

    response = _sign(as_("jun"), req, "payments", as_role="PM")

    assert response.status_code == 403
    assert response.json()["code"] == "signoff.role_not_held"
    assert "jun is not a PM of team 支付组" in response.json()["message"]


def test_an_unknown_capacity_is_invalid(w, as_):
    req = advance(w, "aligning")

    response = _sign(as_("jun"), req, "payments", as_role="TECH_LEAD")

    assert response.status_code == 422


def test_the_plan_shows_standing_and_voided_sign_offs_per_party(w, as_):
    req = advance(w, "aligning")
    sign_all(w, req)
    plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-2", ask="加冲正", confirm=True
    )

    plan = as_("wei", "zh-hans").get(f"/requirements/{req.key}/plan").json()

    parties = {p["team"]: p for p in plan["signoff_status"]}
    assert [p["team"] for p in plan["signoff_status"]] == ["order", "finance", "payments"]
    finance = parties["finance"]
    assert finance["is_complete"] and not finance["is_asked"]
    assert [(s["signer"], s["role"], s["revision"], s["stands"]) for s in finance["standing"]] == [
        ("wei", "DEV", 3, True)
    ]
    payments = parties["payments"]
    assert payments["is_asked"] and payments["standing"] == []
    (voided,) = payments["voided"]
    assert voided["signer"] == "jun" and voided["stands"] is False
    assert voided["voided_reason"] == "其负责部分在 r4 中有变化"
    assert parties["order"]["missing_roles"] == ["PM", "DEV"]
    assert plan["missing_signoffs"] == ["order", "payments"]
    history = {(s["signer"], s["revision"]): s for s in plan["signoffs"]}
    assert history[("wei", 3)]["stands"] is True and history[("wei", 3)]["is_stale"] is True
    assert history[("jun", 3)]["voided_reason"] == "其负责部分在 r4 中有变化"


def test_a_baseline_lists_every_partys_standing_sign_off(w, as_):
    req = advance(w, "finalized")

    baseline = as_("jun").get(f"/requirements/{req.key}/baselines/1").json()

    assert sorted((s["team"], s["role"], s["revision"]) for s in baseline["signoffs"]) == [
        ("finance", "DEV", 3),
        ("order", "DEV", 3),
        ("order", "PM", 3),
        ("payments", "DEV", 3),
    ]
    assert all(s["stands"] for s in baseline["signoffs"])
