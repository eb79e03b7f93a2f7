"""A party's section that changed after it signed and then changed back: the sign-off was voided
by the change, so the party signs again. The plan's sign-off state (the finalize gate) and My
work's batch of owed sign-offs walk the same revisions, so both say so."""

from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.web.selectors import signoffs_owed
from tests.factories import advance, meeting_taken_place, review_current, sign_all


def test_a_section_changed_and_changed_back_is_signed_again_in_both_views(w):
    req = advance(w, "aligning")
    meeting_taken_place(w, req)
    sign_all(w, req, teams=[w.payments])
    signed_on = selectors.current_revision(req).number
    original = selectors.current_revision(req).items.get(number=2).description
    assert signoffs_owed(w.jun) == []
    # The lead DEV changes the payments item, then changes it back: two new revisions.
    for number, description in enumerate(["先冻结再退款", original], start=signed_on):
        plans.update_item(
            requirement=req,
            actor=w.lei,
            based_on=number,
            item_key="I-2",
            description=description,
            confirm=True,
        )
    review_current(w, req)
    revision = selectors.current_revision(req)
    assert revision.number == signed_on + 2

    payments = selectors.signoff_state(req, revision).of(w.payments.pk)
    assert not payments.is_complete
    assert {s.voided_reason.revision for s in payments.voided} == {signed_on + 1}

    owed = [(o.requirement.key, o.team.code, o.revision_number) for o in signoffs_owed(w.jun)]
    assert owed == [(req.key, "payments", revision.number)]
