"""A related party's DEV declines the alignment meeting from the link in the invitation mail,
without signing in, in Chinese; the organiser then sees the seat left empty on the meeting page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from techalign.meetings import services as meetings
from techalign.meetings.models import Invitee
from techalign.notify.worker import run_ready_tasks
from techalign.requirements.models import Requirement
from tests.e2e.conftest import ARTIFACTS, Desk

pytestmark = pytest.mark.browser

DECLINE = re.compile(r"https?://\S+/answer/decline/\S+/")


def test_declining_from_the_mail_warns_the_organiser(browser, demo, settings):
    settings.TECHALIGN_BASE_URL = demo.url
    requirement = Requirement.objects.get(title="新人首单立减券")
    start = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    meeting = meetings.schedule_meeting(
        requirement=requirement,
        actor=requirement.owner,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )
    run_ready_tasks()
    dev = meeting.invitees.filter(is_required=True, role="DEV").exclude(team=requirement.lead_team)[
        0
    ]
    answer_path = f"/r/{requirement.key}/meetings/{meeting.key}/answer/"
    (invitation,) = [m for m in mail.outbox if dev.user.email in m.to and answer_path in m.body]
    link = DECLINE.search(invitation.body).group(0)

    ARTIFACTS.mkdir(exist_ok=True)
    visitor = browser.new_context(locale="zh-CN")
    try:
        page = visitor.new_page()
        page.goto(link)
        expect(page.locator("h1")).to_have_text("答复邀请")
        expect(page.locator("input[name=response][value=declined]")).to_be_checked()
        assert Invitee.objects.get(pk=dev.pk).response == "needs_action"  # opening is no answer
        page.fill("textarea[name=note]", "那天在外地出差")
        page.get_by_role("button", name="提交答复").click()
        expect(page.locator("#answer-recorded")).to_contain_text("已拒绝")
        page.screenshot(path=str(ARTIFACTS / "invitation-answer-link.png"), full_page=True)
    finally:
        visitor.close()

    organiser = Desk(browser, demo.url, requirement.owner.username, "zh-hans")
    try:
        organiser.page.goto(f"/r/{requirement.key}/meetings/{meeting.key}/")
        warning = organiser.page.locator(".seat-empty").first
        expect(warning).to_contain_text("席位空缺")
        expect(warning).to_contain_text(f"{dev.user} 已拒绝")
        expect(warning).to_contain_text("那天在外地出差")
        expect(organiser.page.locator("#meeting_info .answer-declined")).to_have_count(1)
        organiser.shot("meeting-seat-left-empty")
    finally:
        organiser.close()
