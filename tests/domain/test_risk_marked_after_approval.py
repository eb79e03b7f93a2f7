"""A requirement marked high-risk after its plan was approved: the tech lead's approval stands,
a committee architect approves the same revision too (or requests changes) while the parties
sign, and finalizing waits for it — the marking cannot be a way around the committee."""

import pytest

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from techalign.requirements.selectors import next_actions
from tests.factories import advance, hold_meeting, sign_all


def signed_then_marked(w):
    req = advance(w, "aligning")
    hold_meeting(w, req)
    sign_all(w, req)
    requirements.mark_high_risk(requirement=req, actor=w.ming, risk="money", reason="动用户的钱")
    req.refresh_from_db()
    return req


def finalize(w, req):
    revision = selectors.current_revision(req)
    return plans.finalize(
        requirement=req,
        actor=w.ming,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )


def test_finalizing_waits_for_the_committee_and_says_so(w):
    req = signed_then_marked(w)
    with pytest.raises(Refused) as refused:
        finalize(w, req)
    assert refused.value.code == "finalize.approval_owed"
    assert refused.value.details["revision"] == selectors.current_revision(req).number
    req.refresh_from_db()
    assert req.status == Status.ALIGNING
    review = [a for a in next_actions(req) if a.action == "review"]
    assert [u.username for u in review[0].users] == ["arch"]
    assert "finalize" not in {a.action for a in next_actions(req)}


def test_the_committee_approves_the_same_revision_and_the_plan_is_finalized(w):
    req = signed_then_marked(w)
    revision = selectors.current_revision(req)
    plans.approve_revision(revision=revision, actor=w.arch, content_hash=revision.content_hash)
    req.refresh_from_db()
    assert req.status == Status.ALIGNING  # the parties' sign-offs stand
    event = AuditEvent.objects.filter(action="plan.approved").latest("seq")
    assert event.actor == w.arch and event.summary["late"] is True
    assert finalize(w, req).revision == revision
    req.refresh_from_db()
    assert req.status == Status.FINALIZED


def test_the_tech_lead_cannot_approve_again_and_the_committee_may_send_it_back(w):
    req = signed_then_marked(w)
    revision = selectors.current_revision(req)
    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=revision, actor=w.qiang)
    assert refused.value.code == "requirement.wrong_step"
    plans.request_changes(revision=revision, actor=w.arch, comment="大额退款要二次确认")
    req.refresh_from_db()
    assert req.status == Status.PLANNING


def test_an_ordinary_approved_plan_is_not_reviewed_again_by_the_committee(w):
    req = advance(w, "approved")
    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=selectors.current_revision(req), actor=w.arch)
    assert refused.value.code == "requirement.wrong_step"


def test_the_plan_page_and_the_inbox_show_the_owed_approval_to_the_committee(w, client):
    from techalign.web.selectors import my_work

    req = signed_then_marked(w)
    assert [r.key for r in my_work(w.arch).review] == [req.key]
    assert my_work(w.qiang).review == []
    client.force_login(w.arch)
    page = client.get(f"/r/{req.key}/plan/")
    text = page.content.decode()
    assert 'id="awaiting-approval"' in text
    assert f"Approve revision {selectors.current_revision(req).number}" in text


def test_the_committee_hears_of_the_approval_it_owes_and_of_high_risk_reviews(
    w, django_capture_on_commit_callbacks
):
    from techalign.notify.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        req = advance(w, "aligning")
        hold_meeting(w, req)
        sign_all(w, req)
    # The last id, not the count: PostgreSQL does not rewind its sequences after a rolled
    # back test, so ids do not start at 1.
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with django_capture_on_commit_callbacks(execute=True):
        requirements.mark_high_risk(requirement=req, actor=w.ming, risk="money", reason="动钱")
    asked = Notification.objects.filter(event="review.requested", pk__gt=before)
    assert {n.recipient.username for n in asked} == {"arch"}

    with django_capture_on_commit_callbacks(execute=True):
        other = advance(w, "planning")
        requirements.mark_high_risk(requirement=other, actor=w.ming, risk="security", reason="鉴权")
        plans.submit_for_review(
            requirement=other,
            actor=w.lei,
            revision_number=selectors.current_revision(other).number,
        )
    asked = Notification.objects.filter(event="review.requested", requirement=other)
    assert {n.recipient.username for n in asked} == {"qiang", "arch"}
