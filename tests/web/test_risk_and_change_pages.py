"""On the pages: the high-risk badge and filter, marking from the requirement page, the review
panel naming the missing approval, and the change request form proposing the phase."""

from django.urls import reverse

from techalign.plans import services as plans
from techalign.requirements import services as requirements
from tests.domain.support import current
from tests.factories import advance, hand_to_test

HTMX = {"HTTP_HX_REQUEST": "true"}


def do(client, req, name, **data):
    return client.post(reverse("web:do", args=[req.key, name]), data, **HTMX)


def mark(w, req, risk="money"):
    return requirements.mark_high_risk(requirement=req, actor=w.ming, risk=risk, reason="动钱")


def test_the_list_shows_the_badge_and_filters_high_risk_requirements(w, as_user):
    risky = mark(w, advance(w, "draft"), risk="personal_data")
    plain = advance(w, "draft")
    client = as_user(w.ming)
    page = client.get(reverse("web:requirements")).content.decode()
    assert page.count('class="badge risk"') == 1 and "High risk: Personal data" in page
    filtered = client.get(reverse("web:requirements"), {"risk": "high"}).content.decode()
    assert f">{risky.key}<" in filtered and f">{plain.key}<" not in filtered
    by_category = client.get(reverse("web:requirements"), {"risk": "money"}).content.decode()
    assert f">{risky.key}<" not in by_category
    chinese = as_user(w.ming, "zh-hans").get(reverse("web:requirements")).content.decode()
    assert "高风险：个人数据" in chinese


def test_the_badge_is_on_the_header_the_inbox_and_the_team_page(w, as_user):
    req = mark(w, advance(w, "in_review"))
    header = as_user(w.qiang).get(reverse("web:requirement", args=[req.key])).content.decode()
    assert "High risk: Money" in header
    inbox = as_user(w.arch).get(reverse("web:inbox")).content.decode()
    assert req.key in inbox and "High risk: Money" in inbox
    team = as_user(w.ming).get(reverse("web:team", args=["order"])).content.decode()
    assert "High risk: Money" in team


def test_the_pm_marks_and_clears_it_on_the_requirement_page_a_dev_is_refused(w, as_user):
    req = advance(w, "planning")
    refused = do(
        as_user(w.lei), req, "mark_high_risk", **{"risk-risk": "security", "risk-reason": "鉴权"}
    )
    assert refused["X-Refused"] == "role.not_allowed"
    response = do(
        as_user(w.ming), req, "mark_high_risk", **{"risk-risk": "security", "risk-reason": "鉴权"}
    )
    assert "X-Refused" not in response
    req.refresh_from_db()
    assert req.risk == "security"
    do(as_user(w.qiang), req, "clear_high_risk", **{"clear-risk-reason": "只读"})
    req.refresh_from_db()
    assert req.risk == ""


def test_the_review_panel_names_the_approval_still_missing(w, as_user):
    req = mark(w, advance(w, "in_review"))
    plans.approve_revision(revision=current(req), actor=w.qiang)
    page = as_user(w.ming).get(reverse("web:plan", args=[req.key])).content.decode()
    assert "Still waiting for the approval of an architect of the technical committee" in page
    assert "Approved by" not in page


def test_the_change_form_proposes_the_phase_and_reveals_the_reason_for_an_earlier_one(w, as_user):
    req = hand_to_test(w, advance(w, "finalized"))
    client = as_user(w.ming)
    page = client.get(reverse("web:baseline", args=[req.key])).content.decode()
    assert '<option value="testing" selected>' in page
    assert 'data-reveal="id_phase_reason"' in page
    assert 'data-reveal-values="requirements design development"' in page
    earlier = {
        "title": "审批",
        "reason": "漏了",
        "phase_found": "design",
        "root_cause": "scenario_misunderstood",
        "cause_scenario_key": "S-1",
    }
    refused = do(client, req, "open_change", **earlier)
    assert refused["X-Refused"] == "change.phase_reason_required"
    missing = do(client, req, "open_change", title="审批", reason="漏了", phase_found="testing")
    assert missing["X-Refused"] == "change.root_cause_required"
    assert not req.change_requests.exists()
    do(client, req, "open_change", **earlier, phase_reason="设计评审就提过")
    change = req.change_requests.get()
    assert (change.phase_found, change.phase_proposed, change.cause_scenario_key) == (
        "design",
        "testing",
        "S-1",
    )
    page = client.get(reverse("web:baseline", args=[req.key])).content.decode()
    assert "Scenario misunderstood" in page and "设计评审就提过" in page
