"""The slot finder is a step of scheduling, in real Chromium and in zh-Hans: the organiser opens
it from the meeting form, picks the first slot, finds the form filled with that time, and the
meeting is scheduled at it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from techalign.meetings.models import Meeting
from techalign.requirements.models import Requirement
from tests.e2e.conftest import Desk

pytestmark = pytest.mark.browser


def test_picking_a_slot_fills_the_meeting_form_and_schedules_it(browser, demo):
    requirement = Requirement.objects.get(title="新人首单立减券")
    owner = requirement.owner
    before = set(Meeting.objects.filter(requirement=requirement).values_list("pk", flat=True))
    desk = Desk(browser, demo.url, owner.username, "zh-hans")
    try:
        page = desk.page
        page.goto(f"/calendars/slots/{requirement.key}/?duration=45")
        expect(page.locator("h1")).to_contain_text("找")
        expect(page.locator("#back-to-form")).to_have_attribute(
            "href", f"/r/{requirement.key}/align/#meetings"
        )
        first = page.locator("#slots a.pick").first
        expect(first).to_have_text("用这个时间")
        shown = page.locator("#slots tbody tr td").first.inner_text()
        first.click()

        page.wait_for_url(lambda url: f"/r/{requirement.key}/align/" in url)
        schedule = page.locator('form[action$="/do/schedule_meeting/"]')
        expect(schedule).to_be_visible()
        starts = schedule.locator("input[name=starts_at]").input_value()
        ends = schedule.locator("input[name=ends_at]").input_value()
        start = dt.datetime.fromisoformat(starts)
        assert dt.datetime.fromisoformat(ends) - start == dt.timedelta(minutes=45)
        # The slot page named the same time, in the organiser's zone.
        assert f"{start:%Y-%m-%d %H:%M}" in shown and "(Asia/Shanghai)" in shown
        schedule.locator("button.primary").click()
        expect(page.locator("#meetings tbody")).to_contain_text(f"{start:%Y-%m-%d %H:%M}")
    finally:
        desk.close()
    (meeting,) = Meeting.objects.filter(requirement=requirement).exclude(pk__in=before)
    assert timezone.localtime(meeting.starts_at).replace(tzinfo=None) == start
    assert meeting.ends_at - meeting.starts_at == dt.timedelta(minutes=45)
