"""Every button of the meeting page, clicked in real Chromium, leaves the page whole.

In zh-Hans first, then English, on a desktop and a phone screen: after each action the
requirement header, its tabs and the minutes are all still there, the address bar shows the
meeting's page, the change is visible, a question typed but not sent yet survives the action and
the minutes poll, and no htmx error reaches the console.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from techalign.meetings import services as meetings
from techalign.requirements.models import Requirement
from tests.e2e.conftest import Desk

pytestmark = pytest.mark.browser

SCREENS = [("desktop", 1440, 900), ("phone", 390, 844)]
HALF_TYPED = "首单券和会员券能否同时使用？还没想好怎么"


def form(page, action: str):
    return page.locator(f'form[action$="/do/{action}/"]')


def open_editor(page, action: str) -> None:
    details = page.locator(f'details:has(form[action$="/do/{action}/"])').first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()


class Watch:
    """The console errors and failed page scripts of one browser page."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def htmx_errors(self) -> list[str]:
        return [e for e in self.errors if "htmx" in e.lower()]


def assert_whole(page, url: str, watch: Watch) -> None:
    """The page is still the meeting's page, with its header, tabs and minutes."""
    expect(page.locator("#req-header")).to_have_count(1)
    expect(page.locator("#req-header nav.tabs a")).to_have_count(6)
    expect(page.locator("#meeting_info")).to_have_count(1)
    expect(page.locator("#minutes")).to_have_count(1)
    expect(page.locator("#minutes-record")).to_have_count(1)
    expect(page.locator("#minutes")).not_to_contain_text("{#")  # no template source shown
    assert page.url.endswith(url), page.url
    assert not watch.htmx_errors(), watch.htmx_errors()


def question_box(page):
    return form(page, "meeting_question").locator("textarea[name=body]")


def test_every_meeting_button_keeps_the_page_whole(browser, demo):
    requirement = Requirement.objects.get(title="新人首单立减券")
    owner = requirement.owner
    runs = [(language, screen) for language in ("zh-hans", "en") for screen in SCREENS]
    for number, (language, (screen, width, height)) in enumerate(runs):
        start = timezone.now() - dt.timedelta(minutes=5)
        meeting = meetings.schedule_meeting(
            requirement=requirement,
            actor=owner,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            title=f"{language} {screen}",
        )
        url = f"/r/{requirement.key}/meetings/{meeting.key}/"
        desk = Desk(browser, demo.url, owner.username, language)
        try:
            page = desk.page
            page.set_viewport_size({"width": width, "height": height})
            watch = Watch(page)
            page.goto(url)
            assert_whole(page, url, watch)

            # A question is half typed when the others start recording.
            open_editor(page, "meeting_question")
            question_box(page).fill(HALF_TYPED)

            invitees = list(meeting.invitees.select_related("user").order_by("user__username"))
            present, absent = invitees[0].user.username, invitees[1].user.username
            form(page, f"attendance/{present}").locator("button[value=yes]").click()
            expect(page.locator("#minutes-record .badge.ok")).to_have_count(1)
            assert_whole(page, url, watch)
            expect(question_box(page)).to_have_value(HALF_TYPED)
            expect(page.locator("#req-header .flash")).to_have_count(1)

            form(page, f"attendance/{absent}").locator("button[value=no]").click()
            expect(page.locator("#minutes-record .badge.bad")).to_have_count(1)
            assert_whole(page, url, watch)
            expect(question_box(page)).to_have_value(HALF_TYPED)

            if number == 0:
                # The minutes poll (every 15 s) re-reads the record around the typed question.
                with page.expect_response(lambda r: r.url.endswith("/minutes/"), timeout=20_000):
                    pass
                page.wait_for_timeout(300)
                assert_whole(page, url, watch)
                expect(question_box(page)).to_have_value(HALF_TYPED)

            form(page, "decision").locator("textarea").fill("叠加规则下次对齐会前定稿。")
            form(page, "decision").locator("button").click()
            expect(page.locator("#minutes-record ol")).to_contain_text("叠加规则下次对齐会前定稿")
            assert_whole(page, url, watch)
            expect(question_box(page)).to_have_value(HALF_TYPED)
            expect(form(page, "decision").locator("textarea")).to_have_value("")

            open_editor(page, "meeting_question")
            question_box(page).fill(HALF_TYPED + "排期？")
            form(page, "meeting_question").locator("input[name=is_blocking]").check()
            form(page, "meeting_question").locator("button").click()
            record = page.locator("#minutes-record")
            expect(record).to_contain_text(HALF_TYPED + "排期？")
            expect(record.locator("li .badge.bad")).to_have_count(1)
            assert_whole(page, url, watch)

            open_editor(page, "action_item")
            item = form(page, "action_item")
            item.locator("input[name='action-text']").fill("确认风控设备指纹口径")
            item.locator("select[name='action-owner']").select_option(index=1)
            item.locator("input[name='action-due_on']").fill("2030-01-15")
            item.locator("button").click()
            expect(record).to_contain_text("确认风控设备指纹口径")
            expect(record).to_contain_text("2030-01-15")
            assert_whole(page, url, watch)

            page.locator('form[action*="/do/complete_action_item/"] button').first.click()
            expect(page.locator('form[action*="/do/complete_action_item/"]')).to_have_count(0)
            assert_whole(page, url, watch)

            # The others' attendance, recorded meanwhile: a meeting is held with everyone's.
            for invitee in invitees[2:]:
                meetings.record_attendance(
                    meeting=meeting, actor=owner, user=invitee.user, attended=True
                )
            form(page, "mark_held").locator("button").click()
            expect(page.locator("#meeting_info h2 .badge.ok")).to_have_count(1)
            assert_whole(page, url, watch)
            desk.shot(f"meeting-{language}-{screen}")

            page.reload()
            assert_whole(page, url, watch)
            meeting.refresh_from_db()
            assert meeting.status == meeting.Status.HELD
            assert meeting.decisions.count() == 1
            assert meeting.action_items.filter(done_at__isnull=False).count() == 1
            assert requirement.questions.filter(meeting=meeting, is_blocking=True).count() == 1
        finally:
            desk.close()
