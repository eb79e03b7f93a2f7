"""Who signs for a party: a related party through one of its DEVs (its PM may confirm, and is
recorded, but does not complete it), the lead team through its PM and its lead DEV. A person
holding both roles signs once per capacity."""

import pytest

from techalign.core.errors import Refused
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.plans.models import Baseline, SignOff
from tests.domain.support import current
from tests.factories import advance, finalize_current, grant, hold_meeting, sign_all


def sign(req, actor, team, **kwargs):
    revision = current(req)
    return plans.sign_off(
        requirement=req,
        actor=actor,
        team=team,
        revision_number=revision.number,
        content_hash=revision.content_hash,
        **kwargs,
    )


def party(req, team):
    return selectors.signoff_state(req, current(req)).of(team.pk)


def test_a_party_pm_alone_does_not_complete_the_party(w):
    req = advance(w, "aligning")
    sign_all(w, req, teams=[w.order, w.finance])

    confirmation = sign(req, w.hua, w.payments)

    assert confirmation.role == "PM"
    assert not party(req, w.payments).is_complete
    assert party(req, w.payments).missing_roles == ["DEV"]
    with pytest.raises(Refused) as refused:
        finalize_current(req, w.ming)
    assert refused.value.code == "finalize.signer_missing"
    assert refused.value.details == {
        "requirement": req.key,
        "role": "DEV",
        "team": "支付组",
        "revision": 3,
    }
    assert refused.value.message == f"{req.key} needs a DEV of 支付组 to sign revision 3."
    assert not Baseline.objects.exists()


def test_a_party_dev_completes_the_party_and_the_pm_confirmation_is_recorded(w):
    req = advance(w, "aligning")
    sign_all(w, req, teams=[w.order, w.finance])
    sign(req, w.hua, w.payments)

    signoff = sign(req, w.jun, w.payments)

    assert signoff.role == "DEV"
    assert party(req, w.payments).is_complete
    baseline = finalize_current(req, w.ming)
    assert {(s.team.code, s.signer.username, s.role) for s in baseline.signoffs.all()} == {
        ("order", "ming", "PM"),
        ("order", "lei", "DEV"),
        ("payments", "hua", "PM"),
        ("payments", "jun", "DEV"),
        ("finance", "wei", "DEV"),
    }


@pytest.mark.parametrize(("signers", "missing"), [(["ming"], "DEV"), (["lei"], "PM")])
def test_the_lead_team_needs_both_its_pm_and_its_lead_dev(w, signers, missing):
    req = advance(w, "aligning")
    sign_all(w, req, teams=[w.payments, w.finance])
    for name in signers:
        sign(req, getattr(w, name), w.order)

    assert party(req, w.order).missing_roles == [missing]
    with pytest.raises(Refused) as refused:
        finalize_current(req, w.ming)

    if missing == "DEV":
        assert refused.value.code == "finalize.lead_dev_missing"
        assert refused.value.details["user"] == "lei"
    else:
        assert refused.value.code == "finalize.signer_missing"
        assert refused.value.details["role"] == "PM"
        assert refused.value.details["team"] == "订单组"
    assert not Baseline.objects.exists()


def test_another_lead_team_dev_cannot_sign_as_the_lead_dev(w):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        sign(req, w.fang, w.order)

    assert refused.value.code == "signoff.not_lead_dev"
    assert refused.value.details["lead_dev"] == "lei"
    assert "lei" in refused.value.message
    assert not SignOff.objects.exists()


def test_a_lead_dev_sign_off_given_before_the_lead_dev_changed_does_not_count(w):
    """Only the lead DEV's sign-off fills the lead team's DEV capacity."""
    req = advance(w, "aligning")
    sign_all(w, req)
    req.lead_dev = w.fang
    req.save(update_fields=["lead_dev"])

    assert party(req, w.order).missing_roles == ["DEV"]


def test_a_signer_cannot_sign_in_a_role_they_do_not_hold(w):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        sign(req, w.jun, w.payments, as_role="PM")

    assert refused.value.code == "signoff.role_not_held"
    assert refused.value.details == {"user": "jun", "role": "PM", "team": "支付组"}
    assert not SignOff.objects.exists()


def test_a_person_holding_both_roles_signs_once_per_capacity(w):
    grant(w.lei, w.order, "PM")
    req = advance(w, "aligning")
    hold_meeting(w, req)

    first = sign(req, w.lei, w.order)
    second = sign(req, w.lei, w.order)

    assert (first.role, second.role) == ("DEV", "PM")  # the default is the capacity missing
    assert party(req, w.order).is_complete


def test_the_capacity_can_be_named(w):
    grant(w.lei, w.order, "PM")
    req = advance(w, "aligning")
    hold_meeting(w, req)

    signoff = sign(req, w.lei, w.order, as_role="PM")

    assert signoff.role == "PM"
    assert party(req, w.order).missing_roles == ["DEV"]


def test_a_rejection_by_the_party_pm_voids_its_dev_sign_off(w):
    req = advance(w, "aligning")
    hold_meeting(w, req)
    dev = sign(req, w.jun, w.payments)

    sign(req, w.hua, w.payments, approve=False, reason="排期不够")

    state = party(req, w.payments)
    assert state.rejected is not None and not state.is_complete
    assert [s.pk for s in state.voided] == [dev.pk]
    assert state.voided[0].voided_reason.message == "hua rejected r3"
