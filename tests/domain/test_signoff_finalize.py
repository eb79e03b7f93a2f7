"""Steps 4 and 5: each party signs its part of one exact revision, and the plan is finalized to an
immutable, content-hashed baseline only when everyone required has signed that revision."""

import pytest

from techalign.core.errors import Refused
from techalign.plans import services as plans
from techalign.plans.models import Baseline, SignOff
from techalign.plans.selectors import current_revision
from techalign.requirements import services as requirements
from techalign.requirements.models import Requirement, Status
from tests.domain.support import add_progress_item, current, status_of
from tests.factories import advance, hold_meeting, sign_all


def sign(req, actor, team, *, revision=None, content_hash=None, **kwargs):
    revision = revision or current(req)
    return plans.sign_off(
        requirement=req,
        actor=actor,
        team=team,
        revision_number=revision.number,
        content_hash=content_hash or revision.content_hash,
        **kwargs,
    )


def finalize(req, actor, *, revision_number=None, content_hash=None):
    revision = current(req)
    return plans.finalize(
        requirement=req,
        actor=actor,
        revision_number=revision_number or revision.number,
        content_hash=content_hash or revision.content_hash,
    )


def test_every_party_signs_and_the_plan_is_finalized_to_a_baseline(w):
    req = advance(w, "aligning")
    revision = current(req)
    meeting = hold_meeting(w, req)

    sign(req, w.ming, w.order)
    sign(req, w.lei, w.order)
    sign(req, w.jun, w.payments, meeting=meeting)
    sign(req, w.hua, w.payments)  # the party's PM confirms too
    sign(req, w.wei, w.finance)
    baseline = finalize(req, w.ming)

    assert baseline.version == 1
    assert baseline.revision == revision
    assert baseline.content_hash == revision.content_hash
    assert status_of(req) == Status.FINALIZED


def test_a_plan_cannot_be_signed_without_a_held_meeting(w):
    req = advance(w, "approved")

    with pytest.raises(Refused) as refused:
        sign(req, w.lei, w.order)

    assert refused.value.code == "signoff.meeting_not_held"
    assert refused.value.details == {"requirement": req.key}
    assert not SignOff.objects.exists()


@pytest.mark.parametrize(
    ("persona", "team"),
    [("charlie", "payments"), ("hua", "finance"), ("qiang", "order"), ("arch", "order")],
)
def test_only_a_pm_or_dev_of_a_team_signs_for_it(w, persona, team):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        sign(req, getattr(w, persona), getattr(w, team))

    assert refused.value.code == "role.not_party_member"
    assert refused.value.details == {"user": persona, "team": getattr(w, team).name}
    assert not SignOff.objects.exists()


def test_a_team_that_is_not_a_party_cannot_sign(w):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        sign(req, w.charlie, w.elsewhere)

    assert refused.value.code == "signoff.not_a_party"
    assert refused.value.details == {"team": "营销组", "requirement": req.key}
    assert not SignOff.objects.exists()


def test_signing_before_approval_is_refused(w):
    req = advance(w, "in_review")

    with pytest.raises(Refused) as refused:
        sign(req, w.jun, w.payments)

    assert refused.value.code == "requirement.wrong_step"
    assert not SignOff.objects.exists()


def test_signing_a_stale_revision_is_refused_with_the_current_number(w):
    req = advance(w, "aligning")

    with pytest.raises(Refused) as refused:
        sign(req, w.jun, w.payments, revision=req.plan.revisions.get(number=2))

    assert refused.value.code == "signoff.stale_revision"
    assert refused.value.details == {"revision": 2, "current": 3}
    assert not SignOff.objects.exists()


def test_signing_with_the_wrong_content_hash_is_refused(w):
    req = advance(w, "aligning")
    older_hash = req.plan.revisions.get(number=2).content_hash

    with pytest.raises(Refused) as refused:
        sign(req, w.jun, w.payments, content_hash=older_hash)

    assert refused.value.code == "signoff.hash_mismatch"
    assert refused.value.details == {
        "seen": older_hash[:12],
        "revision": 3,
        "current": current(req).content_hash[:12],
    }
    assert not SignOff.objects.exists()


def test_rejecting_needs_a_reason(w):
    req = advance(w, "aligning")
    hold_meeting(w, req)

    with pytest.raises(Refused) as refused:
        sign(req, w.jun, w.payments, approve=False, reason="")

    assert refused.value.code == "signoff.reason_required"
    assert not SignOff.objects.exists()


def test_finalizing_with_a_missing_sign_off_is_refused_naming_the_team(w):
    req = advance(w, "aligning")
    sign_all(w, req, teams=[w.order, w.finance])

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)

    assert refused.value.code == "finalize.signoffs_missing"
    assert refused.value.details == {"revision": 3, "teams": ["支付组"]}
    assert not Baseline.objects.exists()
    assert status_of(req) == Status.ALIGNING


def test_the_lead_team_must_sign_too(w):
    req = advance(w, "aligning")
    sign_all(w, req, teams=[w.payments, w.finance])

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)

    assert refused.value.code == "finalize.signoffs_missing"
    assert refused.value.details["teams"] == ["订单组"]


def test_finalizing_with_a_rejected_sign_off_is_refused_until_the_team_signs(w):
    req = advance(w, "aligning")
    sign_all(w, req, teams=[w.order, w.finance])
    sign(req, w.hua, w.payments, approve=False, reason="接口排期不够")

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)
    assert refused.value.code == "finalize.signoffs_rejected"
    assert refused.value.details == {"revision": 3, "teams": ["支付组"]}
    assert not Baseline.objects.exists()

    sign(req, w.jun, w.payments)  # after the meeting, payments agrees after all
    finalize(req, w.ming)
    assert status_of(req) == Status.FINALIZED


def test_finalizing_with_an_open_blocking_question_is_refused_until_it_is_answered(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    question = requirements.raise_question(
        requirement=req, actor=w.hua, body="退款失败怎么补偿？", item_key="I-2", is_blocking=True
    )
    requirements.raise_question(requirement=req, actor=w.li, body="报表要改吗？")

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)
    assert refused.value.code == "finalize.blocking_questions"
    assert refused.value.details == {"questions": ["Q-1"]}
    assert not Baseline.objects.exists()

    requirements.propose_answered(question=question, actor=w.lei, body="自动重试三次后人工处理")
    requirements.accept_answer(question=question, actor=w.hua)
    finalize(req, w.ming)  # the non-blocking question does not hold it up
    assert status_of(req) == Status.FINALIZED


def test_finalizing_a_revision_that_is_not_current_is_refused(w):
    req = advance(w, "aligning")
    sign_all(w, req)

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming, revision_number=2)

    assert refused.value.code == "review.stale_revision"
    assert refused.value.details == {"revision": 2, "current": 3}
    assert not Baseline.objects.exists()


def test_finalizing_content_other_than_the_current_revisions_is_refused(w):
    req = advance(w, "aligning")
    sign_all(w, req)

    with pytest.raises(Refused) as refused:
        finalize(req, w.ming, content_hash="0" * 64)

    assert refused.value.code == "signoff.hash_mismatch"
    assert not Baseline.objects.exists()


@pytest.mark.parametrize("persona", ["hua", "arch", "charlie"])
def test_only_the_lead_team_finalizes(w, persona):
    req = advance(w, "aligning")
    sign_all(w, req)

    with pytest.raises(Refused) as refused:
        finalize(req, getattr(w, persona))

    assert refused.value.code == "role.not_allowed"
    assert not Baseline.objects.exists()


def test_a_new_lead_item_after_approval_makes_approval_and_the_lead_sign_offs_stale(w):
    req = advance(w, "aligning")
    sign_all(w, req)

    add_progress_item(req, w.lei)

    assert status_of(req) == Status.PLANNING
    with pytest.raises(Refused) as refused:
        finalize(
            req,
            w.ming,
            revision_number=3,
            content_hash=req.plan.revisions.get(number=3).content_hash,
        )
    assert refused.value.code == "requirement.wrong_step"

    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=4)
    plans.approve_revision(revision=current(req), actor=w.qiang)
    with pytest.raises(Refused) as refused:
        finalize(req, w.ming)
    assert refused.value.code == "finalize.signoffs_missing"
    # Only the lead team's section (the whole plan) changed: the parties' sign-offs stand.
    assert refused.value.details == {"revision": 4, "teams": ["订单组"]}
    assert req.plan.revisions.get(number=3).signoffs.count() == 4  # kept, on revision 3
    assert not Baseline.objects.exists()


def test_changing_the_requirement_text_after_sign_off_makes_the_sign_offs_stale(w):
    req = advance(w, "aligning")
    sign_all(w, req)

    requirements.update_requirement(
        requirement=req,
        actor=w.ming,
        version=req.version,
        user_stories="作为买家，我想只退一件商品",
        confirm=True,
    )

    assert status_of(req) == Status.PLANNING
    revision = current(req)
    assert revision.number == 4
    assert revision.content["requirement"]["user_stories"] == "作为买家，我想只退一件商品"


def test_a_requirement_edit_based_on_an_older_version_is_refused(w):
    req = advance(w, "aligning")
    seen = req.version
    requirements.update_requirement(
        requirement=req, actor=w.ming, version=seen, title="部分退款 v2", confirm=True
    )

    with pytest.raises(Refused) as refused:
        requirements.update_requirement(
            requirement=req, actor=w.ming, version=seen, title="旧标题", confirm=True
        )

    assert refused.value.code == "conflict.stale_version"
    assert refused.value.details["seen"] == seen
    assert refused.value.details["current"] == seen + 2  # the edit and its plan revision
    req.refresh_from_db()
    assert req.title == "部分退款 v2"


def test_a_baseline_cannot_be_changed(w):
    req = advance(w, "finalized")
    baseline = req.baselines.get()

    baseline.content_hash = "0" * 64
    with pytest.raises(ValueError, match="immutable"):
        baseline.save()

    baseline.refresh_from_db()
    assert baseline.content_hash == baseline.revision.content_hash


def test_finalizing_through_an_object_read_before_a_newer_revision_is_refused(w):
    """Two requests: one loaded the plan at revision 3, the other revised and re-approved it."""
    req = advance(w, "aligning")
    sign_all(w, req)
    first_tab = Requirement.objects.get(pk=req.pk)
    seen = current_revision(first_tab)
    add_progress_item(req, w.lei)
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=4)
    plans.approve_revision(revision=current(req), actor=w.qiang)

    with pytest.raises(Refused) as refused:
        plans.finalize(
            requirement=first_tab,
            actor=w.ming,
            revision_number=seen.number,
            content_hash=seen.content_hash,
        )

    assert refused.value.code == "review.stale_revision"
    assert refused.value.details == {"revision": 3, "current": 4}
    assert not Baseline.objects.exists()
    # Its meeting was held already: re-approved, the plan is approved again, to be signed.
    assert status_of(req) == Status.APPROVED


def test_signing_through_an_object_read_before_a_newer_revision_is_refused(w):
    req = advance(w, "aligning")
    first_tab = Requirement.objects.get(pk=req.pk)
    seen = current_revision(first_tab)
    add_progress_item(req, w.lei)
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=4)
    plans.approve_revision(revision=current(req), actor=w.qiang)

    with pytest.raises(Refused) as refused:
        plans.sign_off(
            requirement=first_tab,
            actor=w.jun,
            team=w.payments,
            revision_number=seen.number,
            content_hash=seen.content_hash,
        )

    assert refused.value.code == "signoff.stale_revision"
    assert not SignOff.objects.exists()


def test_finalizing_twice_makes_one_baseline(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    revision = current(req)
    finalize(req, w.ming)

    with pytest.raises(Refused) as refused:
        plans.finalize(
            requirement=req,
            actor=w.lei,
            revision_number=revision.number,
            content_hash=revision.content_hash,
        )

    assert refused.value.code == "requirement.baselined"
    assert Baseline.objects.count() == 1
