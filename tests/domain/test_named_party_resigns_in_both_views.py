"""A party a change request names signs again under it, though its section did not change:
the plan's own sign-off state and My work's batch of owed sign-offs read the same rule
(plans.selectors), so both say so, and both leave an unnamed, untouched party signed."""

from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.web.selectors import signoffs_owed
from tests.factories import advance, open_change, review_current, sign_all


def test_a_party_named_by_a_change_request_must_sign_again_in_both_views(w):
    req = advance(w, "finalized")
    change = open_change(w, req, affected=[w.payments])
    # Only the lead team's item changes: the payments section stays as it was signed.
    plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-1", description="大额退款先审批"
    )
    review_current(w, req)
    revision = selectors.current_revision(req)

    state = selectors.signoff_state(req, revision)
    payments = state.of(w.payments.pk)
    assert not payments.is_complete and payments.missing_roles == ["DEV"]
    assert [s.voided_reason.code for s in payments.voided] == ["change_named"]
    assert change.key in payments.voided[0].voided_reason.message
    assert state.of(w.finance.pk).is_complete  # not named, section unchanged

    owed = [(o.requirement.key, o.team.code, o.revision_number) for o in signoffs_owed(w.jun)]
    assert owed == [(req.key, "payments", revision.number)]
    assert signoffs_owed(w.wei) == []

    sign_all(w, req, teams=[w.payments])
    revision = selectors.current_revision(req)
    assert selectors.signoff_state(req, revision).of(w.payments.pk).is_complete
    assert signoffs_owed(w.jun) == []
