"""Pure `can_<verb>(user, obj) -> bool` questions for alignment meetings.

Each mirrors the role and state checks of the service of the same verb in services.py.
"""

from __future__ import annotations

from typing import Any

from techalign.meetings.models import ActionItem, Meeting
from techalign.org.models import Role
from techalign.org.permissions import has_role
from techalign.requirements.models import Requirement
from techalign.requirements.workflow import SIGNING as MEETING_STEPS

MINUTES_OPEN = {Meeting.Status.SCHEDULED, Meeting.Status.HELD}


def can_schedule_meeting(user: Any, requirement: Requirement) -> bool:
    return requirement.status in MEETING_STEPS and has_role(
        user, requirement.lead_team, Role.PM, Role.DEV
    )


def can_organise(user: Any, meeting: Meeting) -> bool:
    """Change invitees, presenter, time, or cancel: the lead team's PM or DEV, before it is held."""
    return meeting.status == Meeting.Status.SCHEDULED and has_role(
        user, meeting.requirement.lead_team, Role.PM, Role.DEV
    )


def can_edit_minutes(user: Any, meeting: Meeting, *, is_invitee: bool) -> bool:
    """Invitees and the lead team's PM or DEV keep the minutes of a scheduled or held meeting.

    `is_invitee` comes from the caller, who has the invitee list loaded already."""
    return meeting.status in MINUTES_OPEN and (
        is_invitee or has_role(user, meeting.requirement.lead_team, Role.PM, Role.DEV)
    )


def can_complete_action_item(user: Any, action_item: ActionItem) -> bool:
    return action_item.done_at is None and (
        user.pk == action_item.owner_id
        or has_role(user, action_item.meeting.requirement.lead_team, Role.PM, Role.DEV)
    )
