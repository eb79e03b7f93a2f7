"""In real Chromium, in zh-Hans: the PM rewrites a scenario after hand-off, the plan item
covering it shows the suspect mark with the scenario's diff, the lead DEV confirms it, and the
mark is gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from techalign.org.models import User
from tests.e2e.conftest import Desk
from tests.factories import advance, world

pytestmark = pytest.mark.browser


@pytest.fixture
def planning(transactional_db, live_server):
    """The factories' order team, in Chinese, with a requirement at the planning step."""
    w = world()
    User.objects.update(language="zh-hans")
    return advance(w, "planning"), live_server.url


def test_a_rewritten_scenario_makes_its_item_suspect_until_the_dev_confirms_it(browser, planning):
    req, url = planning
    pm = Desk(browser, url, "ming", "zh-hans", password="pw-ming")
    dev = Desk(browser, url, "lei", "zh-hans", password="pw-lei")
    try:
        pm.page.goto(f"/r/{req.key}/")
        editor = pm.page.locator('details:has(form[action$="/do/update_scenario/S-2/"])')
        editor.locator("summary").click()
        pm.page.fill("#sa-S-2", "退款 1 分钟内到账")
        editor.locator("form button").click()
        expect(pm.page.locator("p.flash")).to_be_visible()

        dev.page.goto(f"/r/{req.key}/plan/")
        suspect = dev.page.locator("#suspect-I-2")
        expect(dev.page.locator("#item-I-2 .suspect-mark")).to_have_text("存疑")
        expect(suspect).to_contain_text("S-2 在本条目编写后已变更")
        expect(suspect.locator("ins")).to_contain_text("退款 1 分钟内到账")
        expect(dev.page.locator("#coverage td.suspect")).to_have_count(1)
        expect(dev.page.locator("#suspect-I-1")).to_have_count(0)

        suspect.get_by_role("button", name="确认无需修改").click()

        expect(dev.page.locator("#suspect-I-2")).to_have_count(0)
        expect(dev.page.locator("#item-I-2 .suspect-mark")).to_have_count(0)
        expect(dev.page.locator("#coverage td.suspect")).to_have_count(0)
    finally:
        pm.close()
        dev.close()
