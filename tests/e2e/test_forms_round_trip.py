"""In zh-Hans Chromium, saving the requirement and a plan item unchanged keeps their dates.

Django used to render these dates as 2026/12/21, which `<input type=date>` drops: the
browser then sent them empty and the save erased them."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from techalign.org.models import User
from techalign.plans.selectors import current_revision, items_of
from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from tests.e2e.conftest import Desk
from tests.factories import advance, with_planned_dates, world

pytestmark = pytest.mark.browser


@pytest.fixture
def planning(transactional_db, live_server):
    """A requirement in planning, with planned dates and a related party's dated ask."""
    w = world()
    User.objects.update(language="zh-hans", time_zone="Asia/Shanghai")
    return w, with_planned_dates(w, advance(w, "planning")), live_server.url


def test_saving_the_requirement_unchanged_keeps_its_planned_dates(browser, planning):
    w, req, url = planning
    desk = Desk(browser, url, w.ming.username, "zh-hans", password=f"pw-{w.ming.username}")
    try:
        page = desk.page
        page.goto(f"/r/{req.key}/")
        page.locator('details:has(form[action$="/do/update_requirement/"]) summary').click()
        edit = page.locator('form[action$="/do/update_requirement/"]')
        expect(edit.locator("input[name=planned_dev_start_on]")).to_have_value("2026-12-21")
        expect(edit.locator("input[name=planned_launch_on]")).to_have_value("2027-01-18")
        edit.locator("button.primary").click()
        expect(page.locator("#req-header .flash")).to_have_count(1)
        expect(page.locator("#req-header")).to_contain_text("2026-12-21")
        desk.shot("round-trip-requirement-zh")
        assert page.url.endswith(f"/r/{req.key}/")
    finally:
        desk.close()
    req.refresh_from_db()
    assert req.planned_dev_start_on == dt.date(2026, 12, 21)
    assert req.planned_launch_on == dt.date(2027, 1, 18)


def test_editing_an_items_title_keeps_its_asks_due_date(browser, planning):
    w, req, url = planning
    item = items_of(current_revision(req))[1]  # the payments team's ask, with a due date
    due = item.due_on
    assert due is not None
    desk = Desk(browser, url, w.lei.username, "zh-hans", password=f"pw-{w.lei.username}")
    try:
        page = desk.page
        page.goto(f"/r/{req.key}/plan/")
        page.locator(f"#item-{item.key} a.button").first.click()
        edit = page.locator(f'form[action$="/do/update_item/{item.key}/"]')
        expect(edit.locator("input[name=due_on]")).to_have_value(due.isoformat())
        edit.locator("input[name=title]").fill("改 refund-api：支持部分退款")
        edit.locator("button.primary").click()
        expect(page.locator(f"#item-{item.key}")).to_contain_text("支持部分退款")
        expect(page.locator(f"#item-{item.key} .ask")).to_contain_text(due.isoformat())
        desk.shot("round-trip-item-zh")
        assert page.url.endswith(f"/r/{req.key}/plan/")
    finally:
        desk.close()
    edited = items_of(current_revision(req))[1]
    assert edited.title == "改 refund-api：支持部分退款"
    assert edited.due_on == due


def test_a_half_typed_question_survives_saving_the_requirement(browser, planning):
    w, req, url = planning
    desk = Desk(browser, url, w.ming.username, "en", password=f"pw-{w.ming.username}")
    errors: list[str] = []
    desk.page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        page = desk.page
        page.goto(f"/r/{req.key}/")
        page.locator('details:has(form[action$="/do/raise_question/"]) summary').click()
        question = page.locator('form[action$="/do/raise_question/"] textarea[name=body]')
        question.fill("Does a partial refund include the")
        page.locator('details:has(form[action$="/do/update_requirement/"]) summary').click()
        edit = page.locator('form[action$="/do/update_requirement/"]')
        edit.locator("input[name=title]").fill("Partial refunds")
        edit.locator("button.primary").click()
        expect(page.locator("#req-header h1")).to_contain_text("Partial refunds")
        expect(question).to_have_value("Does a partial refund include the")
        assert page.url.endswith(f"/r/{req.key}/")
        assert not [e for e in errors if "htmx" in e.lower()], errors
    finally:
        desk.close()
    req.refresh_from_db()
    assert req.planned_launch_on is not None


def test_without_javascript_a_plan_with_gaps_is_submitted_after_the_confirm_step(browser, planning):
    """The confirm step and a refused post work without JavaScript: the answer is the plan's
    own page (never the action's address) with the gaps named, "Back" leaves the plan as it
    was, "Submit anyway" submits it."""
    w, req, url = planning
    requirements.add_scenario(requirement=req, actor=w.ming, title="新场景")  # S-4: no item
    desk = Desk(
        browser, url, w.lei.username, "zh-hans", f"pw-{w.lei.username}", java_script_enabled=False
    )
    plan_url = f"/r/{req.key}/plan/"
    try:
        page = desk.page
        page.goto(plan_url)
        submit = page.locator('form[action$="/do/submit_for_review/"]').first
        submit.locator("button.primary").click()
        step = page.locator("form.confirm-step")
        expect(page.locator("#review .refusal")).to_contain_text("S-4")
        expect(step.locator("button.primary")).to_have_text("仍要提交")
        assert page.url.endswith(plan_url + "#review")
        step.locator("a", has_text="返回").click()
        expect(page.locator("form.confirm-step")).to_have_count(0)
        req.refresh_from_db()
        assert req.status == Status.PLANNING
        page.locator('form[action$="/do/submit_for_review/"] button.primary').click()
        page.locator("form.confirm-step button.primary").click()
        expect(page.locator(".flash")).to_have_count(1)
        desk.shot("confirm-step-no-js-zh")
        assert "/do/" not in page.url
    finally:
        desk.close()
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW
