"""The alignment-meeting rules: a baseline made with a waiver instead of a party at the meeting
(TA116), and sign-offs given before any meeting was held (TA117).

The gate now refuses a sign-off before a held meeting, so TA117's tripping cases date the rows
directly: the rule exists for data from before the gate."""

import datetime as dt

from django.utils import translation

from techalign.health.base import Severity
from techalign.health.selectors import requirement_findings
from techalign.meetings.models import Meeting
from techalign.meetings.services import waive_attendance
from techalign.plans import selectors as plan_selectors
from techalign.plans import services as plans
from techalign.plans.models import SignOff
from tests.factories import advance, hold_meeting, sign_all
from tests.health.test_lint import lint


def found(req, code):
    return [f for f in requirement_findings(req) if f.code == code]


def _finalized_with_finance_waived(w, absent=()):
    req = advance(w, "aligning")
    hold_meeting(w, req, absent=absent)
    sign_all(w, req)
    waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason="封账周")
    revision = plan_selectors.current_revision(req)
    plans.finalize(
        requirement=req,
        actor=w.ming,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )
    return req


def test_ta116_a_baseline_made_with_a_waiver_is_found(w):
    req = _finalized_with_finance_waived(w, absent=(w.wei,))

    (finding,) = found(req, "TA116")

    assert finding.severity == Severity.WARNING
    assert finding.subject == "v1"
    assert finding.teams == {w.order.pk, w.finance.pk}
    with translation.override("en"):
        assert finding.message == (
            f"{req.key} baseline v1: 财务组 was excused from the alignment meeting by qiang "
            "(封账周) instead of attending."
        )
    with translation.override("zh-hans"):
        assert "经 qiang 豁免未参加对齐会（封账周）" in finding.message


def test_ta116_a_baseline_with_every_party_at_the_meeting_is_not_found(w):
    req = advance(w, "finalized")
    # A waiver recorded after the baseline was not in force when it was made.
    waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason="之后才记录")

    assert found(req, "TA116") == []


def test_ta117_a_sign_off_dated_before_the_meeting_was_held_is_found(w):
    req = advance(w, "aligning")
    meeting = hold_meeting(w, req)
    sign_all(w, req)
    SignOff.objects.filter(team=w.payments).update(
        created_at=meeting.held_at - dt.timedelta(days=1)
    )

    (finding,) = found(req, "TA117")

    assert finding.severity == Severity.ERROR
    assert finding.teams == {w.order.pk, w.payments.pk}
    assert finding.subject == "r3/payments"
    with translation.override("en"):
        assert "支付组 signed revision 3 on" in finding.message
        assert finding.message.endswith("before any alignment meeting of the requirement was held.")


def test_ta117_sign_offs_on_a_requirement_whose_meeting_never_took_place_are_found(w):
    req = advance(w, "aligning")
    hold_meeting(w, req)
    sign_all(w, req)
    Meeting.objects.filter(requirement=req).update(
        status=Meeting.Status.SCHEDULED, held_at=None, held_revision=None
    )

    assert sorted(f.subject for f in found(req, "TA117")) == [
        "r3/finance",
        "r3/order",  # the lead team signs twice: its PM and its lead DEV
        "r3/order",
        "r3/payments",
    ]


def test_ta117_sign_offs_after_the_meeting_are_not_found(w):
    req = advance(w, "finalized")

    assert found(req, "TA117") == []


def test_lint_exits_1_on_a_sign_off_before_the_meeting_and_0_on_a_waiver(w):
    # Everyone came (an absence is TA105, an error): the waiver alone is a warning.
    req = _finalized_with_finance_waived(w)
    code, out = lint("--language", "en")
    assert code == 0
    assert f"{req.key}/v1: warning TA116 [baseline-with-waiver]" in out

    SignOff.objects.filter(team=w.order).update(
        created_at=req.meetings.get().held_at - dt.timedelta(hours=1)
    )
    code, out = lint("--language", "en")
    assert code == 1
    assert f"{req.key}/r3/order: error TA117 [sign-off-before-meeting]" in out
