"""The tracker in real Chromium, in zh-Hans: find a requirement by a word of its scenarios, then
start a thread on it that @mentions the payments DEV, who finds the notice in their inbox."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from techalign.demo import MAIN_TITLE, PERSONAS
from techalign.notify.models import Notification
from techalign.requirements.models import Requirement

pytestmark = pytest.mark.browser


def test_search_the_list_and_mention_someone_in_a_comment(desk):
    main = Requirement.objects.get(title=MAIN_TITLE)
    word = main.scenarios.filter(is_withdrawn=False).first().title[:4]
    pm = desk("lead_pm")
    page = pm.page
    page.goto("/requirements/")
    expect(page.get_by_text("新建需求")).to_be_visible()
    page.fill("#f-q", word)
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.cards")).to_contain_text(main.key)
    expect(page.locator("#list-count")).to_contain_text("个需求")
    pm.shot("tracker-search-zh")

    page.get_by_role("link", name=main.key).first.click()
    page.wait_for_url(f"**/r/{main.key}/")
    comments = page.locator("#comments")
    comments.locator("select[name=on]").select_option(main.key)
    dev = PERSONAS["payments_dev"]
    comments.locator("textarea[name=body]").last.fill(f"@{dev} 退款接口能否支持部分金额？")
    comments.get_by_role("button", name="发表评论").click()
    expect(page.locator("#comments")).to_contain_text("退款接口能否支持部分金额")
    assert f"/r/{main.key}/" in page.url and "/do/" not in page.url
    pm.shot("tracker-comment-zh")

    notice = Notification.objects.get(recipient__username=dev, event="comment.mentioned")
    assert main.key in notice.title
    reader = desk("payments_dev").page
    reader.goto("/notifications/")
    expect(reader.locator("main")).to_contain_text("退款接口能否支持部分金额")
