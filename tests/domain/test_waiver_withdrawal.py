"""A waiver recorded by mistake is withdrawn, with the reason, by those who may record one: the
party must then be met or waived again before finalizing, and a baseline finalized while the
waiver was in force keeps it."""

import pytest

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.meetings.selectors import waivers_by_baseline, waivers_in_force
from techalign.meetings.services import waive_attendance, withdraw_waiver
from techalign.plans.selectors import current_revision, latest_baseline
from tests.factories import finalize_current, finance_waived, open_change


def test_after_the_withdrawal_finalizing_needs_the_party_again(w):
    req, waiver = finance_waived(w)
    withdraw_waiver(waiver=waiver, actor=w.arch, reason="王伟其实没参会，也没书面确认")
    with pytest.raises(Refused) as refused:
        finalize_current(req, w.ming)
    assert refused.value.code == "finalize.party_not_aligned"
    event = AuditEvent.objects.get(action="meeting.waiver_withdrawn")
    assert event.actor == w.arch and event.summary["team"] == "finance"
    assert waivers_in_force(req, current_revision(req)) == []

    again = waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason="书面确认")
    baseline = finalize_current(req, w.ming)
    assert waivers_by_baseline(req, [baseline])[baseline.pk] == [again]


def test_a_baseline_keeps_the_waiver_in_force_when_it_was_finalized(w):
    req, waiver = finance_waived(w)
    first = finalize_current(req, w.ming)
    open_change(w, req, affected=[w.payments])
    withdraw_waiver(waiver=waiver, actor=w.qiang, reason="下一版本要当面对齐")
    assert waivers_by_baseline(req, [first])[first.pk] == [waiver]
    assert waivers_in_force(req, first.revision, before=first.finalized_at) == [waiver]
    assert waivers_in_force(req, current_revision(req)) == []
    assert latest_baseline(req) == first


def test_who_may_withdraw_and_what_is_refused(w):
    _req, waiver = finance_waived(w)
    with pytest.raises(Refused) as role:
        withdraw_waiver(waiver=waiver, actor=w.lei, reason="不需要")
    assert role.value.code == "role.not_allowed"
    with pytest.raises(Refused) as empty:
        withdraw_waiver(waiver=waiver, actor=w.qiang, reason="  ")
    assert empty.value.code == "waiver.withdrawal_reason_required"
    withdraw_waiver(waiver=waiver, actor=w.qiang, reason="记错了")
    with pytest.raises(Refused) as twice:
        withdraw_waiver(waiver=waiver, actor=w.qiang, reason="再撤一次")
    assert twice.value.code == "waiver.withdrawn"
    waiver.refresh_from_db()
    assert (waiver.withdrawn_by, waiver.withdrawal_reason) == (w.qiang, "记错了")


def test_the_party_and_the_lead_team_hear_of_the_waiver_and_its_withdrawal(
    w, django_capture_on_commit_callbacks
):
    from django.utils import translation

    from techalign.notify.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        req, waiver = finance_waived(w)
    recorded = Notification.objects.filter(event="waiver.recorded")
    assert {n.recipient.username for n in recorded} == {"li", "wei", "ming", "lei", "fang"}
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_waiver(waiver=waiver, actor=w.qiang, reason="记错了")
    told = Notification.objects.get(event="waiver.withdrawn", recipient=w.wei)
    with translation.override("zh-hans"):
        title, body = told.shown()
    assert title == f"{req.key} 上 财务组 的豁免已撤回"
    assert "记错了" in body and "qiang" in body
    assert told.url.endswith("/align/#attendance")
