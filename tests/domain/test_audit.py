"""Every state change is in the audit log, in the same transaction as the change; a refused
attempt leaves nothing but one "refused" event naming the unmet condition; the chain verifies."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.audit.services import verify_chain
from techalign.core.errors import Refused
from techalign.meetings import services as meetings
from techalign.plans import services as plans
from techalign.plans.models import Item, Plan, Revision, SignOff
from techalign.requirements import services as requirements
from tests.domain.support import current, events_after, last_seq, revision_count
from tests.factories import advance, hold_meeting, sign_all
from tests.integrity.tampering import tamper


def hand_off(w, req):
    requirements.hand_off(requirement=req, actor=w.ming)


def acknowledge_all(w, req):
    for scenario in req.scenarios.all():
        requirements.acknowledge_scenario(scenario=scenario, actor=w.lei)


def add_item(w, req):
    plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=current(req).number,
        component=w.order_service,
        kind="ui",
        title="退款按钮",
        scenario_keys=["S-1"],
        confirm=True,
    )


def add_scenario(w, req):
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")


def submit(w, req):
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=current(req).number)


def approve(w, req):
    plans.approve_revision(revision=current(req), actor=w.qiang)


def schedule(w, req):
    start = timezone.now() + dt.timedelta(days=2)
    meetings.schedule_meeting(
        requirement=req, actor=w.ming, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )


def sign(w, req):
    revision = current(req)
    plans.sign_off(
        requirement=req,
        actor=w.jun,
        team=w.payments,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )


def held(w):
    req = advance(w, "aligning")
    hold_meeting(w, req)
    return req


def waive(w, req):
    meetings.waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason="出差")


def finalize(w, req, teams=None):
    sign_all(w, req, teams=teams)
    seq = last_seq()
    revision = current(req)
    plans.finalize(
        requirement=req,
        actor=w.ming,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )
    return seq


def open_change(w, req):
    plans.open_change_request(
        requirement=req,
        actor=w.ming,
        title="审批",
        reason="测试发现",
        phase_found="testing",
        affected_teams=[w.payments],
    )


def raise_blocking(w, req):
    requirements.raise_question(requirement=req, actor=w.hua, body="?", is_blocking=True)


TRANSITIONS = [
    # (name, step the requirement is at, the action, the events it writes, in order)
    ("hand off", "draft", hand_off, ["requirement.handed_off"]),
    (
        "acknowledge all",
        "handed_off",
        acknowledge_all,
        ["scenario.acknowledged"] * 3 + ["requirement.hand_off_completed"],
    ),
    ("add item", "planning", add_item, ["plan.revised"]),
    ("add item after approval", "approved", add_item, ["plan.approvals_stale", "plan.revised"]),
    ("add scenario to a plan", "planning", add_scenario, ["scenario.added", "plan.revised"]),
    ("submit", "planning", submit, ["plan.submitted"]),
    ("approve", "in_review", approve, ["plan.approved"]),
    ("schedule", "approved", schedule, ["meeting.scheduled"]),
    ("sign", held, sign, ["plan.signed_off"]),
    ("waive attendance", "aligning", waive, ["meeting.attendance_waived"]),
    ("raise blocking question", "aligning", raise_blocking, ["question.raised"]),
    ("open change request", "finalized", open_change, ["change.opened"]),
]


@pytest.mark.parametrize(
    ("name", "step", "action", "expected"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS]
)
def test_a_transition_writes_exactly_its_events(w, name, step, action, expected):
    req = step(w) if callable(step) else advance(w, step)
    seq = last_seq()

    action(w, req)

    events = events_after(seq)
    assert [e.action for e in events] == expected
    assert {e.outcome for e in events} == {AuditEvent.Outcome.DONE}
    assert {e.requirement_id for e in events} == {req.pk}
    assert [e.seq for e in events] == list(range(seq + 1, seq + 1 + len(expected)))


def test_finalizing_writes_the_finalized_event_with_the_baseline_hash(w):
    req = advance(w, "aligning")
    seq = finalize(w, req)

    (event,) = events_after(seq)
    assert event.action == "plan.finalized"
    assert event.actor == w.ming
    assert event.summary == {
        "version": 1,
        "revision": 3,
        "hash": current(req).content_hash,
        "signoffs": [
            {"team": "order", "role": "DEV", "revision": 3},
            {"team": "order", "role": "PM", "revision": 3},
            {"team": "finance", "role": "DEV", "revision": 3},
            {"team": "payments", "role": "DEV", "revision": 3},
        ],
    }


def test_finalizing_a_change_request_also_closes_it_in_the_log(w):
    req = advance(w, "finalized")
    open_change(w, req)
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-2", title="审批")
    submit(w, req)
    approve(w, req)
    seq = finalize(w, req, teams=[w.order, w.payments])

    assert [e.action for e in events_after(seq)] == ["change.baselined", "plan.finalized"]


def test_a_refused_transition_writes_one_refused_event_and_nothing_else(w):
    req = advance(w, "planning")
    seq = last_seq()

    with pytest.raises(Refused):
        plans.add_item(
            requirement=req,
            actor=w.ming,
            based_on=3,
            component=w.order_service,
            kind="ui",
            title="PM 写的",
            scenario_keys=["S-1"],
        )

    (event,) = events_after(seq)
    assert event.action == "plan.item_added"
    assert event.outcome == AuditEvent.Outcome.REFUSED
    assert event.actor == w.ming
    assert event.requirement_id == req.pk
    assert event.summary["code"] == "role.not_allowed"
    assert event.summary["details"]["user"] == "ming"
    assert revision_count(req) == 3
    assert Item.objects.filter(revision__plan__requirement=req).count() == 1 + 2 + 3


def test_a_refused_gate_deep_in_a_transition_rolls_back_what_it_had_written(w):
    """add_item numbers the item before the gate on its scenarios refuses it; nothing stays."""
    req = advance(w, "planning")
    seq = last_seq()

    with pytest.raises(Refused):
        plans.add_item(
            requirement=req,
            actor=w.lei,
            based_on=3,
            component=w.order_service,
            kind="ui",
            title="x",
            scenario_keys=["S-9"],
        )

    assert [(e.action, e.outcome, e.summary["code"]) for e in events_after(seq)] == [
        ("plan.item_added", "refused", "item.unknown_scenario")
    ]
    assert Plan.objects.get(requirement=req).next_item_number == 4


def test_a_refused_sign_off_is_logged_against_the_requirement_whatever_the_argument_order(w):
    req = advance(w, "aligning")
    revision = current(req)
    seq = last_seq()

    with pytest.raises(Refused):
        plans.sign_off(
            team=w.payments,
            requirement=req,
            actor=w.charlie,
            revision_number=revision.number,
            content_hash=revision.content_hash,
        )

    (event,) = events_after(seq)
    assert event.summary["code"] == "role.not_party_member"
    assert event.requirement_id == req.pk
    assert event.target_type == "requirements.requirement"
    assert not SignOff.objects.exists()


def test_the_change_and_its_event_commit_or_roll_back_together(w):
    req = advance(w, "planning")
    seq = last_seq()

    with pytest.raises(RuntimeError), transaction.atomic():
        add_item(w, req)
        assert [e.action for e in events_after(seq)] == ["plan.revised"]
        raise RuntimeError("the caller's transaction fails after the transition")

    assert events_after(seq) == []
    assert revision_count(req) == 3
    assert not Revision.objects.filter(number=4).exists()


def test_the_chain_verifies_after_a_whole_journey_with_refusals(w):
    req = advance(w, "aligning")
    with pytest.raises(Refused):
        plans.finalize(
            requirement=req, actor=w.ming, revision_number=3, content_hash=current(req).content_hash
        )
    sign_all(w, req)
    revision = current(req)
    plans.finalize(
        requirement=req,
        actor=w.ming,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )

    checked, broken = verify_chain()

    assert broken is None
    assert checked == AuditEvent.objects.count() > 10
    assert AuditEvent.objects.filter(outcome="refused").count() == 1


def test_rewriting_an_event_breaks_the_chain_at_that_event(w):
    req = advance(w, "approved")
    approved = AuditEvent.objects.get(requirement=req, action="plan.approved")
    # Past the append-only triggers, as a database insider could; undone with the test's
    # transaction.
    tamper(
        (
            f"UPDATE {AuditEvent._meta.db_table} SET actor_id = %s WHERE seq = %s",
            [w.lei.pk, approved.seq],
        )
    )

    checked, broken = verify_chain()

    assert broken is not None and broken.seq == approved.seq
    assert checked == AuditEvent.objects.filter(seq__lt=approved.seq).count()
