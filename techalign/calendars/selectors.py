"""Reads for calendars: a person's sources, the slot-search target, the day list."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import QuerySet

from techalign.calendars.models import CalendarSource
from techalign.core.errors import Refused
from techalign.meetings import selectors as meetings
from techalign.meetings.models import Meeting
from techalign.org.models import User
from techalign.requirements.models import Requirement
from techalign.requirements.selectors import get_requirement

TARGET = re.compile(r"^REQ-(?P<req>\d+)(?:[/:]M-(?P<meeting>\d+))?$", re.IGNORECASE)


@dataclass
class SlotTarget:
    """Who a slot search is for: a requirement's minimum invitees, or a meeting's invitees."""

    requirement: Requirement
    meeting: Meeting | None
    required: list[User]
    optional: list[User]

    @property
    def label(self) -> str:
        if self.meeting is not None:
            return f"{self.requirement.key}/{self.meeting.key}"
        return self.requirement.key

    @property
    def duration(self) -> dt.timedelta:
        if self.meeting is not None:
            return self.meeting.ends_at - self.meeting.starts_at
        return dt.timedelta(hours=1)


def slot_target(ref: str) -> SlotTarget:
    """Resolve "REQ-7" (the default invitees of its next meeting) or "REQ-7/M-2" (the invitees
    of that meeting, required and optional)."""
    match = TARGET.match(ref.strip())
    if not match:
        raise Refused("slots.unknown_target", ref=ref)
    requirement = get_requirement(None, match["req"])
    if match["meeting"] is None:
        required = [user for user, _team, _role in meetings.default_invitees(requirement)]
        return SlotTarget(requirement, None, required, [])
    meeting = meetings.access_meeting(requirement, f"M-{match['meeting']}")
    invitees = list(meeting.invitees.select_related("user").order_by("-is_required", "user_id"))
    return SlotTarget(
        requirement,
        meeting,
        [i.user for i in invitees if i.is_required],
        [i.user for i in invitees if not i.is_required],
    )


def sources_of(user: User) -> QuerySet[CalendarSource]:
    """A person's calendar sources, without the stored calendar text."""
    return CalendarSource.objects.filter(user=user).defer("ics_text", "busy").order_by("name")


def access_source(user: User, source_id: str | int, *, lock: bool = False) -> CalendarSource:
    """A calendar source its owner (or an administrator) manages, by id, for the API and the
    calendar pages alike; anyone else's, or an unknown id, is not found."""
    from techalign.calendars.services import can_manage
    from techalign.requirements.selectors import access_one

    source = access_one(
        CalendarSource.objects.select_related("user"),
        source_id,
        prefix=None,
        field="pk",
        kind="Calendar",
        label=str(source_id),
        lock=lock,
    )
    if not can_manage(user, source.user):
        raise Refused("access.not_found", kind="Calendar", ref=str(source_id))
    return source
