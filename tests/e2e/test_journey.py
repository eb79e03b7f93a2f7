"""The demo requirement driven through the five steps in Chromium, as each persona in turn.

Forms are found by the action they post to, so the journey reads the same in both languages;
the refusals are checked by their stable code and by the condition they name.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from techalign.requirements.models import Requirement, Status

pytestmark = pytest.mark.browser


def form(page, action: str):
    """The form posting to `action` (e.g. "hand_off", "acknowledge/S-1")."""
    return page.locator(f'form[action$="/do/{action}/"]')


def submit(page, action: str, button: str = "button") -> None:
    form(page, action).locator(button).first.click()


def open_editor(page, action: str) -> None:
    """Unfold the <details> that holds a form, if it is folded."""
    details = page.locator(f'details:has(form[action$="/do/{action}/"])').first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()


def refusal(page, code: str):
    return page.locator(f'.refusal[data-code="{code}"]')


def add_item(
    page,
    *,
    component: str,
    kind: str,
    title: str,
    scenarios: list[str],
    ask: str = "",
    due_on: dt.date | None = None,
    description: str = "",
) -> None:
    open_editor(page, "add_item")
    add = form(page, "add_item")
    add.locator("#id_component").fill(component)
    add.locator("#id_kind").select_option(kind)
    add.locator("#id_title").fill(title)
    if description:
        add.locator("#id_description").fill(description)
    for key in scenarios:
        add.locator(f'input[name=scenario_keys][value="{key}"]').check()
    if ask:
        add.locator("#id_ask").fill(ask)
    if due_on:
        add.locator("#id_due_on").fill(due_on.isoformat())
    count = page.locator("article.item").count()
    add.locator("button.primary").click()
    expect(page.locator("article.item")).to_have_count(count + 1)


def current_step(page):
    return page.locator('.stepper li[aria-current="step"]')


def test_the_demo_requirement_goes_through_all_five_steps(desk):
    from techalign.demo import MAIN_TITLE

    requirement = Requirement.objects.get(title=MAIN_TITLE)
    key = requirement.key
    home, plan, align, baseline = (
        f"/r/{key}/",
        f"/r/{key}/plan/",
        f"/r/{key}/align/",
        f"/r/{key}/baseline/",
    )
    soon = dt.date.today() + dt.timedelta(days=20)

    # Step 1: the lead PM hands off; the lead DEV asks about one scenario, acknowledges the rest.
    pm = desk("lead_pm")
    pm.page.goto(home)
    expect(current_step(pm.page)).to_have_attribute("data-n", "1")
    pm.shot("01-requirement-draft")
    submit(pm.page, "hand_off")
    expect(form(pm.page, "hand_off")).to_have_count(0)

    dev = desk("lead_dev")
    dev.page.goto("/")
    expect(dev.page.locator("#inbox-acknowledge li")).to_have_count(7)
    dev.shot("02-inbox-lead-dev")
    dev.page.goto(home)
    open_editor(dev.page, "ask/S-3")
    dev.page.locator("#ask-S-3").fill("并发提交时以哪个请求为准？幂等键由谁生成？")
    form(dev.page, "ask/S-3").locator("button").click()
    expect(dev.page.locator("#question-Q-1")).to_be_visible()
    submit(dev.page, "acknowledge/S-3")
    expect(refusal(dev.page, "scenario.open_questions")).to_contain_text("Q-1")
    for n in (1, 2, 4, 5, 6, 7):
        submit(dev.page, f"acknowledge/S-{n}")
        expect(form(dev.page, f"acknowledge/S-{n}")).to_have_count(0)

    pm.page.goto(home)
    pm.page.fill("#reply-thread-Q-1", "以先到的请求为准；幂等键由客户端按退款申请生成。")
    submit(pm.page, "thread/Q-1", "button[value=propose]")
    expect(pm.page.locator("#thread-Q-1 [data-state]")).to_have_attribute("data-state", "proposed")

    dev.page.goto(home)
    submit(dev.page, "accept/Q-1")
    expect(form(dev.page, "accept/Q-1")).to_have_count(0)
    submit(dev.page, "acknowledge/S-3")
    expect(current_step(dev.page)).to_have_attribute("data-n", "2")

    # Step 2: the PM may not write the plan; the DEV does, leaving S-7 uncovered at first.
    pm.page.goto(plan)
    add = form(pm.page, "add_item")
    add.locator("#id_component").fill("order-service")
    add.locator("#id_title").fill("产品经理写的方案")
    add.locator("button.primary").click()
    expect(refusal(pm.page, "role.not_allowed")).to_be_visible()
    pm.shot("03-refusal-pm-edits-plan")

    dev.page.goto(plan)
    open_editor(dev.page, "add_item")
    dev.page.fill("#id_description", "新增 **部分退款** 接口，按商品占用可退额度。")
    expect(dev.page.locator("#id_description-preview strong")).to_have_text("部分退款")
    add_item(
        dev.page,
        component="order-service",
        kind="new_api",
        title="订单服务：部分退款申请与可退额度",
        description="新增 **部分退款** 接口，按商品占用可退额度。",
        scenarios=["S-1", "S-2", "S-3", "S-5"],
    )
    add_item(
        dev.page,
        component="refund-api",
        kind="api_change",
        title="退款接口：支持部分金额、幂等键与失败重试",
        scenarios=["S-2", "S-3", "S-4"],
        ask="退款接口支持部分金额与幂等键，失败可重试。",
        due_on=soon,
    )
    add_item(
        dev.page,
        component="ledger",
        kind="data",
        title="总账：部分退款分录与对账",
        scenarios=["S-6"],
        ask="总账按退款单记分录，日终对账覆盖部分退款。",
        due_on=soon,
    )
    expect(dev.page.locator("#coverage tr.uncovered")).to_have_count(1)
    dev.shot("04-plan-items-coverage")
    # Submitting with a gap asks first, on the page, naming it; the DEV submits anyway.
    submit(dev.page, "submit_for_review")
    expect(dev.page.locator("#review .refusal")).to_contain_text("S-7")
    dev.page.locator("form.confirm-step button.primary").click()
    expect(form(dev.page, "submit_for_review")).to_have_count(0)

    lead = desk("tech_lead")
    lead.page.goto(plan)
    submit(lead.page, "approve", "button[value=approve]")
    expect(refusal(lead.page, "plan.coverage_incomplete")).to_contain_text("S-7")
    lead.shot("05-refusal-approve-uncovered")
    form(lead.page, "approve").locator("textarea[name=comment]").fill("S-7 未覆盖，请补充或说明。")
    submit(lead.page, "approve", "button[value=changes]")
    expect(lead.page.locator("#review table")).to_contain_text("S-7 未覆盖")

    pm.page.goto(home)
    open_editor(pm.page, "out_of_scope/S-7")
    pm.page.locator("#oos-S-7").fill("超时退款走售后工单，本期不做。")
    submit(pm.page, "out_of_scope/S-7")
    expect(pm.page.locator("#scenario-S-7")).to_contain_text("超时退款走售后工单")

    dev.page.goto(plan)
    expect(dev.page.locator("#coverage tr.uncovered")).to_have_count(0)
    submit(dev.page, "submit_for_review")
    # The submission lands before the tech lead opens the plan (a busy machine is slow).
    expect(form(dev.page, "submit_for_review")).to_have_count(0)
    lead.page.goto(plan)
    form(lead.page, "approve").locator("textarea[name=comment]").fill("方案可行。")
    submit(lead.page, "approve", "button[value=approve]")
    expect(current_step(lead.page)).to_have_attribute("data-n", "3")
    lead.shot("06-plan-approved")

    # Step 3: the meeting, never below the minimum of a PM and a DEV of every party.
    pm.page.goto(align)
    schedule = form(pm.page, "schedule_meeting")
    schedule.locator("label:has-text('lina') input[name=required]").uncheck()
    schedule.locator("button.primary").click()
    expect(refusal(pm.page, "meeting.invitees_missing")).to_be_visible()
    form(pm.page, "schedule_meeting").locator("label:has-text('lina') input[name=required]").check()
    # It took place yesterday morning: a meeting is marked held only once it has started.
    yesterday = dt.date.today() - dt.timedelta(days=1)
    form(pm.page, "schedule_meeting").locator("input[name=starts_at]").fill(f"{yesterday}T10:00")
    form(pm.page, "schedule_meeting").locator("input[name=ends_at]").fill(f"{yesterday}T11:00")
    form(pm.page, "schedule_meeting").locator("button.primary").click()
    expect(current_step(pm.page)).to_have_attribute("data-n", "4")

    # Step 4: minutes during the meeting, then each party signs the exact revision.
    pm.page.locator("#meetings a[href*='/meetings/M-']").first.click()
    expect(pm.page.locator("#agenda")).to_contain_text("退款接口支持部分金额")
    for username in ("wangming", "lilei", "liuhua", "huangjun", "lina", "wangwei"):
        present = pm.page.locator("#minutes .badge.ok").count()
        submit(pm.page, f"attendance/{username}", "button[value=yes]")
        expect(pm.page.locator("#minutes .badge.ok")).to_have_count(present + 1)
    form(pm.page, "decision").locator("textarea").fill("退款重试上限 3 次，之后转人工。")
    submit(pm.page, "decision")
    expect(pm.page.locator("#minutes ol")).to_contain_text("退款重试上限")
    pm.shot("07-meeting-minutes")
    # With everyone's attendance recorded, the meeting is held; only then do the parties sign.
    submit(pm.page, "mark_held")
    expect(pm.page.locator("#meeting_info h2 .badge.ok")).to_be_visible()

    # The lead team is complete with its PM and its lead DEV, a party with one of its DEVs.
    for persona, complete in (("lead_pm", 0), ("lead_dev", 1), ("payments_dev", 2)):
        signer = desk(persona)
        signer.page.goto(align)
        submit(signer.page, "sign_off", "button[value=approve]")
        expect(signer.page.locator("#signoff tbody .badge.ok")).to_have_count(complete)

    # Step 5: finalizing names what is missing until every party has signed.
    pm.page.goto(align)
    expect(pm.page.locator("#signoff .gaps")).to_contain_text("财务结算组")
    submit(pm.page, "finalize")
    expect(refusal(pm.page, "finalize.signoffs_missing")).to_contain_text("财务结算组")
    pm.shot("08-refusal-finalize-missing-signoff")

    finance = desk("finance_dev")
    finance.page.goto(align)
    submit(finance.page, "sign_off", "button[value=approve]")
    expect(finance.page.locator("#signoff .gaps")).to_have_count(0)

    pm.page.goto(align)
    submit(pm.page, "finalize")
    expect(current_step(pm.page)).to_have_count(0)
    requirement.refresh_from_db()
    assert requirement.status == Status.FINALIZED
    pm.page.goto(baseline)
    expect(pm.page.locator("#baselines")).to_contain_text("v1")
    pm.shot("09-baseline")

    payments_pm = desk("payments_pm")
    payments_pm.page.goto(baseline)
    milestone = form(payments_pm.page, "set_milestone")
    milestone.locator("#id_kind").select_option("joint_debugging")
    milestone.locator("#id_due_on").fill(soon.isoformat())
    milestone.locator("button").click()
    expect(payments_pm.page.locator("#milestones tbody")).to_contain_text(soon.isoformat())
    payments_pm.shot("10-milestones")

    # The same journey's key pages in English.
    english = desk("lead_pm", "en")
    for path, name, text in [
        ("/", "en-01-inbox", "My work"),
        (home, "en-02-requirement", "Who must act next"),
        (plan, "en-03-plan", "Coverage"),
        (f"/r/{key}/history/", "en-04-revisions", "Compare revisions"),
        (align, "en-05-alignment", "Sign-off"),
        (baseline, "en-06-baseline", "Baselines"),
    ]:
        english.page.goto(path)
        expect(english.page.locator("main")).to_contain_text(text)
        english.shot(name)
