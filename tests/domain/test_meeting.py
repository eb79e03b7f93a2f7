"""Steps 3 and 4, the alignment meeting: only an approved plan is taken to a meeting, with the lead
PM and DEV and a PM and a DEV of every related party; a lead-team DEV presents, never the PM."""

import datetime as dt

import pytest
from django.utils import timezone

from techalign.core.errors import Refused
from techalign.meetings import services as meetings
from techalign.meetings.models import Meeting
from techalign.org.models import Role
from techalign.plans import services as plans
from techalign.requirements.models import Status
from tests.domain.support import current, due, status_of
from tests.factories import advance, grant, make_component, make_user

START = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
END = START + dt.timedelta(hours=1)


def schedule(w, req, **kwargs):
    return meetings.schedule_meeting(
        requirement=req, actor=kwargs.pop("actor", w.ming), starts_at=START, ends_at=END, **kwargs
    )


def invited(meeting):
    return sorted(meeting.invitees.values_list("user__username", flat=True))


def test_an_approved_plan_is_taken_to_a_meeting_with_every_partys_pm_and_dev(w):
    req = advance(w, "approved")

    meeting = schedule(w, req)

    assert meeting.key == "M-1"
    assert meeting.presenter == w.lei
    assert meeting.revision == current(req)
    assert invited(meeting) == ["hua", "jun", "lei", "li", "ming", "wei"]
    assert status_of(req) == Status.ALIGNING


@pytest.mark.parametrize("step", ["handed_off", "planning", "in_review"])
def test_a_meeting_for_a_plan_that_is_not_approved_is_refused(w, step):
    req = advance(w, step)

    with pytest.raises(Refused) as refused:
        schedule(w, req)

    assert refused.value.code == "meeting.plan_not_approved"
    assert refused.value.details["requirement"] == req.key
    assert not Meeting.objects.exists()
    assert status_of(req) == step


@pytest.mark.parametrize("persona", ["hua", "qiang", "charlie"])
def test_only_the_lead_teams_pm_or_dev_schedules_the_meeting(w, persona):
    req = advance(w, "approved")

    with pytest.raises(Refused) as refused:
        schedule(w, req, actor=getattr(w, persona))

    assert refused.value.code == "role.not_allowed"
    assert not Meeting.objects.exists()


def test_required_invitees_without_a_dev_of_a_party_are_refused_naming_the_party(w):
    req = advance(w, "approved")

    with pytest.raises(Refused) as refused:
        schedule(w, req, required=[w.ming, w.lei, w.hua, w.li, w.wei])

    assert refused.value.code == "meeting.invitees_missing"
    assert refused.value.details == {"missing": ["支付组 DEV"]}
    assert not Meeting.objects.exists()
    assert status_of(req) == Status.APPROVED


def test_required_invitees_without_the_lead_pm_are_refused_naming_them(w):
    req = advance(w, "approved")

    with pytest.raises(Refused) as refused:
        schedule(w, req, required=[w.lei, w.hua, w.jun, w.li, w.wei])

    assert refused.value.code == "meeting.invitees_missing"
    assert refused.value.details == {"missing": ["订单组 PM ming"]}


def test_a_hand_picked_invitee_list_that_meets_the_minimum_is_accepted(w):
    req = advance(w, "approved")

    meeting = schedule(
        w, req, required=[w.ming, w.lei, w.hua, w.jun, w.li, w.wei], optional=[w.qiang]
    )

    assert invited(meeting) == ["hua", "jun", "lei", "li", "ming", "qiang", "wei"]
    assert not meeting.invitees.get(user=w.qiang).is_required


def test_a_person_who_is_both_pm_and_dev_of_a_party_fills_both_seats(w):
    req = advance(w, "planning")
    coupons = make_component("coupon-api", w.elsewhere, name="优惠券接口")
    plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=3,
        component=coupons,
        kind="api_change",
        title="退回优惠券",
        ask="退款时退回优惠券",
        due_on=due(),
        scenario_keys=["S-1"],
    )
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=4)
    plans.approve_revision(revision=current(req), actor=w.qiang)

    meeting = schedule(w, req)

    assert "charlie" in invited(meeting)
    assert meeting.invitees.filter(user=w.charlie).count() == 1


@pytest.mark.parametrize("persona", ["ming", "jun", "qiang"])
def test_the_presenter_must_be_a_dev_of_the_lead_team(w, persona):
    req = advance(w, "approved")

    with pytest.raises(Refused) as refused:
        schedule(w, req, presenter=getattr(w, persona), optional=[getattr(w, persona)])

    assert refused.value.code == "meeting.presenter_not_dev"
    assert refused.value.details == {"team": "订单组", "user": persona}
    assert not Meeting.objects.exists()


def test_the_presenter_must_be_invited(w):
    req = advance(w, "approved")

    with pytest.raises(Refused) as refused:
        schedule(w, req, presenter=w.fang)
    assert refused.value.code == "meeting.presenter_not_invited"

    meeting = schedule(
        w, req, presenter=w.fang, required=[w.ming, w.lei, w.fang, w.hua, w.jun, w.li, w.wei]
    )
    assert meeting.presenter == w.fang


def test_the_presenter_cannot_be_changed_to_the_pm(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()

    with pytest.raises(Refused) as refused:
        meetings.change_presenter(meeting=meeting, actor=w.ming, presenter=w.ming)

    assert refused.value.code == "meeting.presenter_not_dev"
    meeting.refresh_from_db()
    assert meeting.presenter == w.lei


def test_a_meeting_must_end_after_it_starts(w):
    req = advance(w, "approved")

    with pytest.raises(Refused) as refused:
        meetings.schedule_meeting(requirement=req, actor=w.ming, starts_at=END, ends_at=START)

    assert refused.value.code == "meeting.bad_time"
    assert not Meeting.objects.exists()


def test_removing_an_invitee_below_the_minimum_is_refused(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()

    with pytest.raises(Refused) as refused:
        meetings.remove_invitee(meeting=meeting, actor=w.ming, user=w.jun)

    assert refused.value.code == "meeting.below_minimum"
    assert refused.value.details == {"user": "jun", "role": "DEV", "team": "支付组"}
    assert meeting.invitees.filter(user=w.jun).exists()


def test_removing_an_invitee_is_allowed_when_another_fills_their_seat(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    dan = grant(make_user("dan"), w.payments, Role.DEV)
    meetings.add_invitee(meeting=meeting, actor=w.ming, user=dan, is_required=True)

    meetings.remove_invitee(meeting=meeting, actor=w.ming, user=w.jun)

    assert "jun" not in invited(meeting)
    assert "dan" in invited(meeting)


def test_removing_an_optional_invitee_is_allowed(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    meetings.add_invitee(meeting=meeting, actor=w.ming, user=w.qiang)

    meetings.remove_invitee(meeting=meeting, actor=w.ming, user=w.qiang)

    assert invited(meeting) == ["hua", "jun", "lei", "li", "ming", "wei"]


def test_cancelling_the_only_meeting_returns_the_requirement_to_approved(w):
    req = advance(w, "aligning")

    meetings.cancel_meeting(meeting=req.meetings.get(), actor=w.lei, reason="改期")

    assert status_of(req) == Status.APPROVED
    assert req.meetings.get().status == Meeting.Status.CANCELLED


def test_an_outsider_cannot_write_the_minutes(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()

    with pytest.raises(Refused) as refused:
        meetings.record_decision(meeting=meeting, actor=w.charlie, text="不做了")

    assert refused.value.code == "meeting.not_participant"
    assert not meeting.decisions.exists()


def test_an_invitee_of_a_party_records_a_decision(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()

    meetings.record_decision(meeting=meeting, actor=w.hua, text="支付组 5 月 20 日前提供接口")

    assert [d.text for d in meeting.decisions.all()] == ["支付组 5 月 20 日前提供接口"]
