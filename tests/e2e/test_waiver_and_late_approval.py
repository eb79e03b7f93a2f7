"""In real Chromium, in Chinese, on a 390 px phone: the tech lead withdraws a party's waiver
from the align tab (the party shows missing again), and a committee architect approves a plan
that was approved before its requirement was marked high-risk. Neither page is wider than the
phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from techalign.meetings.models import AttendanceWaiver
from techalign.meetings.services import waive_attendance
from techalign.org.models import User
from techalign.requirements import services as requirements
from techalign.requirements.models import Requirement
from tests.e2e.conftest import Desk
from tests.factories import advance, hold_meeting, sign_all, world

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def signed(transactional_db, live_server):
    """Finance's DEV missed the held meeting and finance is excused; everyone has signed."""
    w = world()
    User.objects.update(language="zh-hans")
    req = advance(w, "aligning")
    hold_meeting(w, req, absent=(w.wei,))
    waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason="封账周")
    sign_all(w, req)
    return w, req, live_server.url


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_withdrawing_a_waiver_and_the_committees_late_approval_on_a_phone(browser, signed):
    w, req, url = signed
    qiang = Desk(browser, url, "qiang", "zh-hans", password="pw-qiang")
    try:
        page = qiang.page
        page.set_viewport_size(PHONE)
        page.goto(f"/r/{req.key}/align/")
        finance = page.locator("#attendance tr", has=page.locator('a[href="/teams/finance/"]'))
        expect(finance).to_contain_text("封账周")
        finance.get_by_text("撤回豁免").click()
        finance.locator("textarea").fill("王伟其实没参会")
        finance.get_by_role("button", name="撤回").click()
        finance = page.locator("#attendance tr", has=page.locator('a[href="/teams/finance/"]'))
        expect(finance).to_contain_text("缺席")
        assert "/do/" not in page.url
        # The waiver form offers the party that is missing again, after the swap as on a
        # fresh load (not the first option the form showed before the withdrawal).
        waived = page.locator("#attendance select[name=team]")
        expect(waived).to_have_value(str(w.finance.pk))
        page.reload()
        expect(page.locator("#attendance select[name=team]")).to_have_value(str(w.finance.pk))
        fits_the_phone(page)
        qiang.shot("waiver-withdrawn-390-zh")
    finally:
        qiang.close()
    assert AttendanceWaiver.objects.get(requirement=req).withdrawal_reason == "王伟其实没参会"

    requirements.mark_high_risk(requirement=req, actor=w.ming, risk="money", reason="动钱")
    arch = Desk(browser, url, "arch", "zh-hans", password="pw-arch")
    try:
        page = arch.page
        page.set_viewport_size(PHONE)
        page.goto(f"/r/{req.key}/plan/")
        expect(page.locator("#awaiting-approval")).to_be_visible()
        page.locator("#review").get_by_role("button", name="批准第 3 版修订").click()
        expect(page.locator("#awaiting-approval")).to_have_count(0)
        fits_the_phone(page)
        arch.shot("late-committee-approval-390-zh")
    finally:
        arch.close()
    assert Requirement.objects.get(pk=req.pk).status == "aligning"
