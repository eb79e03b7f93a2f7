"""One pure check per rule on requirements: `check_<verb>(user, obj, …) -> Refused | None`.

A check holds the role, step and gate conditions of its action and returns the refusal the
service raises (services call it after locking the requirement). `can_<verb>` (buttons on the
pages) and "who acts next" are derived from the same checks, so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from techalign.core.errors import Refused
from techalign.org.models import Role, Team
from techalign.org.permissions import has_role, require_role, roles_of
from techalign.requirements.models import Question, Requirement, Scenario, Status
from techalign.requirements.workflow import AFTER_HAND_OFF, EDITABLE, status_refusal


def is_involved(user: Any, requirement: Requirement) -> bool:
    """Lead team or related-party member, or a meeting invitee: those who may raise questions."""
    from techalign.plans.selectors import party_team_ids

    team_ids = {requirement.lead_team_id, *party_team_ids(requirement)}
    if any(has_role(user, t, *Role.values) for t in team_ids):
        return True
    return requirement.meetings.filter(invitees__user=user).exists()


def role_refusal(user: Any, team: Team, *roles: str, action: Any) -> Refused | None:
    """The refusal `require_role` would raise, or None when `user` holds one of `roles`."""
    try:
        require_role(user, team, *roles, action=action)
    except Refused as refusal:
        return refusal
    return None


def check_edit_requirement(
    user: Any, requirement: Requirement, *, action: Any = None
) -> Refused | None:
    """The lead team's PM edits text, scenarios, scope and the lead DEV until the baseline."""
    action = action or _("edit the requirement")
    return role_refusal(user, requirement.lead_team, Role.PM, action=action) or status_refusal(
        requirement, EDITABLE, action=action
    )


def check_mark_risk(user: Any, requirement: Requirement) -> Refused | None:
    """A PM or tech lead of the lead team marks the requirement high-risk or clears it, until
    it is cancelled."""
    action = _("mark the risk of the requirement")
    return role_refusal(
        user, requirement.lead_team, Role.PM, Role.TECH_LEAD, action=action
    ) or status_refusal(requirement, set(Status.values) - {Status.CANCELLED}, action=action)


def can_mark_risk(user: Any, requirement: Requirement) -> bool:
    return check_mark_risk(user, requirement) is None


def check_cancel(user: Any, requirement: Requirement) -> Refused | None:
    """A PM of the lead team drops the requirement before its baseline; after it, what was
    agreed changes through a change request."""
    action = _("cancel the requirement")
    refusal = role_refusal(user, requirement.lead_team, Role.PM, action=action) or status_refusal(
        requirement, EDITABLE, action=action
    )
    if refusal is None and requirement.finalized_at is not None:
        # Reopened by a change request: the baseline stands; withdraw the change instead.
        baseline = requirement.baselines.order_by("-version").first()
        return Refused(
            "requirement.baselined",
            requirement=requirement.key,
            version=baseline.version if baseline else "?",
        )
    return refusal


def can_cancel(user: Any, requirement: Requirement) -> bool:
    return check_cancel(user, requirement) is None


def check_hand_off(user: Any, requirement: Requirement) -> Refused | None:
    """A PM of the lead team hands a draft with scenarios and a lead DEV to that DEV."""
    refusal = role_refusal(
        user, requirement.lead_team, Role.PM, action=_("hand off the requirement")
    ) or status_refusal(requirement, {Status.DRAFT}, action=_("hand off"))
    if refusal:
        return refusal
    if not requirement.scenarios.filter(is_withdrawn=False).exists():
        return Refused("requirement.no_scenarios", requirement=requirement.key)
    if requirement.lead_dev_id is None:
        return Refused("requirement.lead_dev_missing", requirement=requirement.key)
    return None


def check_acknowledge(
    user: Any, requirement: Requirement, scenario: Scenario | None = None
) -> Refused | None:
    """The lead DEV, or a DEV of the lead team they delegate, acknowledges a handed-off
    scenario that has no open hand-off question; without `scenario`, whether they may
    acknowledge on this requirement at all. Other DEVs may still ask questions."""
    action = _("acknowledge a scenario")
    refusal = role_refusal(user, requirement.lead_team, Role.DEV, action=action) or (
        status_refusal(requirement, AFTER_HAND_OFF, action=action)
    )
    if refusal is None and not may_acknowledge(user, requirement):
        refusal = Refused(
            "scenario.not_lead_dev",
            lead_dev=str(requirement.lead_dev),
            requirement=requirement.key,
            user=str(user),
        )
    if refusal or scenario is None:
        return refusal
    if scenario.acknowledged_at:
        return Refused("scenario.already_acknowledged", scenario=scenario.key)
    open_questions = [
        q.key
        for q in requirement.questions.filter(
            stage=Question.Stage.HAND_OFF, resolved_at__isnull=True, scenario=scenario
        )
    ]
    if open_questions:
        return Refused("scenario.open_questions", scenario=scenario.key, questions=open_questions)
    return None


def acknowledgement_delegate_ids(requirement: Requirement) -> set[int]:
    """The lead DEV's delegates, read once per requirement instance: "who acts next" runs the
    acknowledge check for every member. Services that change them call `forget_delegates`."""
    if "_delegate_ids" not in requirement.__dict__:
        requirement.__dict__["_delegate_ids"] = set(
            requirement.acknowledgement_delegates.values_list("pk", flat=True)
        )
    ids: set[int] = requirement.__dict__["_delegate_ids"]
    return ids


def forget_delegates(requirement: Requirement) -> None:
    requirement.__dict__.pop("_delegate_ids", None)


def may_acknowledge(user: Any, requirement: Requirement) -> bool:
    """The lead DEV and those they delegate: who acknowledges is one person's job, not any DEV's."""
    if user.pk is None:
        return False
    if requirement.lead_dev_id == user.pk:
        return True
    return user.pk in acknowledgement_delegate_ids(requirement) and has_role(
        user, requirement.lead_team, Role.DEV
    )


def check_delegate_acknowledgement(
    user: Any, requirement: Requirement, delegate: Any = None
) -> Refused | None:
    """Only the lead DEV delegates acknowledging, to another DEV of the lead team, until the
    baseline; without `delegate`, whether `user` may delegate on this requirement at all."""
    action = _("delegate acknowledging scenarios")
    if requirement.lead_dev_id is None or requirement.lead_dev_id != user.pk:
        return Refused(
            "delegate.not_lead_dev",
            lead_dev=str(requirement.lead_dev) if requirement.lead_dev_id else "-",
            requirement=requirement.key,
            user=str(user),
        )
    refusal = status_refusal(requirement, EDITABLE, action=action)
    if refusal or delegate is None:
        return refusal
    if delegate.pk == requirement.lead_dev_id:
        return Refused("delegate.is_lead_dev", user=str(delegate), requirement=requirement.key)
    if not has_role(delegate, requirement.lead_team, Role.DEV):
        return Refused("delegate.not_dev", user=str(delegate), team=requirement.lead_team.name)
    return None


def check_raise_question(user: Any, requirement: Requirement) -> Refused | None:
    """Members of the lead team or a related party, and meeting invitees, ask once handed off."""
    action = _("raise a question")
    if not is_involved(user, requirement):
        return Refused(
            "role.not_allowed",
            roles=_("member"),
            team=requirement.lead_team.name,
            action=action,
            user=str(user),
        )
    return status_refusal(requirement, AFTER_HAND_OFF, action=action)


def asker_side_refusal(user: Any, question: Question, action: Any) -> Refused | None:
    """None when `user` is on the asker's side of `question`: the asker, or a PM or DEV of the
    team the asker raised it for; else the refusal naming the asker."""
    if user.pk == question.raised_by_id:
        return None
    team = question.raised_for_team
    if team is not None and has_role(user, team, Role.PM, Role.DEV):
        return None
    details = {
        "asker": str(question.raised_by),
        "question": question.key,
        "action": action,
        "user": str(user),
    }
    if team is None:
        return Refused("question.not_asker", **details)
    return Refused("question.not_asker_side", team=team.name, **details)


def _closed_refusal(question: Question) -> Refused | None:
    if question.state == Question.State.ACCEPTED:
        return Refused("question.already_resolved", question=question.key)
    return None


def check_reply_to_question(user: Any, question: Question) -> Refused | None:
    """Whoever may ask on the requirement may reply in an open question's thread."""
    return check_raise_question(user, question.requirement) or _closed_refusal(question)


def check_propose_answer(user: Any, question: Question) -> Refused | None:
    """The other side proposes an answer: the lead team's PM for hand-off questions; for the
    others, a PM or DEV of the lead team or of a related party. Never the asker."""
    requirement = question.requirement
    if question.stage == Question.Stage.HAND_OFF:
        refusal = role_refusal(
            user, requirement.lead_team, Role.PM, action=_("answer a hand-off question")
        )
    else:
        from techalign.plans.selectors import party_team_ids

        teams = {requirement.lead_team_id, *party_team_ids(requirement)}
        refusal = None
        if not any(has_role(user, t, Role.PM, Role.DEV) for t in teams):
            refusal = role_refusal(
                user, requirement.lead_team, Role.PM, Role.DEV, action=_("answer a question")
            )
    if refusal is None and user.pk == question.raised_by_id:
        refusal = Refused("question.asker_cannot_propose", user=str(user), question=question.key)
    return refusal or _closed_refusal(question)


def check_accept_answer(user: Any, question: Question, reply: Any = None) -> Refused | None:
    """The asker's side accepts a reply as the answer (the proposed one when none is named),
    which closes the question; whoever wrote that reply cannot accept it themselves."""
    refusal = asker_side_refusal(user, question, _("accept an answer")) or _closed_refusal(question)
    if refusal:
        return refusal
    if reply is None and question.state == Question.State.PROPOSED:
        reply = question.answer_reply
    if reply is None:
        return Refused("question.no_answer", question=question.key)
    if reply.author_id == user.pk:
        return Refused(
            "question.own_answer",
            user=str(user),
            question=question.key,
            asker=str(question.raised_by),
        )
    return None


def check_reject_answer(user: Any, question: Question) -> Refused | None:
    """The asker's side sends a proposed answer back, the question open again."""
    refusal = asker_side_refusal(user, question, _("reject a proposed answer"))
    if refusal is None and question.state != Question.State.PROPOSED:
        return _closed_refusal(question) or Refused(
            "question.nothing_proposed", question=question.key
        )
    return refusal


def check_reopen_question(user: Any, question: Question) -> Refused | None:
    """The asker's side reopens an accepted (or decided) question, giving a reason."""
    refusal = asker_side_refusal(user, question, _("reopen a question"))
    if refusal is None and question.state != Question.State.ACCEPTED:
        return Refused("question.not_accepted", question=question.key)
    return refusal


def can_edit_requirement(user: Any, requirement: Requirement) -> bool:
    return check_edit_requirement(user, requirement) is None


def can_hand_off(user: Any, requirement: Requirement) -> bool:
    return check_hand_off(user, requirement) is None


def can_acknowledge(user: Any, requirement: Requirement) -> bool:
    return check_acknowledge(user, requirement) is None


def can_delegate_acknowledgement(user: Any, requirement: Requirement) -> bool:
    return check_delegate_acknowledgement(user, requirement) is None


def can_raise_question(user: Any, requirement: Requirement) -> bool:
    return check_raise_question(user, requirement) is None


def can_reply_to_question(user: Any, question: Question) -> bool:
    return check_reply_to_question(user, question) is None


def can_propose_answer(user: Any, question: Question) -> bool:
    return check_propose_answer(user, question) is None


def can_accept_answer(user: Any, question: Question) -> bool:
    return check_accept_answer(user, question) is None


def can_reject_answer(user: Any, question: Question) -> bool:
    return check_reject_answer(user, question) is None


def can_reopen_question(user: Any, question: Question) -> bool:
    return check_reopen_question(user, question) is None


def creatable_lead_teams(user: Any) -> list[Team]:
    """Teams for which `user` may draft a requirement: those where they are a PM."""
    return list(Team.objects.filter(pk__in={t for t, r in roles_of(user) if r == Role.PM}))
