"""Every collection a person can grow has a cap: meetings of a requirement, invitees, decisions
and action items of a meeting, attendance waivers and comments. Past it the service refuses with
`limit.too_many` naming the limit and the value, and nothing is written."""

import datetime as dt

import pytest
from django.utils import timezone

from techalign.comments.services import add_comment
from techalign.core import limits
from techalign.core.errors import Refused
from techalign.meetings import services as meetings
from techalign.meetings.models import ActionItem, Decision
from tests.factories import advance, meeting_taken_place


def cap(monkeypatch, name: str, value: int) -> None:
    monkeypatch.setitem(limits.COUNTS, name, (value, name))


def refused_past(limit: int, action) -> Refused:
    with pytest.raises(Refused) as refused:
        action()
    assert refused.value.code == "limit.too_many"
    assert refused.value.status == 422
    assert (refused.value.details["limit"], refused.value.details["value"]) == (limit, limit + 1)
    return refused.value


def test_a_meeting_takes_decisions_and_action_items_up_to_their_caps(w, monkeypatch):
    req = advance(w, "aligning")
    meeting = meeting_taken_place(w, req)
    cap(monkeypatch, "decisions_per_meeting", 2)
    cap(monkeypatch, "action_items_per_meeting", 1)
    for text in ("退款走原路", "对账 T+1"):
        meetings.record_decision(meeting=meeting, actor=w.ming, text=text)
    refused_past(2, lambda: meetings.record_decision(meeting=meeting, actor=w.ming, text="第三条"))
    assert Decision.objects.filter(meeting=meeting).count() == 2

    due = dt.date.today() + dt.timedelta(days=3)
    meetings.add_action_item(meeting=meeting, actor=w.ming, text="补接口", owner=w.jun, due_on=due)
    refused_past(
        1,
        lambda: meetings.add_action_item(
            meeting=meeting, actor=w.ming, text="再补", owner=w.wei, due_on=due
        ),
    )
    assert ActionItem.objects.filter(meeting=meeting).count() == 1


def test_a_requirement_takes_meetings_up_to_its_cap(w, monkeypatch):
    req = advance(w, "aligning")
    cap(monkeypatch, "meetings_per_requirement", 1)
    start = timezone.now() + dt.timedelta(days=3)
    refused_past(
        1,
        lambda: meetings.schedule_meeting(
            requirement=req, actor=w.ming, starts_at=start, ends_at=start + dt.timedelta(hours=1)
        ),
    )
    assert req.meetings.count() == 1


def test_a_meeting_takes_invitees_up_to_its_cap_and_a_known_invitee_can_still_change(
    w, monkeypatch
):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    seated = meeting.invitees.count()
    cap(monkeypatch, "invitees_per_meeting", seated)
    refused_past(seated, lambda: meetings.add_invitee(meeting=meeting, actor=w.ming, user=w.qiang))
    # Someone already invited is not counted again: making them optional still works.
    meetings.add_invitee(meeting=meeting, actor=w.ming, user=w.jun, is_required=True)
    assert meeting.invitees.count() == seated


def test_waivers_and_comments_have_caps(w, monkeypatch):
    req = advance(w, "aligning")
    cap(monkeypatch, "waivers_per_requirement", 1)
    meetings.waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason="封账周")
    refused_past(
        1,
        lambda: meetings.waive_attendance(
            requirement=req, actor=w.qiang, team=w.payments, reason="出差"
        ),
    )
    assert req.attendance_waivers.count() == 1

    cap(monkeypatch, "comments_per_requirement", 1)
    add_comment(requirement=req, actor=w.ming, body="第一条")
    refused_past(1, lambda: add_comment(requirement=req, actor=w.ming, body="第二条"))
    assert req.comments.count() == 1
