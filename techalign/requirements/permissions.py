"""Pure `can_<verb>(user, obj) -> bool` questions for requirements, for pages and the API alike.

Each mirrors the role and step checks of the service of the same verb in services.py; the
service stays the authority (it also checks the finer gates and says why it refuses).
"""

from __future__ import annotations

from typing import Any

from techalign.org.models import Role, Team
from techalign.org.permissions import has_role, roles_of
from techalign.requirements.models import Question, Requirement, Status
from techalign.requirements.services import is_involved
from techalign.requirements.workflow import AFTER_HAND_OFF, EDITABLE


def can_edit_requirement(user: Any, requirement: Requirement) -> bool:
    """The lead team's PM edits text, scenarios and scope until the plan is baselined."""
    return requirement.status in EDITABLE and has_role(user, requirement.lead_team, Role.PM)


def can_hand_off(user: Any, requirement: Requirement) -> bool:
    return requirement.status == Status.DRAFT and has_role(user, requirement.lead_team, Role.PM)


def can_acknowledge(user: Any, requirement: Requirement) -> bool:
    """A DEV of the lead team acknowledges or asks about scenarios once handed off."""
    return requirement.status in AFTER_HAND_OFF and has_role(user, requirement.lead_team, Role.DEV)


def can_raise_question(user: Any, requirement: Requirement) -> bool:
    return requirement.status in AFTER_HAND_OFF and is_involved(user, requirement)


def can_answer_question(user: Any, question: Question) -> bool:
    """Hand-off questions are the PM's; others the lead team's PM or DEV, or whoever asked."""
    if question.is_resolved:
        return False
    team = question.requirement.lead_team
    if question.stage == Question.Stage.HAND_OFF:
        return has_role(user, team, Role.PM)
    return user.pk == question.raised_by_id or has_role(user, team, Role.PM, Role.DEV)


def creatable_lead_teams(user: Any) -> list[Team]:
    """Teams for which `user` may draft a requirement: those where they are a PM."""
    return list(Team.objects.filter(pk__in={t for t, r in roles_of(user) if r == Role.PM}))
