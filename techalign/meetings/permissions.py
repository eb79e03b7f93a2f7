"""One pure check per rule on alignment meetings: `check_<verb>(user, obj, …) -> Refused | None`.

Services call the check after locking and raise what it returns; `can_<verb>` for the pages and
"who acts next" are derived from the same checks.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from techalign.calendars.invitations import zoned
from techalign.core.errors import AnyOf, Refused
from techalign.meetings.models import ActionItem, AttendanceWaiver, Invitee, Meeting
from techalign.org.models import Role, Team
from techalign.org.permissions import has_role
from techalign.plans import selectors as plans
from techalign.plans.permissions import reviewer_refusal
from techalign.requirements.models import Requirement, Status
from techalign.requirements.permissions import role_refusal
from techalign.requirements.workflow import SIGNING as MEETING_STEPS

MINUTES_OPEN = {Meeting.Status.SCHEDULED, Meeting.Status.HELD}


def check_schedule_meeting(user: Any, requirement: Requirement) -> Refused | None:
    """The lead team's PM or DEV takes an approved plan to an alignment meeting."""
    refusal = role_refusal(
        user,
        requirement.lead_team,
        Role.PM,
        Role.DEV,
        action=_("schedule the alignment meeting"),
    )
    if refusal is None and requirement.status not in MEETING_STEPS:
        revision = plans.current_revision(requirement)
        return Refused(
            "meeting.plan_not_approved",
            requirement=requirement.key,
            revision=revision.number if revision else 0,
            status=Status(requirement.status).label,
        )
    return refusal


def meeting_state_refusal(
    meeting: Meeting, allowed: set[str] | set[Meeting.Status], action: Any
) -> Refused | None:
    if meeting.status in allowed:
        return None
    return Refused(
        "meeting.wrong_state",
        meeting=meeting.key,
        status=Meeting.Status(meeting.status).label,
        action=action,
        needed=AnyOf(Meeting.Status(s).label for s in allowed),
    )


def check_organise(
    user: Any, meeting: Meeting, *, action: Any = None, step: Any = None
) -> Refused | None:
    """Change invitees, presenter, time, or cancel: the lead team's PM or DEV, before it is
    held. `action` names the change in a role refusal, `step` in a state refusal."""
    action = action or _("change the invitees")
    return role_refusal(
        user, meeting.requirement.lead_team, Role.PM, Role.DEV, action=action
    ) or meeting_state_refusal(meeting, {Meeting.Status.SCHEDULED}, step or action)


def _participant_refusal(
    user: Any, meeting: Meeting, action: Any, is_invitee: bool | None = None
) -> Refused | None:
    if is_invitee is None:
        is_invitee = meeting.invitees.filter(user=user).exists()
    if is_invitee or has_role(user, meeting.requirement.lead_team, Role.PM, Role.DEV):
        return None
    return Refused("meeting.not_participant", user=str(user), meeting=meeting.key, action=action)


def check_edit_minutes(
    user: Any, meeting: Meeting, *, action: Any = None, is_invitee: bool | None = None
) -> Refused | None:
    """Invitees and the lead team's PM or DEV keep the minutes of a scheduled or held meeting;
    `is_invitee` spares the invitee query when the caller knows."""
    action = action or _("record a decision")
    return _participant_refusal(user, meeting, action, is_invitee) or meeting_state_refusal(
        meeting, MINUTES_OPEN, action
    )


def check_mark_held(user: Any, meeting: Meeting) -> Refused | None:
    """A participant closes a scheduled meeting as held: once it has started, with the
    attendance of every required invitee recorded, on the approved current revision."""
    refusal = _participant_refusal(user, meeting, _("close the meeting")) or meeting_state_refusal(
        meeting, {Meeting.Status.SCHEDULED}, _("mark as held")
    )
    if refusal:
        return refusal
    if timezone.now() < meeting.starts_at:
        starts = timezone.localtime(meeting.starts_at).isoformat(timespec="minutes")
        return Refused("meeting.not_started", meeting=meeting.key, starts=starts)
    unrecorded = meeting.invitees.filter(is_required=True, attended__isnull=True).select_related(
        "user"
    )
    if unrecorded:
        return Refused(
            "meeting.attendance_missing",
            meeting=meeting.key,
            users=[str(i.user) for i in unrecorded],
        )
    requirement = meeting.requirement
    revision = plans.current_revision(requirement)
    if requirement.status not in MEETING_STEPS or plans.approval_of(revision) is None:
        return Refused(
            "meeting.revision_not_approved",
            meeting=meeting.key,
            revision=revision.number if revision else 0,
        )
    return None


def check_respond(
    user: Any, meeting: Meeting, invitee: Invitee | None, *, now: Any = None
) -> Refused | None:
    """Only the invitee answers their invitation (`invitee` is the user's row, or None), and
    only while the meeting is scheduled and has not started: once it runs, attendance is what
    the minutes record."""
    if invitee is None or invitee.user_id != user.pk:
        return Refused("invitation.not_invitee", user=str(user), meeting=meeting.key)
    refusal = meeting_state_refusal(meeting, {Meeting.Status.SCHEDULED}, _("answer the invitation"))
    if refusal is None and meeting.starts_at <= (now or timezone.now()):
        return Refused(
            "invitation.meeting_started", meeting=meeting.key, start=zoned(meeting.starts_at)
        )
    return refusal


def check_complete_action_item(user: Any, action_item: ActionItem) -> Refused | None:
    """The owner, or the lead team's PM or DEV, marks an action item done."""
    if user.pk == action_item.owner_id:
        return None
    return role_refusal(
        user,
        action_item.meeting.requirement.lead_team,
        Role.PM,
        Role.DEV,
        action=_("complete an action item"),
    )


def check_waive_attendance(
    user: Any, requirement: Requirement, team: Team | None
) -> Refused | None:
    """A tech lead or architect of the lead team, or a committee architect, excuses a party of
    the current revision from the alignment meeting; without `team`, the role only."""
    if refusal := reviewer_refusal(user, requirement, action=_("waive a party's attendance")):
        return refusal
    if team is None:
        return None
    revision = plans.current_revision(requirement)
    if team.pk not in {requirement.lead_team_id, *plans.party_team_ids(requirement, revision)}:
        return Refused(
            "waiver.not_a_party", team=team.name, revision=revision.number if revision else 0
        )
    return None


def check_withdraw_waiver(user: Any, waiver: AttendanceWaiver) -> Refused | None:
    """Those who may record a waiver withdraw one still in force."""
    requirement = waiver.requirement
    action = _("withdraw a waiver")
    if refusal := reviewer_refusal(user, requirement, action=action):
        return refusal
    if waiver.withdrawn_at is not None:
        return Refused("waiver.withdrawn", team=waiver.team.name, requirement=requirement.key)
    return None


def can_schedule_meeting(user: Any, requirement: Requirement) -> bool:
    return check_schedule_meeting(user, requirement) is None


def can_organise(user: Any, meeting: Meeting) -> bool:
    return check_organise(user, meeting) is None


def can_edit_minutes(user: Any, meeting: Meeting, *, is_invitee: bool) -> bool:
    """`is_invitee` comes from the caller, who has the invitee list loaded already."""
    return check_edit_minutes(user, meeting, is_invitee=is_invitee) is None


def can_waive_attendance(user: Any, requirement: Requirement) -> bool:
    return check_waive_attendance(user, requirement, None) is None


def can_respond(user: Any, meeting: Meeting, invitee: Invitee | None) -> bool:
    return check_respond(user, meeting, invitee) is None


def can_complete_action_item(user: Any, action_item: ActionItem) -> bool:
    return action_item.done_at is None and check_complete_action_item(user, action_item) is None
