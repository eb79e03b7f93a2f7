"""The five steps through the domain services, as each persona in turn."""

from techalign.audit.models import AuditEvent
from techalign.audit.services import verify_chain
from techalign.requirements.models import Status
from tests.factories import advance, hold_meeting


def test_requirement_reaches_a_baseline_through_all_five_steps(w):
    req = advance(w, "finalized")
    assert req.status == Status.FINALIZED
    baseline = req.baselines.get()
    assert baseline.version == 1
    assert baseline.content_hash == baseline.revision.content_hash
    assert [i["key"] for i in baseline.revision.content["items"]] == ["I-1", "I-2", "I-3"]
    assert AuditEvent.objects.filter(requirement=req, action="plan.finalized").exists()
    checked, broken = verify_chain()
    assert broken is None and checked > 10


def test_next_actions_follow_the_requirement_through_its_steps(w):
    from techalign.requirements.selectors import next_actions

    req = advance(w, "draft")
    assert [a.action for a in next_actions(req)] == ["hand_off"]
    req = advance(w, "handed_off")
    assert [a.action for a in next_actions(req)] == ["acknowledge"]
    req = advance(w, "in_review")
    (review,) = next_actions(req)
    # The committee architect may review any team's plan, so is offered the review too.
    assert review.action == "review" and review.users == [w.arch, w.qiang]
    req = advance(w, "aligning")
    assert [a.action for a in next_actions(req)] == ["hold_meeting"]
    hold_meeting(w, req)
    actions = next_actions(req)
    assert {a.action for a in actions} == {"sign_off"}
    assert {a.team.code for a in actions} == {"order", "payments", "finance"}


def test_one_requirement_object_can_be_used_for_several_writes(w):
    """Services read the plan as stored, not as cached on the object they were given."""
    from techalign.plans import selectors
    from techalign.plans.services import submit_for_review
    from techalign.requirements.services import add_scenario, mark_out_of_scope

    req = advance(w, "planning", scenarios=4)
    scenario = add_scenario(requirement=req, actor=w.ming, title="补充场景")
    mark_out_of_scope(scenario=scenario, actor=w.ming, reason="下期做")
    submit_for_review(requirement=req, actor=w.lei, revision_number=5)
    assert selectors.current_revision(req).number == 5


def test_a_plan_reapproved_while_its_meeting_is_scheduled_stays_at_the_meeting_step(w):
    from techalign.plans import selectors, services

    req = advance(w, "aligning")
    services.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="改", confirm=True
    )
    services.submit_for_review(requirement=req, actor=w.lei, revision_number=4)
    services.approve_revision(revision=selectors.current_revision(req), actor=w.qiang)
    req.refresh_from_db()
    assert req.status == Status.ALIGNING
