"""What "who acts next" offers, for every persona in every lifecycle state, is what the rules
allow: each offered action succeeds when that persona performs it, each action a persona's
checks allow is offered, and the inbox names the same people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from techalign.meetings import permissions as meeting_rules
from techalign.meetings.services import record_attendance, schedule_meeting
from techalign.plans import permissions as plan_rules
from techalign.plans import selectors as plan_selectors
from techalign.plans import services as plans
from techalign.plans.models import Milestone
from techalign.requirements import permissions as rules
from techalign.requirements import services as requirements
from techalign.requirements.models import Question, Status
from techalign.requirements.selectors import next_actions
from techalign.web.selectors import my_work
from tests.factories import advance, hold_meeting, sign_all

PERSONAS = ["ming", "lei", "fang", "qiang", "hua", "jun", "li", "wei", "arch", "charlie"]


def _draft_without_scenarios(w):
    return requirements.create_requirement(
        actor=w.ming, lead_team=w.order, title="空需求", lead_dev=w.lei
    )


def _hand_off_question(w):
    req = advance(w, "handed_off")
    requirements.raise_question(
        requirement=req, actor=w.lei, body="含运费吗？", scenario=req.scenarios.get(number=1)
    )
    return req


def _planning_incomplete(w):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="补充场景")
    return req


def _changes_requested(w):
    req = advance(w, "in_review")
    plans.request_changes(
        revision=plan_selectors.current_revision(req), actor=w.qiang, comment="补充限流方案"
    )
    return req


def _held(w):
    req = advance(w, "aligning")
    hold_meeting(w, req)
    return req


def _signed(w):
    req = _held(w)
    sign_all(w, req)
    return req


def _change_request_open(w):
    req = advance(w, "finalized")
    plans.open_change_request(
        requirement=req,
        actor=w.ming,
        title="退款需要审批",
        reason="测试发现大额退款无审批",
        phase_found="testing",
        affected_teams=[w.payments],
    )
    return req


def _marked_high_risk_after_signing(w):
    req = _signed(w)
    requirements.mark_high_risk(requirement=req, actor=w.ming, risk="money", reason="动钱")
    return req


def _blocking_question(w):
    req = _signed(w)
    requirements.raise_question(requirement=req, actor=w.hua, body="限额？", is_blocking=True)
    return req


STATES = {
    "draft": lambda w: advance(w, "draft"),
    "draft without scenarios": _draft_without_scenarios,
    "handed off": lambda w: advance(w, "handed_off"),
    "hand-off question open": _hand_off_question,
    "planning, plan incomplete": _planning_incomplete,
    "planning, plan complete": lambda w: advance(w, "planning"),
    "in review": lambda w: advance(w, "in_review"),
    "changes requested": _changes_requested,
    "approved": lambda w: advance(w, "approved"),
    "meeting scheduled": lambda w: advance(w, "aligning"),
    "meeting held": _held,
    "signed": _signed,
    "blocking question open": _blocking_question,
    "marked high-risk after approval": _marked_high_risk_after_signing,
    "finalized": lambda w: advance(w, "finalized"),
    "change request open": _change_request_open,
}

# The row each state's box shows, besides any sign-offs and milestones it lists per team.
EXPECTED = {
    "draft": ["hand_off"],
    "draft without scenarios": ["write_scenarios"],
    "handed off": ["acknowledge"],
    "hand-off question open": ["acknowledge", "answer_questions"],
    "planning, plan incomplete": ["acknowledge", "write_plan"],
    "planning, plan complete": ["submit_for_review"],
    "in review": ["review"],
    "changes requested": ["revise_plan"],
    "approved": ["schedule_meeting"],
    "meeting scheduled": ["hold_meeting"],
    "meeting held": ["sign_off"],
    "signed": ["finalize"],
    "blocking question open": ["resolve_blocking"],
    "marked high-risk after approval": ["review"],
    "finalized": ["set_milestones"],
    "change request open": ["write_plan"],
}


def _revision(req):
    return plan_selectors.current_revision(req)


def _pending(req):
    asked = set(
        req.questions.filter(stage=Question.Stage.HAND_OFF, resolved_at__isnull=True).values_list(
            "scenario_id", flat=True
        )
    )
    return [
        s
        for s in req.scenarios.filter(acknowledged_at__isnull=True, is_withdrawn=False)
        if s.pk not in asked
    ]


def _open(req, **filters):
    return list(req.questions.filter(resolved_at__isnull=True, **filters))


def _scheduled(req):
    return req.meetings.get(status="scheduled")


# Each action of the box: the check that decides who may do it, and how a persona does it.
def _allowed(action, user, req, row):
    revision = _revision(req)
    if action == "hand_off":
        return rules.check_hand_off(user, req)
    if action == "write_scenarios":
        return rules.check_edit_requirement(user, req)
    if action == "acknowledge":
        return rules.check_acknowledge(user, req, _pending(req)[0])
    if action in {"answer_questions", "resolve_blocking"}:
        stage = {"stage": Question.Stage.HAND_OFF} if action == "answer_questions" else {}
        blocking = {"is_blocking": True} if action == "resolve_blocking" else {}
        questions = _open(req, **stage, **blocking)
        refusals = [rules.check_propose_answer(user, q) for q in questions]
        return None if None in refusals else refusals[0]
    if action in {"write_plan", "revise_plan"}:
        return plan_rules.check_edit_plan(user, req)
    if action == "submit_for_review":
        return plan_rules.check_submit_for_review(user, req, revision)
    if action == "review":
        return plan_rules.check_review(user, revision)
    if action == "schedule_meeting":
        return meeting_rules.check_schedule_meeting(user, req)
    if action == "hold_meeting":
        return meeting_rules.check_edit_minutes(user, _scheduled(req))
    if action == "sign_off":
        # Offered to those who can sign in a capacity the party still lacks.
        party = plan_selectors.signoff_state(req, revision).of(row.team.pk)
        refusals = [
            plan_rules.check_sign_off(user, req, row.team, revision, role)
            for role in party.missing_roles
        ]
        return None if None in refusals else refusals[0]
    if action == "finalize":
        return plan_rules.check_finalize(user, req, revision)
    if action == "set_milestones":
        return plan_rules.check_set_milestone(user, req, row.team)
    raise AssertionError(f"unclassified action {action}")


def _perform(action, user, req, row, w):
    revision = _revision(req)
    if action == "hand_off":
        requirements.hand_off(requirement=req, actor=user)
    elif action == "write_scenarios":
        requirements.add_scenario(requirement=req, actor=user, title="新场景")
    elif action == "acknowledge":
        requirements.acknowledge_scenario(scenario=_pending(req)[0], actor=user)
    elif action in {"answer_questions", "resolve_blocking"}:
        question = (
            next(
                q
                for q in _open(req)
                if rules.check_propose_answer(user, q) is None and q.is_blocking
            )
            if action == "resolve_blocking"
            else _open(req, stage=Question.Stage.HAND_OFF)[0]
        )
        requirements.propose_answered(question=question, actor=user, body="已答复")
    elif action in {"write_plan", "revise_plan"}:
        plans.add_item(
            requirement=req,
            actor=user,
            based_on=revision.number if revision else 0,
            component=w.order_service,
            kind="ui",
            title="补充",
            scenario_keys=["S-1"],
        )
    elif action == "submit_for_review":
        plans.submit_for_review(requirement=req, actor=user, revision_number=revision.number)
    elif action == "review":
        plans.request_changes(revision=revision, actor=user, comment="再看看")
    elif action == "schedule_meeting":
        start = timezone.now() + dt.timedelta(days=3)
        schedule_meeting(
            requirement=req, actor=user, starts_at=start, ends_at=start + dt.timedelta(hours=1)
        )
    elif action == "hold_meeting":
        meeting = _scheduled(req)
        first = meeting.invitees.filter(attended__isnull=True).first()
        record_attendance(meeting=meeting, actor=user, user=first.user, attended=True)
    elif action == "sign_off":
        plans.sign_off(
            requirement=req,
            actor=user,
            team=row.team,
            revision_number=revision.number,
            content_hash=revision.content_hash,
        )
    elif action == "finalize":
        plans.finalize(
            requirement=req,
            actor=user,
            revision_number=revision.number,
            content_hash=revision.content_hash,
        )
    elif action == "set_milestones":
        plans.set_milestone(
            requirement=req,
            actor=user,
            team=row.team,
            kind=Milestone.Kind.values[0],
            due_on=dt.date.today() + dt.timedelta(days=40),
        )
    else:
        raise AssertionError(f"unclassified action {action}")


def _rows_key(actions):
    return [(a.action, a.team.code if a.team else None) for a in actions]


@pytest.mark.parametrize("state", list(STATES))
def test_offered_actions_are_those_the_checks_allow(w, state):
    req = STATES[state](w)
    req.refresh_from_db()
    actions = next_actions(req)
    assert sorted({a.action for a in actions}) == sorted(EXPECTED[state])
    for row in actions:
        assert row.users, f"{state}: nobody is offered {row.action}"
        for name in PERSONAS:
            persona = getattr(w, name)
            offered = persona in row.users
            allowed = _allowed(row.action, persona, req, row) is None
            assert offered == allowed, f"{state}: {name} {row.action} offered={offered}"


@pytest.mark.parametrize("state", list(STATES))
def test_every_action_a_persona_may_take_to_move_on_is_offered(w, state):
    """The steps that move the requirement on: whoever's check passes finds them in the box."""
    req = STATES[state](w)
    req.refresh_from_db()
    revision = _revision(req)
    offered = {
        (a.action, a.team.code if a.team else None, u.pk)
        for a in next_actions(req)
        for u in a.users
    }
    offered_plan_work = {
        u for a, _t, u in offered if a in {"write_plan", "revise_plan", "submit_for_review"}
    }
    for name in PERSONAS:
        p = getattr(w, name)
        if rules.check_hand_off(p, req) is None:
            assert ("hand_off", "order", p.pk) in offered, f"{state}: {name} hand_off"
        pending = _pending(req)
        if pending and rules.check_acknowledge(p, req, pending[0]) is None:
            assert ("acknowledge", "order", p.pk) in offered, f"{state}: {name} acknowledge"
        if plan_rules.check_submit_for_review(p, req, revision) is None:
            assert p.pk in offered_plan_work, f"{state}: {name} submit"
        if revision is not None and plan_rules.check_review(p, revision) is None:
            assert ("review", "order", p.pk) in offered, f"{state}: {name} review"
        if req.status == Status.APPROVED and meeting_rules.check_schedule_meeting(p, req) is None:
            assert ("schedule_meeting", "order", p.pk) in offered, f"{state}: {name} schedule"
        scheduled = req.meetings.filter(status="scheduled").first()
        if (
            scheduled is not None
            and revision is not None
            and plan_selectors.meeting_not_held(req, revision)
            and meeting_rules.check_edit_minutes(p, scheduled) is None
        ):
            assert ("hold_meeting", "order", p.pk) in offered, f"{state}: {name} holds"
        if revision is not None and req.status in {Status.APPROVED, Status.ALIGNING}:
            for party in plan_selectors.signoff_state(req, revision).parties:
                for role in [] if party.rejected else party.missing_roles:
                    if plan_rules.check_sign_off(p, req, party.team, revision, role) is None:
                        code = party.team.code
                        assert ("sign_off", code, p.pk) in offered, f"{state}: {name} signs"
        if revision is not None and plan_rules.check_finalize(p, req, revision) is None:
            assert ("finalize", "order", p.pk) in offered, f"{state}: {name} finalize"


@pytest.mark.parametrize("state", list(STATES))
def test_every_offered_action_succeeds_when_performed(w, state):
    """Each persona offered an action performs it on a fresh copy of the state: no refusal."""
    plan = [
        (row.action, row.team.code if row.team else None, u.username)
        for row in next_actions(STATES[state](w))
        for u in row.users
    ]
    for action, team_code, username in plan:
        req = STATES[state](w)
        req.refresh_from_db()
        row = next(
            r
            for r in next_actions(req)
            if r.action == action and (r.team.code if r.team else None) == team_code
        )
        _perform(action, getattr(w, username), req, row, w)


@pytest.mark.parametrize("state", list(STATES))
def test_the_inbox_names_the_people_the_box_names(w, state):
    req = STATES[state](w)
    req.refresh_from_db()
    rows = {(a.action, a.team.code if a.team else None): a for a in next_actions(req)}
    inboxes = {name: my_work(getattr(w, name)) for name in PERSONAS}

    def holders(category, keep=lambda entry: True):
        return {
            name for name, work in inboxes.items() if any(keep(e) for e in getattr(work, category))
        }

    review = rows.get(("review", "order"))
    assert holders("review") == ({u.username for u in review.users} if review else set())
    revise = rows.get(("revise_plan", "order"))
    assert holders("revise") == ({req.lead_dev.username} if revise else set())
    if revise:
        assert req.lead_dev in revise.users
        assert "补充限流方案" in revise.message and "qiang" in revise.message
    acknowledge = rows.get(("acknowledge", "order"))
    assert holders("acknowledge") == ({req.lead_dev.username} if acknowledge else set())
    if acknowledge:
        assert req.lead_dev in acknowledge.users
    answer = rows.get(("answer_questions", "order"))
    if answer:
        assert holders("answer") == {u.username for u in answer.users}
    for (action, team), row in rows.items():
        if action == "sign_off":
            signers = holders("sign_off", lambda o, code=team: o.team.code == code)
            assert signers == {u.username for u in row.users}, f"{state}: {team}"
    if not any(action == "sign_off" for action, _team in rows):
        assert holders("sign_off") == set()


def test_after_a_change_request_opens_the_box_names_it_instead_of_resubmitting(w):
    req = _change_request_open(w)
    req.refresh_from_db()
    (row,) = next_actions(req)
    assert row.action == "write_plan"
    assert row.message == (
        "Change request CR-1 is open: change the plan for it (revision 3 is baseline v1), "
        "or withdraw the request."
    )
    assert [u.username for u in row.users] == ["fang", "lei"]
