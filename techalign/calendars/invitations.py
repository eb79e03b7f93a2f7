"""Writing ICS: RFC 5545 / iTIP (RFC 5546) invitations for alignment meetings, and each
person's private feed of their techalign meetings.

Times are written in UTC: some servers misread VTIMEZONE blocks (Radicale shifts zones written
as RDATE lists by an hour), and every client shows UTC in the reader's own zone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import icalendar
from django.conf import settings
from django.utils import timezone

from techalign.meetings.models import Meeting
from techalign.plans import selectors as plans

PRODID = "-//techalign//alignment meetings//EN"


def absolute(path: str) -> str:
    return settings.TECHALIGN_BASE_URL.rstrip("/") + path


def meeting_url(meeting: Meeting) -> str:
    return absolute(f"/r/{meeting.requirement.key}/meetings/{meeting.key}/")


def agenda(meeting: Meeting) -> str:
    """The meeting's agenda as plain text: what is presented, for whom, what to bring."""
    requirement = meeting.requirement
    revision = meeting.revision
    lines = [
        f"{requirement.key} {requirement.title}",
        f"Technical plan revision {revision.number} ({revision.content_hash[:12]})",
        f"Presenter: {meeting.presenter}",
        "",
        "Agenda:",
        "1. The requirement's scenarios (PM)",
        "2. The technical plan, item by item (presenter)",
        "3. Each related party's asks and dates",
        "4. Questions, decisions, action items",
        "5. Sign-off by every party on this revision",
        "",
        "Scenarios:",
    ]
    lines += [f"  {s.key} {s.title}" for s in plans.live_scenarios(requirement)]
    lines.append("Plan items:")
    for item in plans.items_of(revision):
        lines.append(f"  {item.key} [{item.owner_team}] {item.title}")
    parties = sorted(str(t) for t in plans.related_parties(requirement))
    if parties:
        lines.append("Related parties: " + ", ".join(parties))
    lines += ["", meeting_url(meeting)]
    return "\n".join(lines)


def _address(user) -> str:
    return f"mailto:{user.email}" if user.email else f"mailto:{user.username}@invalid"


def _event(meeting: Meeting, invitees, *, cancelled: bool) -> icalendar.Event:
    event = icalendar.Event()
    event.add("UID", f"{meeting.uid}@techalign")
    event.add("DTSTAMP", timezone.now().astimezone(dt.UTC))
    event.add("SEQUENCE", meeting.sequence)
    event.add("DTSTART", meeting.starts_at.astimezone(dt.UTC))
    event.add("DTEND", meeting.ends_at.astimezone(dt.UTC))
    event.add("SUMMARY", meeting.title)
    event.add("DESCRIPTION", agenda(meeting))
    if meeting.location:
        event.add("LOCATION", meeting.location)
    event.add("URL", meeting_url(meeting))
    event.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    organizer = icalendar.vCalAddress(_address(meeting.scheduled_by))
    organizer.params["CN"] = str(meeting.scheduled_by)
    event.add("ORGANIZER", organizer)
    for invitee in invitees:
        attendee = icalendar.vCalAddress(_address(invitee.user))
        attendee.params.update(
            {
                "CN": str(invitee.user),
                "ROLE": "REQ-PARTICIPANT" if invitee.is_required else "OPT-PARTICIPANT",
                "PARTSTAT": "NEEDS-ACTION",
                "RSVP": "TRUE",
                "CUTYPE": "INDIVIDUAL",
            }
        )
        event.add("ATTENDEE", attendee)
    return event


def _calendar(method: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    return calendar


def invitation(meeting: Meeting, *, cancelled: bool = False) -> tuple[str, str]:
    """(METHOD, ICS text) for the meeting's current state: REQUEST, or CANCEL once cancelled
    (or, with `cancelled`, for an invitee who was removed). SEQUENCE is the meeting's, which
    every reschedule and the cancellation increment."""
    cancelled = cancelled or meeting.status == Meeting.Status.CANCELLED
    method = "CANCEL" if cancelled else "REQUEST"
    calendar = _calendar(method)
    invitees = list(meeting.invitees.select_related("user"))
    calendar.add_component(_event(meeting, invitees, cancelled=cancelled))
    return method, calendar.to_ical().decode()


def feed_token(user, key: str) -> str:
    """The secret part of a person's feed URL; changing `key` (the feed key) revokes it."""
    message = f"techalign-feed:{user.pk}:{key}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]


def feed(user, *, days_back: int = 90) -> str:
    """Every techalign meeting the person is invited to (cancelled ones as CANCELLED), for
    subscription from any calendar client."""
    calendar = _calendar("PUBLISH")
    calendar.add("X-WR-CALNAME", f"techalign · {user}")
    since = timezone.now() - dt.timedelta(days=days_back)
    meetings = (
        Meeting.objects.filter(invitees__user=user, ends_at__gte=since)
        .select_related("requirement", "revision", "presenter", "scheduled_by")
        .prefetch_related("invitees__user")
        .order_by("starts_at")
    )
    for meeting in meetings:
        cancelled = meeting.status == Meeting.Status.CANCELLED
        calendar.add_component(_event(meeting, meeting.invitees.all(), cancelled=cancelled))
    return calendar.to_ical().decode()
