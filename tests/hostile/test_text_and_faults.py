"""Hostile text, through every door: the API, the pages' forms, the services, and the CLI
imports. NUL and other control characters are refused naming the field (PostgreSQL would
answer a 500 for NUL, SQLite would store it), titles and other single-line fields take no
line break, and a title must show something. Runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from techalign.core.errors import Refused
from techalign.meetings.models import Meeting
from techalign.org.catalog import ImportProblems, backstage_changes, org_csv_changes
from techalign.plans.markdown import export_plan, import_plan
from techalign.requirements.models import Requirement
from techalign.requirements.services import add_scenario, create_requirement
from tests.api.conftest import Api
from tests.factories import advance
from tests.notify.conftest import schedule

RTL_MARK, ZERO_WIDTH_SPACE = "\u200f", "\u200b"


@pytest.fixture
def api(w) -> Api:
    return Api(w.ming, "en")


def refusal(response, status: int = 422) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    return body


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"title": "部分\x00退款"}, "text.control_character", "title"),
        ({"title": "ok", "user_stories": "as a PM\x00"}, "text.control_character", "user_stories"),
        ({"title": "ok", "user_stories": "bell\x07"}, "text.control_character", "user_stories"),
        ({"title": "ok", "user_stories": "esc\x1b[31m"}, "text.control_character", "user_stories"),
        ({"title": "ok", "user_stories": "c1\x85"}, "text.control_character", "user_stories"),
        ({"title": "Sync\r\nBcc: evil@example.test"}, "text.line_break", "title"),
        ({"title": "two\nlines"}, "text.line_break", "title"),
        ({"title": "sep\u2028arated"}, "text.line_break", "title"),
        ({"title": "   "}, "text.blank", "title"),
        ({"title": RTL_MARK}, "text.blank", "title"),
        ({"title": f"{ZERO_WIDTH_SPACE} {RTL_MARK}\t"}, "text.control_character", "title"),
        ({"title": f"{ZERO_WIDTH_SPACE} {RTL_MARK}"}, "text.blank", "title"),
    ],
)
def test_hostile_text_in_an_api_body_is_refused_naming_the_field(api, body, code, field):
    response = api.post("/requirements", {"lead_team": "order", **body})

    error = refusal(response)
    assert error["code"] == code
    assert error["details"]["field"] == field
    assert field in error["message"]
    assert not Requirement.objects.exists()


def test_tabs_and_line_breaks_stay_allowed_in_multi_line_text(api):
    stories = "As a PM\n\t- I refund part of an order\r\n- and see it in the ledger"
    response = api.post(
        "/requirements", {"lead_team": "order", "title": "部分退款", "user_stories": stories}
    )

    assert response.status_code == 201, response.content
    assert Requirement.objects.get().user_stories == stories


def test_a_plan_item_from_the_api_is_checked_too(w):
    req = advance(w, "planning")
    lei = Api(w.lei, "en")
    revision = req.plan.revisions.count()
    response = lei.post(
        f"/requirements/{req.key}/plan/items",
        {
            "based_on": revision,
            "kind": "api_change",
            "component": "order-service",
            "title": "ok",
            "ask": "please\x1b[2J",
        },
    )

    error = refusal(response)
    assert error["code"] == "text.control_character"
    assert error["details"] == {
        "field": "ask",
        "char": "U+001B",
        "request_id": response["X-Request-ID"],
    }
    assert req.plan.revisions.count() == revision


def test_the_refusal_reads_in_chinese_too(w):
    response = Api(w.ming, "zh-hans").post(
        "/requirements", {"lead_team": "order", "title": "a\x00b"}
    )

    assert refusal(response)["message"] == "title 含有控制字符 U+0000，请删除。"


def test_services_refuse_hostile_titles_whoever_calls_them(w):
    with pytest.raises(Refused) as refused:
        create_requirement(actor=w.ming, lead_team=w.order, title=RTL_MARK)
    assert refused.value.code == "text.blank"
    req = create_requirement(actor=w.ming, lead_team=w.order, title="部分退款")
    with pytest.raises(Refused) as refused:
        add_scenario(requirement=req, actor=w.ming, title="S\x00")
    assert (refused.value.code, refused.value.details["field"]) == (
        "text.control_character",
        "title",
    )
    assert not req.scenarios.exists()


def test_a_meeting_title_with_a_line_break_is_refused_before_any_invitation(w):
    """The probe's attack: a CR/LF in a meeting title became a mail header injection."""
    req = advance(w, "approved")
    with pytest.raises(Refused) as refused:
        schedule(w, req, title="Sync\r\nBcc: evil@example.test")
    assert refused.value.code == "text.line_break"
    assert refused.value.details == {"field": "title", "char": "U+000D"}
    assert not Meeting.objects.exists()
    assert schedule(w, req).title  # a meeting without a title of its own gets the default


@pytest.mark.parametrize(
    "title, message",
    [
        ("a\x00b", "title contains the control character U+0000"),
        ("Sync\u2028Bcc: x", "title must be a single line"),
        (RTL_MARK + RTL_MARK, "title must contain visible characters"),
    ],
)
def test_the_new_requirement_form_shows_the_refusal_and_writes_nothing(w, title, message):
    client = Client()
    client.force_login(w.ming)
    with translation.override("en"):
        response = client.post(
            reverse("web:requirement_create"),
            {"lead_team": w.order.pk, "title": title, "user_stories": "", "business_process": ""},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )

    # A refused plain post lands back on the list (post-redirect-get), the refusal beside the
    # form; a form error may answer at once.
    assert response.status_code in (200, 409, 422), response.status_code
    assert response.redirect_chain in ([], [("/requirements/#new-requirement", 302)])
    page = response.content.decode()
    assert message in page or "Null characters are not allowed" in page
    assert not Requirement.objects.exists()


def test_an_org_csv_with_control_characters_names_the_line_and_cell(db):
    text = (
        "department,team,username,display_name,roles\n"
        "trade,order,ming,王明,PM\n"
        "trade,order,lei,雷\x00,DEV\n"
        "trade,order,fang,芳\x1b,DEV\n"
    )
    with pytest.raises(ImportProblems) as raised:
        org_csv_changes("people.csv", text)

    problems = [str(p) for p in raised.value.problems]
    assert problems[0].startswith("people.csv:3: line 3.display_name contains")
    assert "U+0000" in problems[0]
    assert "people.csv:4:" in problems[1] and "U+001B" in problems[1]


def test_a_catalog_with_a_control_character_names_its_file_and_line(db):
    text = (
        "apiVersion: backstage.io/v1alpha1\n"
        "kind: Group\n"
        "metadata:\n"
        "  name: trade\n"
        "spec:\n"
        "  type: department\n"
        '  profile: {displayName: "交易\\0部"}\n'
    )
    with pytest.raises(ImportProblems) as raised:
        backstage_changes([("catalog-info.yaml", text)])

    (problem,) = [str(p) for p in raised.value.problems]
    assert problem.startswith("catalog-info.yaml:1: Group trade.spec.profile.displayName")
    assert "U+0000" in problem


def test_a_plan_file_with_a_nul_in_an_item_is_refused_as_not_text_and_nothing_changes(w):
    req = advance(w, "planning")
    text = export_plan(req)
    revisions = req.plan.revisions.count()

    with pytest.raises(Refused) as refused:
        import_plan(actor=w.lei, text=text.replace("改 ledger", "改\x00 ledger"))

    # A NUL makes the whole file binary, refused before any item is read.
    assert refused.value.code == "import.not_text"
    assert req.plan.revisions.count() == revisions
