"""Targeted re-sign-off: a sign-off is pinned to its revision and to the hash of its party's
section (its items and the scenarios they cover; the whole plan for the lead team). A new
revision keeps the sign-offs of parties whose section did not change, voids the others with the
reason, and after re-approval only the parties without a standing sign-off are asked again."""

import pytest

from techalign.core.errors import Refused
from techalign.notify.models import Notification
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.plans.sections import section_hash
from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from tests.domain.support import current, status_of
from tests.factories import advance, finalize_current, open_change, review_current, sign_all


def state_of(req):
    return selectors.signoff_state(req, current(req))


def reasons(party):
    return [(s.signer.username, s.revision.number, s.voided_reason.code) for s in party.voided]


def edit_payments_ask(w, req, based_on=3, ask="请支持部分退款与冲正"):
    plans.update_item(
        requirement=req, actor=w.lei, based_on=based_on, item_key="I-2", ask=ask, confirm=True
    )


def test_a_sign_off_is_pinned_to_its_partys_section_hash(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    revision = current(req)

    hashes = {(s.team.code, s.role): s.section_hash for s in revision.signoffs.all()}

    assert hashes[("order", "PM")] == revision.content_hash
    assert hashes[("payments", "DEV")] == section_hash(revision.content, "payments", is_lead=False)
    assert hashes[("payments", "DEV")] != hashes[("finance", "DEV")]


def test_editing_one_partys_item_keeps_the_other_partys_sign_off_standing(w):
    req = advance(w, "aligning")
    sign_all(w, req)

    edit_payments_ask(w, req)

    assert status_of(req) == Status.PLANNING  # the reviewer approves the new revision again
    state = state_of(req)
    finance, payments, order = (state.of(t.pk) for t in (w.finance, w.payments, w.order))
    assert finance.is_complete and not finance.is_asked
    assert [(s.signer.username, s.revision.number) for s in finance.signoffs] == [("wei", 3)]
    assert finance.signoffs[0].stands
    assert reasons(payments) == [("jun", 3, "section_changed")]
    assert payments.voided[0].voided_reason.message == "its section changed in r4"
    assert sorted(reasons(order)) == [("lei", 3, "lead_resigns"), ("ming", 3, "lead_resigns")]
    assert [t.code for t in state.missing] == ["order", "payments"]


def test_after_re_approval_only_the_affected_parties_sign_again(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    edit_payments_ask(w, req)
    review_current(w, req)

    with pytest.raises(Refused) as refused:
        finalize_current(req, w.ming)
    assert refused.value.code == "finalize.signoffs_missing"
    assert refused.value.details == {"revision": 4, "teams": ["订单组", "支付组"]}
    with pytest.raises(Refused) as refused:
        sign_all(w, req, teams=[w.finance])
    assert refused.value.code == "signoff.stands"
    assert refused.value.details == {"team": "财务组", "signed": 3, "revision": 4}

    sign_all(w, req, teams=[w.order, w.payments])
    baseline = finalize_current(req, w.ming)

    assert {(s.team.code, s.role, s.revision.number) for s in baseline.signoffs.all()} == {
        ("order", "PM", 4),
        ("order", "DEV", 4),
        ("payments", "DEV", 4),
        ("finance", "DEV", 3),
    }


def test_a_scenario_change_voids_the_parties_covering_it(w):
    req = advance(w, "aligning")
    sign_all(w, req)

    requirements.update_scenario(
        scenario=req.scenarios.get(number=2),
        actor=w.ming,
        acceptance_criteria="退款金额可部分",
        confirm=True,
    )

    state = state_of(req)
    assert reasons(state.of(w.payments.pk)) == [("jun", 3, "scenarios_changed")]
    assert state.of(w.payments.pk).voided[0].voided_reason.message == (
        "the scenarios it covers changed in r4"
    )
    assert state.of(w.finance.pk).is_complete
    assert not state.of(w.order.pk).is_complete


def test_a_voided_sign_off_does_not_come_back_when_the_section_is_changed_back(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    edit_payments_ask(w, req)
    edit_payments_ask(w, req, based_on=4, ask="请支持部分退款")  # r5: as signed on r3

    payments = state_of(req).of(w.payments.pk)

    assert current(req).number == 5
    assert not payments.standing
    assert reasons(payments) == [("jun", 3, "section_changed")]


def test_after_re_approval_only_parties_without_a_standing_sign_off_are_notified(
    w, django_capture_on_commit_callbacks
):
    req = advance(w, "aligning")
    sign_all(w, req)
    edit_payments_ask(w, req)
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=4)

    with django_capture_on_commit_callbacks(execute=True):
        plans.approve_revision(revision=current(req), actor=w.qiang)

    asked = Notification.objects.filter(event="signoff.requested")
    assert sorted(asked.values_list("recipient__username", flat=True)) == [
        "fang",
        "hua",
        "jun",
        "lei",
        "ming",
    ]
    for notification in asked:
        assert notification.url.endswith(f"/r/{req.key}/history/?a=3&b=4")
    jun = asked.get(recipient=w.jun)
    assert "revision 3" in jun.body and "revision 4" in jun.body
    assert "section changed" in jun.body


def test_the_first_approval_asks_nobody_to_sign_before_the_meeting(
    w, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        advance(w, "approved")

    assert not Notification.objects.filter(event="signoff.requested").exists()


def test_baseline_v2_after_a_change_request_lists_every_partys_standing_sign_off(w):
    req = advance(w, "finalized")
    open_change(w, req, affected=[w.payments])
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="审批")
    review_current(w, req)

    payments = state_of(req).of(w.payments.pk)
    assert payments.is_asked  # named by the change request: it signs under it
    assert reasons(payments) == [("jun", 3, "change_named")]
    assert not state_of(req).of(w.finance.pk).is_asked
    sign_all(w, req, teams=[w.order, w.payments])
    v2 = finalize_current(req, w.ming)

    assert v2.version == 2
    assert {(s.team.code, s.role, s.revision.number) for s in v2.signoffs.all()} == {
        ("order", "PM", 4),
        ("order", "DEV", 4),
        ("payments", "DEV", 4),
        ("finance", "DEV", 3),
    }
    v1 = req.baselines.get(version=1)
    assert {(s.team.code, s.revision.number) for s in v1.signoffs.all()} == {
        ("order", 3),
        ("payments", 3),
        ("finance", 3),
    }
    assert v1.signoffs.count() == 4


def test_after_a_held_meeting_a_re_approved_plan_asks_for_sign_offs_not_another_meeting(w):
    from techalign.requirements.selectors import next_actions

    req = advance(w, "aligning")
    sign_all(w, req, [w.payments])
    edit_payments_ask(w, req)
    review_current(w, req)
    req.refresh_from_db()

    actions = {a.action: a for a in next_actions(req)}
    assert "schedule_meeting" not in actions
    assert "sign_off" in actions
