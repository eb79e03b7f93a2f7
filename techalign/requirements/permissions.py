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
    """A DEV of the lead team acknowledges a handed-off scenario that has no open hand-off
    question; without `scenario`, whether they may acknowledge on this requirement at all."""
    action = _("acknowledge a scenario")
    refusal = role_refusal(user, requirement.lead_team, Role.DEV, action=action) or (
        status_refusal(requirement, AFTER_HAND_OFF, action=action)
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


def check_answer_question(user: Any, question: Question) -> Refused | None:
    """Hand-off questions are the PM's to answer; others the lead team's PM or DEV, or whoever
    asked; an answered question is closed."""
    team = question.requirement.lead_team
    if question.stage == Question.Stage.HAND_OFF:
        refusal = role_refusal(user, team, Role.PM, action=_("answer a hand-off question"))
    elif user.pk != question.raised_by_id:
        refusal = role_refusal(user, team, Role.PM, Role.DEV, action=_("resolve a question"))
    else:
        refusal = None
    if refusal is None and question.is_resolved:
        return Refused("question.already_resolved", question=question.key)
    return refusal


def can_edit_requirement(user: Any, requirement: Requirement) -> bool:
    return check_edit_requirement(user, requirement) is None


def can_hand_off(user: Any, requirement: Requirement) -> bool:
    return check_hand_off(user, requirement) is None


def can_acknowledge(user: Any, requirement: Requirement) -> bool:
    return check_acknowledge(user, requirement) is None


def can_raise_question(user: Any, requirement: Requirement) -> bool:
    return check_raise_question(user, requirement) is None


def can_answer_question(user: Any, question: Question) -> bool:
    return check_answer_question(user, question) is None


def creatable_lead_teams(user: Any) -> list[Team]:
    """Teams for which `user` may draft a requirement: those where they are a PM."""
    return list(Team.objects.filter(pk__in={t for t, r in roles_of(user) if r == Role.PM}))
