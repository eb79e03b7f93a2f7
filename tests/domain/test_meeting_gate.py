"""The alignment meeting as a gate: a meeting is held (not before its start, with attendance
recorded) on the approved revision; the parties sign off only after it; finalizing needs a PM
and a DEV of every party at a held meeting, or a waiver with the reason for that party."""

import datetime as dt

import pytest
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.meetings import services as meetings
from techalign.meetings.models import AttendanceWaiver, Meeting
from techalign.meetings.selectors import party_attendance, waivers_in_force
from techalign.org.models import Role
from techalign.plans import services as plans
from techalign.plans.models import Baseline, SignOff
from techalign.requirements.models import Status
from tests.domain.support import add_progress_item, current, due, status_of
from tests.domain.test_signoff_finalize import finalize, sign
from tests.factories import advance, grant, hold_meeting, make_component, make_team, make_user
from tests.factories import sign_all as sign_every_party


def meeting_in_the_past(w, req, *, hours_ago: int = 2) -> Meeting:
    """ming schedules the alignment meeting of an approved plan to have started `hours_ago`."""
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours_ago)
    return meetings.schedule_meeting(
        requirement=req, actor=w.ming, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )


def record_everyone(w, meeting, *, absent=()):
    for invitee in meeting.invitees.select_related("user"):
        meetings.record_attendance(
            meeting=meeting,
            actor=w.ming,
            user=invitee.user,
            attended=invitee.user not in absent,
        )


# --- marking a meeting held ------------------------------------------------------------------


def test_a_meeting_cannot_be_marked_held_before_it_starts(w):
    req = advance(w, "aligning")  # the meeting starts in two days
    meeting = req.meetings.get()
    record_everyone(w, meeting)

    with pytest.raises(Refused) as refused:
        meetings.mark_held(meeting=meeting, actor=w.ming)

    assert refused.value.code == "meeting.not_started"
    starts = timezone.localtime(meeting.starts_at).isoformat(timespec="minutes")
    assert refused.value.details == {"meeting": "M-1", "starts": starts}
    assert starts in refused.value.message
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert meeting.held_revision is None


def test_a_meeting_that_has_started_is_held_on_the_approved_current_revision(w):
    req = advance(w, "approved")
    meeting = meeting_in_the_past(w, req)
    record_everyone(w, meeting)

    meetings.mark_held(meeting=meeting, actor=w.lei)

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert meeting.held_revision == current(req)
    assert meeting.held_at is not None
    event = AuditEvent.objects.filter(action="meeting.held").get()
    assert event.summary == {"key": "M-1", "revision": 3}


def test_a_meeting_without_everyones_attendance_cannot_be_marked_held(w):
    req = advance(w, "approved")
    meeting = meeting_in_the_past(w, req)
    meetings.record_attendance(meeting=meeting, actor=w.ming, user=w.ming, attended=True)
    meetings.record_attendance(meeting=meeting, actor=w.ming, user=w.lei, attended=True)
    meetings.record_attendance(meeting=meeting, actor=w.ming, user=w.hua, attended=False)

    with pytest.raises(Refused) as refused:
        meetings.mark_held(meeting=meeting, actor=w.ming)

    assert refused.value.code == "meeting.attendance_missing"
    assert sorted(refused.value.details["users"]) == ["jun", "li", "wei"]
    assert "jun" in refused.value.message
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_a_meeting_on_a_plan_revised_since_approval_cannot_be_marked_held(w):
    req = advance(w, "approved")
    meeting = meeting_in_the_past(w, req)
    record_everyone(w, meeting)
    add_progress_item(req, w.lei)  # revision 4, not approved: the plan is back in planning

    with pytest.raises(Refused) as refused:
        meetings.mark_held(meeting=meeting, actor=w.ming)

    assert refused.value.code == "meeting.revision_not_approved"
    assert refused.value.details == {"meeting": "M-1", "revision": 4}
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


# --- sign-offs wait for the meeting ----------------------------------------------------------


def test_signing_before_the_meeting_is_held_is_refused(w):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        sign(req, w.jun, w.payments)

    assert refused.value.code == "signoff.meeting_not_held"
    assert req.key in refused.value.message
    assert not SignOff.objects.exists()


def test_signing_after_the_meeting_is_held_is_allowed(w):
    req = advance(w, "aligning")
    hold_meeting(w, req)

    signoff = sign(req, w.jun, w.payments)

    assert signoff.team == w.payments
    assert SignOff.objects.count() == 1


# --- finalizing needs every party at the meeting, or a waiver --------------------------------


def test_finalizing_without_a_partys_dev_at_the_meeting_is_refused_naming_it(w):
    req = advance(w, "aligning")
    hold_meeting(w, req, absent=(w.wei,))
    sign_every_party(w, req)

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)

    assert refused.value.code == "finalize.party_not_aligned"
    assert refused.value.details == {"teams": ["财务组"], "parties": ["财务组 DEV"]}
    assert "财务组 DEV" in refused.value.message
    assert not Baseline.objects.exists()
    assert status_of(req) == Status.ALIGNING


def test_a_waiver_lets_the_plan_be_finalized_without_that_party_at_the_meeting(w):
    req = advance(w, "aligning")
    hold_meeting(w, req, absent=(w.li, w.wei))
    sign_every_party(w, req)

    waiver = meetings.waive_attendance(
        requirement=req, actor=w.qiang, team=w.finance, reason="财务组封账周，书面确认过改动"
    )
    baseline = finalize(req, w.ming)

    assert baseline.version == 1
    assert status_of(req) == Status.FINALIZED
    assert waiver.recorded_by == w.qiang
    assert waivers_in_force(req, baseline.revision, before=baseline.finalized_at) == [waiver]
    event = AuditEvent.objects.filter(action="meeting.attendance_waived").get()
    assert event.summary == {"team": "finance", "reason": "财务组封账周，书面确认过改动"}


def test_attendance_counts_whoever_holds_the_role_in_the_party(w):
    """A person who is both PM and DEV of a party covers both roles when they attend."""
    req = advance(w, "aligning")
    grant(w.hua, w.payments, Role.DEV)
    hold_meeting(w, req, absent=(w.jun,))

    rows = {row.team.code: row for row in party_attendance(req, current(req))}

    assert rows["payments"].missing == []
    assert rows["payments"].attended[Role.DEV] == [w.hua]
    assert all(row.is_aligned for row in rows.values())


def test_a_party_added_after_the_meeting_needs_another_meeting_or_a_waiver(w):
    req = advance(w, "aligning")
    hold_meeting(w, req)
    logistics = make_team("logistics", name="物流组")
    pm, dev = make_user("xia"), make_user("tao")
    grant(pm, logistics, Role.PM)
    grant(dev, logistics, Role.DEV)
    plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=3,
        component=make_component("waybill", logistics, name="运单"),
        kind="api_change",
        title="退款时取消运单",
        ask="退款时取消未发货运单",
        due_on=due(),
        scenario_keys=["S-1"],
        confirm=True,
    )
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=4)
    plans.approve_revision(revision=current(req), actor=w.qiang)
    sign_every_party(w, req)
    sign(req, dev, logistics)

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)
    assert refused.value.code == "finalize.party_not_aligned"
    assert refused.value.details == {"teams": ["物流组"], "parties": ["物流组 PM", "物流组 DEV"]}

    meetings.waive_attendance(
        requirement=req, actor=w.arch, team=logistics, reason="只取消运单，电话里对齐过"
    )
    assert finalize(req, w.ming).version == 1


# --- who may waive, and what a waiver needs --------------------------------------------------


@pytest.mark.parametrize("persona", ["lei", "ming", "jun", "hua", "charlie"])
def test_a_pm_or_dev_cannot_waive_a_partys_attendance(w, persona):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        meetings.waive_attendance(
            requirement=req, actor=getattr(w, persona), team=w.finance, reason="出差"
        )

    assert refused.value.code == "role.not_allowed"
    assert refused.value.details["user"] == persona
    assert not AttendanceWaiver.objects.exists()


@pytest.mark.parametrize("persona", ["qiang", "arch"])
def test_the_tech_lead_or_a_committee_architect_waives_a_partys_attendance(w, persona):
    req = advance(w, "aligning")

    waiver = meetings.waive_attendance(
        requirement=req, actor=getattr(w, persona), team=w.finance, reason="出差"
    )

    assert AttendanceWaiver.objects.get() == waiver
    assert waiver.team == w.finance and waiver.reason == "出差"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_waiver_needs_a_reason(w, reason):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        meetings.waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason=reason)

    assert refused.value.code == "waiver.reason_required"
    assert refused.value.details == {"team": "财务组"}
    assert not AttendanceWaiver.objects.exists()


def test_a_waiver_for_a_team_that_is_not_a_party_is_refused(w):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        meetings.waive_attendance(requirement=req, actor=w.qiang, team=w.elsewhere, reason="无关")

    assert refused.value.code == "waiver.not_a_party"
    assert refused.value.details == {"team": "营销组", "revision": 3}
    assert not AttendanceWaiver.objects.exists()


def test_waivers_recorded_after_a_baseline_are_not_in_force_for_it(w):
    req = advance(w, "finalized")
    baseline = req.baselines.get()
    meetings.waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason="之后才记录")

    assert waivers_in_force(req, baseline.revision, before=baseline.finalized_at) == []


def test_meetings_held_before_the_gate_are_migrated_as_held_on_their_revision(w):
    """Old data: a held meeting without `held_revision` was held on the revision it was set
    up for."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("techalign.meetings.migrations.0003_held_revision_and_waivers")
    req = advance(w, "aligning")
    held = hold_meeting(w, req)
    Meeting.objects.filter(pk=held.pk).update(held_revision=None)

    migration.held_on_their_revision(apps, None)

    held.refresh_from_db()
    assert held.held_revision == held.revision
