"""One plan, many teams, in real Chromium and in Chinese: the payments DEV writes the ask and due
date of the payments item (the edit controls are on that section only), signs off for payments
after the alignment meeting, and when the lead DEV then changes the finance item, payments'
sign-off stands while finance and the lead team are asked to sign again, with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from techalign.meetings.services import schedule_meeting
from techalign.org.models import User
from techalign.plans import services as plans
from tests.e2e.conftest import Desk
from tests.factories import advance, hold_meeting, review_current, sign_all, world

pytestmark = pytest.mark.browser

ASK = "请支持部分退款，并回传退款流水号"
DUE = dt.date.today() + dt.timedelta(days=45)


@pytest.fixture
def planning(transactional_db, live_server):
    """The factories' order team, in Chinese, with a requirement at the planning step (r3:
    I-1 order-service is the lead team's, I-2 refund-api payments', I-3 ledger finance's)."""
    w = world()
    User.objects.update(language="zh-hans")
    return w, advance(w, "planning"), live_server.url


def signoff_row(page, team: str):
    return page.locator(f'#signoff tr[data-team="{team}"]')


def test_a_party_writes_its_section_signs_and_its_sign_off_stands_when_another_changes(
    browser, planning
):
    w, req, url = planning
    jun = Desk(browser, url, "jun", "zh-hans", password="pw-jun")
    page = jun.page
    try:
        # The payments DEV edits the item of the payments section, and only that one.
        page.goto(f"/r/{req.key}/plan/")
        expect(page.locator("#section-payments").get_by_role("link", name="编辑")).to_have_count(1)
        for other in ("order", "finance"):
            section = page.locator(f"#section-{other}")
            expect(section.locator("article.item")).to_have_count(1)
            expect(section.get_by_role("link", name="编辑")).to_have_count(0)
        page.locator("#item-I-2").get_by_role("link", name="编辑").click()
        page.fill("#edit_ask", ASK)
        page.fill("#edit_due_on", DUE.isoformat())
        page.locator("#item-I-2").get_by_role("button", name="保存为新修订").click()

        payments = page.locator("#section-payments")
        expect(payments.locator("h3")).to_contain_text("最近由 jun 在修订 4 中修改")
        expect(payments.locator("#item-I-2 .ask")).to_contain_text(ASK)
        expect(payments.locator("#item-I-2 .ask")).to_contain_text(f"截止 {DUE.isoformat()}")
        expect(payments.locator(".asks")).to_contain_text(f"I-2 截止 {DUE.isoformat()}")
        expect(page.locator("#section-finance h3")).not_to_contain_text("最近由 jun")
        # Asking for the finance item's editor by its address opens none.
        page.goto(f"/r/{req.key}/plan/?edit_item=I-3")
        expect(page.locator("#item-I-3")).to_be_visible()
        expect(page.locator('form[action$="/do/update_item/I-3/"]')).to_have_count(0)

        # r4 is reviewed and approved, and the alignment meeting takes place.
        review_current(w, req)
        start = timezone.now() + dt.timedelta(days=2)
        schedule_meeting(
            requirement=req, actor=w.ming, starts_at=start, ends_at=start + dt.timedelta(hours=1)
        )
        meeting = hold_meeting(w, req)

        page.goto(f"/r/{req.key}/meetings/{meeting.key}/")
        expect(page.locator("#meeting_info h2 .badge.ok")).to_have_text("已召开")
        expect(page.locator("#meeting_info")).to_contain_text("基于第 4 版修订")
        expect(page.locator("#meeting_info")).to_contain_text("jun")

        # jun signs off for payments on the align tab.
        page.goto(f"/r/{req.key}/align/")
        expect(signoff_row(page, "payments")).to_contain_text("未签认")
        sign = page.locator('form[action$="/do/sign_off/"]')
        expect(sign.locator("select[name=team] option:checked")).to_have_text("支付组")
        sign.get_by_role("button", name="签认第 4 版修订").click()
        expect(signoff_row(page, "payments")).to_contain_text("已齐全")
        expect(signoff_row(page, "payments")).to_contain_text("jun · 以开发身份 · r4")
        expect(signoff_row(page, "finance")).to_contain_text("未签认")

        # The lead team and finance sign; then the lead DEV changes the finance item.
        sign_all(w, req, teams=[w.order, w.finance])
        plans.update_item(
            confirm=True,
            requirement=req,
            actor=w.lei,
            based_on=4,
            item_key="I-3",
            ask="总账按部分退款冲销",
        )
        review_current(w, req)

        page.goto(f"/r/{req.key}/align/")
        expect(page.locator("#signoff h2")).to_contain_text("第 5 版修订")
        stands = signoff_row(page, "payments")
        expect(stands).to_contain_text("已齐全")
        expect(stands.locator(".badge.ok", has_text="仍有效")).to_have_text("仍有效——签于 r4")
        expect(stands.locator("td").nth(3)).to_have_text("—")

        finance = signoff_row(page, "finance")
        expect(finance).to_contain_text("未签认")
        expect(finance).to_contain_text("尚缺")
        expect(finance.locator(".stale")).to_contain_text(
            "wei · 以开发身份 · r4: 其负责部分在 r5 中有变化"
        )
        order = signoff_row(page, "order")
        expect(order).to_contain_text("未签认")
        expect(order.locator(".stale").first).to_contain_text(
            "方案在 r5 中有变化：主导方每次都要重新签认"
        )
        expect(page.locator('form[action$="/do/sign_off/"]')).to_have_count(0)
        expect(page.locator("#next-actions")).to_contain_text("财务组需要签认第 5 版修订")
        expect(page.locator("#next-actions")).not_to_contain_text("支付组需要签认")
        expect(page.locator("#next-actions li.mine")).to_have_count(0)
        jun.shot("party-journey-align")
    finally:
        jun.close()
