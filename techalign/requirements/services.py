"""Writes on requirements: drafting, scenarios, hand-off, acknowledgement, questions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from techalign import notify
from techalign.audit.services import record, transition
from techalign.core import bounds, limits
from techalign.core.errors import Refused
from techalign.org.models import Role, Team, User
from techalign.org.permissions import has_role, require_role
from techalign.requirements import permissions as can
from techalign.requirements.models import (
    Priority,
    Question,
    QuestionReply,
    Requirement,
    Risk,
    Scenario,
    Status,
)
from techalign.requirements.workflow import (
    AFTER_HAND_OFF,
    SIGNING,
    STALE_ON_REVISION,
    bump_version,
    lock_requirement,
    move_to,
    stale,
)

# pg_advisory_xact_lock key under which requirement numbers are taken.
_NUMBERING_LOCK_KEY = 7_437_002


def _check_lead_dev(team: Team, lead_dev: User | None) -> None:
    if lead_dev is not None and not has_role(lead_dev, team, Role.DEV):
        raise Refused("requirement.lead_dev_not_dev", user=str(lead_dev), team=team.name)


@transition("requirement.created")
def create_requirement(
    *,
    actor: User,
    lead_team: Team,
    title: str,
    user_stories: str = "",
    business_process: str = "",
    lead_dev: User | None = None,
    is_private: bool = False,
    planned_dev_start_on: date | None = None,
    planned_launch_on: date | None = None,
) -> Requirement:
    """A PM of the lead team drafts a requirement and owns it."""
    require_role(actor, lead_team, Role.PM, action=_("create a requirement"))
    limits.check_texts(title=title, user_stories=user_stories, business_process=business_process)
    _check_lead_dev(lead_team, lead_dev)
    bounds.require_in_range("planned_dev_start_on", planned_dev_start_on)
    bounds.require_in_range("planned_launch_on", planned_launch_on)
    if connection.vendor == "postgresql":
        # Keys are numbered across all teams, so creators take turns until commit; without
        # this, two of them take the same max + 1. SQLite's IMMEDIATE transactions already do.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_NUMBERING_LOCK_KEY])
    number = (Requirement.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    requirement = Requirement.objects.create(
        number=number,
        title=title,
        lead_team=lead_team,
        owner=actor,
        lead_dev=lead_dev,
        user_stories=user_stories,
        business_process=business_process,
        is_private=is_private,
        planned_dev_start_on=planned_dev_start_on,
        planned_launch_on=planned_launch_on,
    )
    record(
        actor=actor,
        target=requirement,
        summary={"title": title, "lead_team": lead_team.code},
    )
    return requirement


REQUIREMENT_FIELDS = {
    "title",
    "user_stories",
    "business_process",
    "is_private",
    "planned_dev_start_on",
    "planned_launch_on",
}


# The requirement's text is part of what reviewers and parties agree to: its change revises
# the plan.
REVISING_FIELDS = frozenset({"title", "user_stories", "business_process"})


@transition("requirement.updated")
def update_requirement(
    *,
    requirement: Requirement,
    actor: User,
    version: int,
    confirm: bool = False,
    **changes: Any,
) -> Requirement:
    """The PM edits the requirement's text or dates; `version` is the one the PM edited. A
    text change re-revisions the plan: one that withdraws a review, an approval or sign-offs
    needs `confirm`."""
    lock_requirement(requirement)
    if refusal := can.check_edit_requirement(actor, requirement):
        raise refusal
    limits.check_texts(**changes)
    unknown = set(changes) - REQUIREMENT_FIELDS
    if unknown:
        raise Refused("input.invalid", field=", ".join(sorted(unknown)), problem=_("not editable"))
    # A form sends every field: only those that differ are a change. Saved as it was, nothing
    # is written, audited or re-revisioned (an approved plan keeps its approval), though a
    # stale version is still refused as one.
    changes = {f: v for f, v in changes.items() if getattr(requirement, f) != v}
    if not changes:
        if requirement.version != version:
            raise stale(requirement, version)
        return requirement
    bump_version(requirement, seen=version)
    if changes.keys() & REVISING_FIELDS:
        _check_revision_confirmed(requirement, confirm)
    for name in ("planned_dev_start_on", "planned_launch_on"):
        bounds.require_in_range(name, changes.get(name))
    before = {f: getattr(requirement, f) for f in changes}
    Requirement.objects.filter(pk=requirement.pk).update(**changes)
    requirement.refresh_from_db()
    record(
        actor=actor,
        target=requirement,
        summary={"before": before, "after": changes},
    )
    if changes.keys() & REVISING_FIELDS:
        _after_scenario_change(requirement, actor, "requirement text changed")
    return requirement


@transition("requirement.marked_high_risk")
def mark_high_risk(*, requirement: Requirement, actor: User, risk: str, reason: str) -> Requirement:
    """A PM or tech lead of the lead team marks the requirement high-risk (money, personal
    data, security), saying why. From then on its plan needs a committee architect's approval
    besides the tech lead's, and the alignment lead-time rule its own, longer threshold.
    A plan approved before the marking keeps its approval; a committee architect then approves
    it too (or requests changes) before it may be finalized."""
    lock_requirement(requirement)
    if refusal := can.check_mark_risk(actor, requirement):
        raise refusal
    limits.check_texts(reason=reason)
    if risk not in Risk.values:
        raise Refused("input.invalid", field="risk", problem=", ".join(Risk.values))
    if not reason.strip():
        raise Refused("risk.reason_required")
    before = requirement.risk
    bump_version(requirement)
    Requirement.objects.filter(pk=requirement.pk).update(risk=risk, risk_reason=reason.strip())
    requirement.risk, requirement.risk_reason = risk, reason.strip()
    record(
        actor=actor,
        target=requirement,
        summary={"risk": risk, "previous": before or None, "reason": reason.strip()[:500]},
    )
    from techalign.plans.selectors import awaited_approvals, current_revision

    revision = current_revision(requirement)
    if requirement.status in SIGNING and awaited_approvals(requirement, revision):
        # Approved before the marking: those who owe the added approval are asked for it.
        notify.emit("review.requested", revision=revision, actor=actor)
    return requirement


@transition("requirement.high_risk_cleared")
def clear_high_risk(*, requirement: Requirement, actor: User, reason: str) -> Requirement:
    """A PM or tech lead of the lead team says why the requirement is no longer high-risk."""
    lock_requirement(requirement)
    if refusal := can.check_mark_risk(actor, requirement):
        raise refusal
    limits.check_texts(reason=reason)
    if not requirement.risk:
        raise Refused("risk.not_high", requirement=requirement.key)
    if not reason.strip():
        raise Refused("risk.reason_required")
    before = requirement.risk
    bump_version(requirement)
    Requirement.objects.filter(pk=requirement.pk).update(risk="", risk_reason="")
    requirement.risk, requirement.risk_reason = "", ""
    record(
        actor=actor,
        target=requirement,
        summary={"risk": None, "previous": before, "reason": reason.strip()[:500]},
    )
    return requirement


@transition("requirement.lead_dev_assigned")
def assign_lead_dev(*, requirement: Requirement, actor: User, lead_dev: User) -> Requirement:
    """The PM names the DEV of the lead team who owns the technical plan."""
    lock_requirement(requirement)
    if refusal := can.check_edit_requirement(actor, requirement, action=_("assign the lead DEV")):
        raise refusal
    _check_lead_dev(requirement.lead_team, lead_dev)
    previous = requirement.lead_dev
    bump_version(requirement)
    Requirement.objects.filter(pk=requirement.pk).update(lead_dev=lead_dev)
    requirement.lead_dev = lead_dev
    # The delegates were the previous lead DEV's choice; the new one chooses their own.
    dropped = []
    if previous != lead_dev:
        dropped = sorted(requirement.acknowledgement_delegates.values_list("username", flat=True))
        requirement.acknowledgement_delegates.clear()
        can.forget_delegates(requirement)
    record(
        actor=actor,
        target=requirement,
        summary={
            "from": str(previous) if previous else None,
            "to": lead_dev.username,
            "delegates_dropped": dropped,
        },
    )
    return requirement


@transition("requirement.acknowledgement_delegated")
def delegate_acknowledgement(*, requirement: Requirement, actor: User, delegate: User) -> User:
    """The lead DEV lets another DEV of the lead team acknowledge scenarios in their stead."""
    lock_requirement(requirement)
    if refusal := can.check_delegate_acknowledgement(actor, requirement, delegate):
        raise refusal
    if requirement.acknowledgement_delegates.filter(pk=delegate.pk).exists():
        raise Refused("delegate.already_delegated", user=str(delegate), requirement=requirement.key)
    bump_version(requirement)
    requirement.acknowledgement_delegates.add(delegate)
    can.forget_delegates(requirement)
    record(actor=actor, target=requirement, summary={"to": delegate.username})
    return delegate


@transition("requirement.acknowledgement_undelegated")
def undelegate_acknowledgement(*, requirement: Requirement, actor: User, delegate: User) -> User:
    """The lead DEV takes back a delegation: that DEV may again only ask about scenarios."""
    lock_requirement(requirement)
    if refusal := can.check_delegate_acknowledgement(actor, requirement):
        raise refusal
    if not requirement.acknowledgement_delegates.filter(pk=delegate.pk).exists():
        raise Refused("delegate.not_delegated", user=str(delegate), requirement=requirement.key)
    bump_version(requirement)
    requirement.acknowledgement_delegates.remove(delegate)
    can.forget_delegates(requirement)
    record(actor=actor, target=requirement, summary={"to": delegate.username})
    return delegate


def _check_revision_confirmed(requirement: Requirement, confirm: bool) -> None:
    """A change that re-revisions the plan withdraws, while the plan is in review, approved
    or aligning, the review request, the approval and the sign-offs: like an item edit, it
    goes ahead only when the actor confirms."""
    if confirm or requirement.status not in STALE_ON_REVISION:
        return
    from techalign.plans.permissions import check_withdrawal_confirmed
    from techalign.plans.selectors import current_revision

    revision = current_revision(requirement)
    if refusal := check_withdrawal_confirmed(requirement, revision, confirm=confirm):
        raise refusal


def _after_scenario_change(requirement: Requirement, actor: User, summary: str) -> None:
    """Scenario content is part of what reviewers and parties agree to: re-revision the plan."""
    from techalign.plans.services import revise_for_scenarios

    revise_for_scenarios(requirement=requirement, actor=actor, summary=summary)


@transition("scenario.added")
def add_scenario(
    *,
    requirement: Requirement,
    actor: User,
    title: str,
    description: str = "",
    priority: str = Priority.P1,
    acceptance_criteria: str = "",
    confirm: bool = False,
) -> Scenario:
    """The PM adds a scenario; it gets the next stable key (S-n) and must be acknowledged.
    The plan gets a new revision: one that withdraws a review, an approval or sign-offs only
    with `confirm`."""
    lock_requirement(requirement)
    if refusal := can.check_edit_requirement(actor, requirement, action=_("add a scenario")):
        raise refusal
    limits.check_texts(
        title=title, description=description, acceptance_criteria=acceptance_criteria
    )
    limits.check_room("scenarios_per_requirement", requirement.scenarios.count())
    if priority not in Priority.values:
        raise Refused("input.invalid", field="priority", problem=", ".join(Priority.values))
    _check_revision_confirmed(requirement, confirm)
    Requirement.objects.filter(pk=requirement.pk).update(
        next_scenario_number=F("next_scenario_number") + 1, version=F("version") + 1
    )
    requirement.refresh_from_db(fields=["next_scenario_number", "version"])
    scenario = Scenario.objects.create(
        requirement=requirement,
        number=requirement.next_scenario_number - 1,
        title=title,
        description=description,
        priority=priority,
        acceptance_criteria=acceptance_criteria,
    )
    record(
        actor=actor,
        target=scenario,
        summary={"key": scenario.key, "title": title, "priority": priority},
    )
    _after_scenario_change(requirement, actor, f"{scenario.key} added")
    return scenario


SCENARIO_FIELDS = {"title", "description", "priority", "acceptance_criteria"}
# The fields whose change after hand-off makes the items covering the scenario suspect; a new
# priority reorders the work but does not change what an item must do.
SUSPECT_FIELDS = ("title", "description", "acceptance_criteria")


@transition("scenario.updated")
def update_scenario(
    *,
    scenario: Scenario,
    actor: User,
    version: int | None = None,
    confirm: bool = False,
    **changes: Any,
) -> Scenario:
    """The PM edits a scenario; its acknowledgement is reset, since the DEV agreed to the old
    text. After hand-off, a change of its title, description or acceptance criteria also marks
    every item of the current revision covering it suspect, with the before and after. The
    plan gets a new revision: one that withdraws a review, an approval or sign-offs only with
    `confirm`."""
    requirement = scenario.requirement
    lock_requirement(requirement)
    if refusal := can.check_edit_requirement(actor, requirement, action=_("edit a scenario")):
        raise refusal
    limits.check_texts(**changes)
    unknown = set(changes) - SCENARIO_FIELDS
    if unknown:
        raise Refused("input.invalid", field=", ".join(sorted(unknown)), problem=_("not editable"))
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise Refused("input.invalid", field="priority", problem=", ".join(Priority.values))
    before = {f: getattr(scenario, f) for f in changes}
    bump_version(requirement, seen=version)
    _check_revision_confirmed(requirement, confirm)
    Scenario.objects.filter(pk=scenario.pk).update(
        acknowledged_by=None, acknowledged_at=None, **changes
    )
    scenario.refresh_from_db()
    record(
        actor=actor,
        target=scenario,
        summary={"key": scenario.key, "before": before, "after": changes},
    )
    _after_scenario_change(requirement, actor, f"{scenario.key} changed")
    changed = [f for f in SUSPECT_FIELDS if f in changes and changes[f] != before[f]]
    if changed and requirement.status in AFTER_HAND_OFF:
        from techalign.plans.services import mark_suspect

        mark_suspect(
            scenario=scenario,
            actor=actor,
            before={f: before[f] for f in changed},
            after={f: changes[f] for f in changed},
        )
    return scenario


@transition("scenario.marked_out_of_scope")
def mark_out_of_scope(
    *, scenario: Scenario, actor: User, reason: str, confirm: bool = False
) -> Scenario:
    """The PM takes a scenario out of this plan's scope, saying why; coverage then skips it.
    The plan gets a new revision (one that withdraws a review, an approval or sign-offs only
    with `confirm`)."""
    requirement = scenario.requirement
    lock_requirement(requirement)
    if refusal := can.check_edit_requirement(
        actor, requirement, action=_("mark a scenario out of scope")
    ):
        raise refusal
    limits.check_texts(reason=reason)
    if not reason.strip():
        raise Refused("input.invalid", field="reason", problem=_("a reason is required"))
    from techalign.plans.selectors import items_covering

    covering = items_covering(scenario)
    if covering:
        raise Refused(
            "scenario.covered_cannot_be_out_of_scope", scenario=scenario.key, items=covering
        )
    _check_revision_confirmed(requirement, confirm)
    bump_version(requirement)
    Scenario.objects.filter(pk=scenario.pk).update(
        out_of_scope_reason=reason, out_of_scope_by=actor, out_of_scope_at=timezone.now()
    )
    scenario.refresh_from_db()
    record(
        actor=actor,
        target=scenario,
        summary={"key": scenario.key, "reason": reason},
    )
    _after_scenario_change(requirement, actor, f"{scenario.key} out of scope")
    return scenario


@transition("scenario.returned_to_scope")
def return_to_scope(*, scenario: Scenario, actor: User, confirm: bool = False) -> Scenario:
    """The PM withdraws an out-of-scope mark; the scenario must then be covered again. The
    plan gets a new revision (one that withdraws a review, an approval or sign-offs only with
    `confirm`)."""
    requirement = scenario.requirement
    lock_requirement(requirement)
    if refusal := can.check_edit_requirement(
        actor, requirement, action=_("return a scenario to scope")
    ):
        raise refusal
    if not scenario.is_out_of_scope:
        raise Refused("scenario.not_out_of_scope", scenario=scenario.key)
    _check_revision_confirmed(requirement, confirm)
    bump_version(requirement)
    Scenario.objects.filter(pk=scenario.pk).update(
        out_of_scope_reason="", out_of_scope_by=None, out_of_scope_at=None
    )
    scenario.refresh_from_db()
    record(
        actor=actor,
        target=scenario,
        summary={"key": scenario.key},
    )
    _after_scenario_change(requirement, actor, f"{scenario.key} back in scope")
    return scenario


@transition("requirement.cancelled")
def cancel_requirement(*, requirement: Requirement, actor: User, reason: str) -> Requirement:
    """A PM of the lead team drops the requirement before its baseline, saying why. Its
    meetings still on the calendar are cancelled with it; it leaves every open list and
    nothing more can be done on it. What is already baselined changes through a change
    request instead."""
    lock_requirement(requirement)
    if refusal := can.check_cancel(actor, requirement):
        raise refusal
    limits.check_texts(reason=reason)
    reason = reason.strip()
    if not reason:
        raise Refused("requirement.cancel_reason_required", requirement=requirement.key)
    from techalign.meetings.services import cancel_with_requirement

    previous = requirement.status
    meetings = cancel_with_requirement(requirement, actor)
    move_to(requirement, Status.CANCELLED)
    Requirement.objects.filter(pk=requirement.pk).update(cancel_reason=reason)
    requirement.cancel_reason = reason
    record(
        actor=actor,
        target=requirement,
        summary={"from": previous, "reason": reason[:500], "meetings": meetings},
    )
    notify.emit("requirement.cancelled", requirement=requirement, actor=actor)
    return requirement


@transition("requirement.handed_off")
def hand_off(*, requirement: Requirement, actor: User) -> Requirement:
    """Step 1: the PM hands the requirement to the lead DEV, who must acknowledge each scenario."""
    lock_requirement(requirement)
    if refusal := can.check_hand_off(actor, requirement):
        raise refusal
    lead_dev = requirement.lead_dev
    if lead_dev is None:
        raise Refused("requirement.lead_dev_missing", requirement=requirement.key)
    move_to(requirement, Status.HANDED_OFF)
    record(
        actor=actor,
        target=requirement,
        summary={"to": lead_dev.username},
    )
    notify.emit("requirement.handed_off", requirement=requirement, actor=actor)
    return requirement


def _open_hand_off_questions(
    requirement: Requirement, scenario: Scenario | None = None
) -> QuerySet[Question]:
    questions = Question.objects.filter(
        requirement=requirement, stage=Question.Stage.HAND_OFF, resolved_at__isnull=True
    )
    return questions.filter(scenario=scenario) if scenario else questions


def _complete_hand_off_if_done(requirement: Requirement, actor: User) -> None:
    """Step 1 ends when every scenario is acknowledged and every hand-off question answered."""
    if requirement.status != Status.HANDED_OFF:
        return
    pending = requirement.scenarios.filter(is_withdrawn=False, acknowledged_at__isnull=True)
    if pending.exists() or _open_hand_off_questions(requirement).exists():
        return
    move_to(requirement, Status.PLANNING)
    Requirement.objects.filter(pk=requirement.pk).update(hand_off_completed_at=timezone.now())
    record(actor=actor, action="requirement.hand_off_completed", target=requirement)


@transition("scenario.acknowledged")
def acknowledge_scenario(*, scenario: Scenario, actor: User) -> Scenario:
    """The lead DEV, or a DEV they delegate, confirms they understood a scenario."""
    requirement = scenario.requirement
    lock_requirement(requirement)
    can.forget_delegates(requirement)
    if refusal := can.check_acknowledge(actor, requirement, scenario):
        raise refusal
    rows = Scenario.objects.filter(pk=scenario.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=actor, acknowledged_at=timezone.now()
    )
    if not rows:
        raise Refused("scenario.already_acknowledged", scenario=scenario.key)
    # The requirement's ETag covers its scenarios' state.
    bump_version(requirement)
    scenario.refresh_from_db()
    record(actor=actor, target=scenario, summary={"key": scenario.key})
    _complete_hand_off_if_done(requirement, actor)
    return scenario


@transition("question.raised")
def raise_question(
    *,
    requirement: Requirement,
    actor: User,
    body: str,
    scenario: Scenario | None = None,
    item_key: str = "",
    meeting: Any = None,
    is_blocking: bool = False,
) -> Question:
    """Ask on a scenario (at hand-off), on a plan item, or in a meeting, for one's own side (the
    lead team or the related party one belongs to); a blocking question stops finalizing until
    that side accepts an answer."""
    lock_requirement(requirement)
    if refusal := can.check_raise_question(actor, requirement):
        raise refusal
    if not body.strip():
        raise Refused("input.invalid", field="body", problem=_("must not be empty"))
    limits.check_texts(body=body)
    # How many there are and the last number, in one statement (the write lock is held).
    asked = requirement.questions.aggregate(count=Count("pk"), last=Max("number"))
    limits.check_room("questions_per_requirement", asked["count"])
    if scenario is not None and scenario.requirement_id != requirement.pk:
        raise Refused(
            "item.unknown_scenario", scenarios=[scenario.key], requirement=requirement.key
        )
    if item_key:
        from techalign.plans.selectors import current_item_keys

        if item_key not in current_item_keys(requirement):
            raise Refused("question.not_blocking_target", item=item_key)
    if meeting is not None:
        stage = Question.Stage.MEETING
    elif requirement.status == Status.HANDED_OFF and scenario is not None:
        stage = Question.Stage.HAND_OFF
    else:
        stage = Question.Stage.PLAN
    bump_version(requirement)
    question = Question.objects.create(
        requirement=requirement,
        number=(asked["last"] or 0) + 1,
        stage=stage,
        scenario=scenario,
        item_key=item_key,
        meeting=meeting,
        raised_by=actor,
        raised_for_team=_asker_team(actor, requirement, item_key),
        body=body,
        is_blocking=is_blocking,
    )
    record(
        actor=actor,
        target=question,
        summary={
            "key": question.key,
            "stage": stage,
            "blocking": is_blocking,
            "scenario": scenario.key if scenario else None,
            "item": item_key or None,
        },
    )
    notify.emit("question.asked", question=question, actor=actor)
    return question


def _asker_team(user: User, requirement: Requirement, item_key: str) -> Team | None:
    """The side a question is raised for: the lead team when the asker is one of its members,
    else the related party they belong to (the one owning the item asked about, if any)."""
    from techalign.org.permissions import roles_of
    from techalign.plans.selectors import current_revision, items_of, party_team_ids

    mine = {team_id for team_id, _role in roles_of(user)}
    if requirement.lead_team_id in mine:
        return requirement.lead_team
    parties = sorted(party_team_ids(requirement) & mine)
    if item_key:
        revision = current_revision(requirement)
        owners = [i.owner_team_id for i in items_of(revision) if i.key == item_key]
        parties.sort(key=lambda team_id: team_id not in owners)
    return Team.objects.get(pk=parties[0]) if parties else None


def _locked(question: Question) -> Requirement:
    """Lock the question's requirement and re-read the question: its thread moves under it."""
    requirement = question.requirement
    lock_requirement(requirement)
    question.refresh_from_db()
    return requirement


def _add_reply(question: Question, author: User, body: str, kind: str) -> QuestionReply:
    if not body.strip():
        raise Refused("input.invalid", field="body", problem=_("must not be empty"))
    limits.check_texts(body=body)
    limits.check_room("replies_per_question", question.replies.count())
    return QuestionReply.objects.create(question=question, author=author, body=body, kind=kind)


def _move(question: Question, **changes: Any) -> None:
    """Compare-and-set the question's state: a writer that read another state loses."""
    rows = Question.objects.filter(pk=question.pk, state=question.state).update(**changes)
    if not rows:
        raise Refused("question.already_resolved", question=question.key)
    question.refresh_from_db()


@transition("question.replied")
def reply_to_question(*, question: Question, actor: User, body: str) -> QuestionReply:
    """Add a reply to an open question's thread; anyone who may ask on the requirement may."""
    requirement = _locked(question)
    if refusal := can.check_reply_to_question(actor, question):
        raise refusal
    reply = _add_reply(question, actor, body, QuestionReply.Kind.REPLY)
    bump_version(requirement)
    record(actor=actor, target=question, summary={"key": question.key, "reply": body[:500]})
    notify.emit("question.replied", question=question, reply=reply, actor=actor)
    return reply


@transition("question.answer_proposed")
def propose_answered(*, question: Question, actor: User, body: str) -> Question:
    """The other side replies with what it holds to be the answer; the question stays open
    until the asker's side accepts it (a blocking one keeps holding finalizing)."""
    requirement = _locked(question)
    if refusal := can.check_propose_answer(actor, question):
        raise refusal
    reply = _add_reply(question, actor, body, QuestionReply.Kind.PROPOSAL)
    _move(question, state=Question.State.PROPOSED, answer_reply=reply)
    bump_version(requirement)
    record(actor=actor, target=question, summary={"key": question.key, "answer": body[:500]})
    notify.emit("question.answered", question=question, actor=actor)
    return question


def _accept(question: Question, actor: User, reply: QuestionReply) -> None:
    _move(
        question,
        state=Question.State.ACCEPTED,
        answer_reply=reply,
        answer=reply.body,
        resolved_by=actor,
        resolved_at=timezone.now(),
    )


@transition("question.answer_accepted")
def accept_answer(
    *, question: Question, actor: User, reply: QuestionReply | None = None
) -> Question:
    """The asker, or a PM or DEV of the team they asked for, accepts a reply (the proposed one
    unless another is named) as the answer: the question is closed, and a hand-off question
    that was the last one open completes the hand-off."""
    requirement = _locked(question)
    if reply is not None and reply.question_id != question.pk:
        raise Refused("access.not_found", kind=_("Reply"), ref=f"{question.key}/{reply.pk}")
    if refusal := can.check_accept_answer(actor, question, reply):
        raise refusal
    chosen = reply or question.answer_reply
    assert chosen is not None  # the check refuses a question without one
    _accept(question, actor, chosen)
    bump_version(requirement)
    record(
        actor=actor,
        target=question,
        summary={"key": question.key, "answer": chosen.body[:500], "by": chosen.author.username},
    )
    notify.emit("question.accepted", question=question, reply=chosen, actor=actor)
    _complete_hand_off_if_done(requirement, actor)
    return question


@transition("question.answer_rejected")
def reject_answer(*, question: Question, actor: User, reason: str) -> Question:
    """The asker's side does not accept the proposed answer and says why; the question is open
    again and the proposer hears of it."""
    requirement = _locked(question)
    if refusal := can.check_reject_answer(actor, question):
        raise refusal
    proposal = question.answer_reply
    why = _add_reply(question, actor, reason, QuestionReply.Kind.REJECTION)
    _move(question, state=Question.State.OPEN, answer_reply=None)
    bump_version(requirement)
    record(actor=actor, target=question, summary={"key": question.key, "reason": reason[:500]})
    notify.emit("question.rejected", question=question, reply=proposal, reason=why, actor=actor)
    return question


@transition("question.reopened")
def reopen_question(*, question: Question, actor: User, reason: str) -> Question:
    """The asker's side reopens a closed question, saying why; a blocking one holds
    finalizing again. Whoever's answer had been accepted hears of it."""
    requirement = _locked(question)
    if refusal := can.check_reopen_question(actor, question):
        raise refusal
    accepted = question.answer_reply
    why = _add_reply(question, actor, reason, QuestionReply.Kind.REOPENING)
    _move(
        question,
        state=Question.State.OPEN,
        answer_reply=None,
        answer="",
        resolved_by=None,
        resolved_at=None,
    )
    bump_version(requirement)
    record(actor=actor, target=question, summary={"key": question.key, "reason": reason[:500]})
    notify.emit("question.rejected", question=question, reply=accepted, reason=why, actor=actor)
    return question


def close_by_decision(*, question: Question, decision: Any, actor: User) -> Question:
    """A meeting decision that cites the question settles it: the decision becomes the
    accepted answer in its thread. Runs inside the decision's transaction, requirement locked."""
    question.refresh_from_db()
    if question.requirement_id != decision.meeting.requirement_id:
        raise Refused(
            "access.not_found", kind=_("Question"), ref=f"{decision.meeting.requirement}/{question}"
        )
    if question.state == Question.State.ACCEPTED:
        raise Refused("question.already_resolved", question=question.key)
    reply = QuestionReply.objects.create(
        question=question, author=actor, body=decision.text, kind=QuestionReply.Kind.DECISION
    )
    _accept(question, actor, reply)
    record(
        actor=actor,
        action="question.closed_by_decision",
        target=question,
        summary={"key": question.key, "meeting": decision.meeting.key},
    )
    notify.emit("question.accepted", question=question, reply=reply, actor=actor)
    return question
