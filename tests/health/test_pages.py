"""The health pages: what each persona sees, in both languages, and their query counts."""

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils.html import escape

from techalign.health.rules import RULES
from techalign.plans import services as plans
from techalign.requirements.models import Requirement
from tests.factories import advance


def client_for(user, language="en"):
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
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


def test_the_requirement_panel_lists_its_findings(w):
    req = advance(w, "finalized")
    _production_change(w, req)
    page = client_for(w.ming).get(f"/health/requirements/{req.key}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "TA113" in text and "was found in production: cost weight 100" in text
    assert 'href="/health/rules/TA113/"' in text


def test_the_panel_tag_renders_on_any_page(w):
    req = advance(w, "finalized")
    _production_change(w, req)
    html = Template("{% load health %}{% health_panel requirement %}").render(
        Context({"requirement": req})
    )
    assert 'id="health-panel"' in html and "TA113" in html


def test_the_requirement_page_can_load_the_panel_after_rendering(w):
    req = advance(w, "finalized")
    _production_change(w, req)
    loader = Template('{% include "health/_panel_loader.html" %}').render(
        Context({"requirement": req})
    )
    assert f'hx-get="/health/requirements/{req.key}/panel/"' in loader
    panel = client_for(w.ming).get(f"/health/requirements/{req.key}/panel/").content.decode()
    assert panel.lstrip().startswith("<section") and "TA113" in panel


def test_team_and_department_views_count_findings(w):
    _production_change(w, advance(w, "finalized"))
    client = client_for(w.li)
    team = client.get("/health/teams/finance/").content.decode()
    assert "1 error" in team and "REQ-1" in team
    assert "1 error" in client.get("/health/departments/fin/").content.decode()
    payments = client.get("/health/teams/payments/").content.decode()
    assert "No findings" in payments
    overview = client.get("/health/?severity=error").content.decode()
    assert "TA113" in overview


def test_findings_come_a_page_of_requirements_at_a_time(w, monkeypatch):
    from techalign.health import views

    monkeypatch.setattr(views, "GROUPS_PER_PAGE", 1)
    _production_change(w, advance(w, "finalized"))
    _production_change(w, advance(w, "finalized"))
    client = client_for(w.ming)
    first = client.get("/health/?severity=error").content.decode()
    assert "REQ-2" in first and "REQ-1 " not in first and "page=2" in first
    second = client.get("/health/?severity=error&page=2").content.decode()
    assert "REQ-1 " in second and "REQ-2 " not in second


def test_private_requirements_stay_hidden_from_outsiders(w):
    req = advance(w, "finalized")
    Requirement.objects.filter(pk=req.pk).update(is_private=True)
    _production_change(w, req)
    assert "TA113" not in client_for(w.charlie).get("/health/").content.decode()
    assert client_for(w.charlie).get(f"/health/requirements/{req.key}/").status_code == 404
    assert "TA113" in client_for(w.ming).get("/health/").content.decode()


def test_every_rule_has_its_documentation_page_in_both_languages(w):
    english, chinese = client_for(w.ming), client_for(w.lei, "zh-hans")
    for code, rule in RULES.items():
        page = english.get(f"/health/rules/{code}/").content.decode()
        assert escape(rule.prevents.en) in page and escape(rule.fix.en) in page
        page = chinese.get(f"/health/rules/{code}/").content.decode()
        assert escape(rule.prevents.zh) in page and escape(rule.fix.zh) in page
    assert "alignment_days_before_dev_start" in english.get("/health/rules/TA111/").content.decode()
    assert english.get("/health/rules/TA999/").status_code == 404


@pytest.mark.parametrize(
    "slug",
    ["coverage", "lead-time", "finalized-before-dev", "realignment", "change-cost", "findings"],
)
def test_report_pages_draw_charts_and_offer_csv(w, slug):
    _production_change(w, advance(w, "finalized"))
    client = client_for(w.ming)
    page = client.get(f"/health/reports/{slug}/?team=order")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    download = client.get(f"/health/reports/{slug}/?team=order&format=csv")
    assert download["Content-Type"].startswith("text/csv")
    assert download.content.decode().splitlines()[-1].startswith("total")


def test_pages_need_a_signed_in_user(db):
    assert Client().get("/health/").status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/health/",
        "/health/teams/order/",
        "/health/departments/trade/",
        "/health/reports/findings/?team=order",
    ],
)
def test_pages_cost_the_same_queries_at_two_sizes(w, path, django_assert_max_num_queries):
    _production_change(w, advance(w, "finalized"))
    # An outsider: the inbox count in the page header depends on one's own work, not on us.
    client = client_for(w.charlie)
    client.get(path)
    with django_assert_max_num_queries(60) as small:
        client.get(path)
    # Read now: the connection keeps only the last 9,000 queries, which the set-up overruns.
    allowed = len(small.captured_queries)
    advance(w, "aligning")
    advance(w, "in_review")
    _production_change(w, advance(w, "finalized"))
    # The first view after those writes refreshes their requirements' stored findings.
    client.get(path)
    with django_assert_max_num_queries(allowed):
        client.get(path)
