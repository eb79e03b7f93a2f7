"""Writing ICS: RFC 5545 / iTIP (RFC 5546) invitations for alignment meetings, and each
person's private feed of their techalign meetings.

Times are written in UTC: some servers misread VTIMEZONE blocks (Radicale shifts zones written
as RDATE lists by an hour), and every client shows UTC in the reader's own zone. The texts a
person reads (the agenda, the DESCRIPTION) are in the active language with the time in the
active zone named: callers render them under the recipient's language and zone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import zoneinfo
from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from techalign.core import bounds
from techalign.meetings.models import Invitee, Meeting
from techalign.org.models import User
from techalign.plans import selectors as plans

PRODID = "-//techalign//alignment meetings//EN"


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone of that name; an unknown or empty one is the site's zone."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def zoned(
    when: dt.datetime | str, zone: str | None = None, *, until: dt.datetime | None = None
) -> str:
    """A time as a person reads it: in `zone` (else the active zone) with the zone's name,
    e.g. "2026-12-08 10:00 (Asia/Shanghai)", or with `until` "2026-12-08 10:00–11:00
    (Asia/Shanghai)". An unknown zone name reads as the site's zone."""
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when)
    if not bounds.is_in_range(when) or (until is not None and not bounds.is_in_range(until)):
        # Stored before dates were bounded: a zone may not represent it, so it reads as stored.
        end = f"–{until:%Y-%m-%d %H:%M}" if until is not None else ""
        return f"{when:%Y-%m-%d %H:%M}{end} (UTC)"
    tz = zone_named(zone) if zone else timezone.get_current_timezone()
    end = f"–{until.astimezone(tz):%H:%M}" if until is not None else ""
    return f"{when.astimezone(tz):%Y-%m-%d %H:%M}{end} ({tz.key})"


def absolute(path: str) -> str:
    return settings.TECHALIGN_BASE_URL.rstrip("/") + path


def meeting_url(meeting: Meeting) -> str:
    return absolute(f"/r/{meeting.requirement.key}/meetings/{meeting.key}/")


def agenda(meeting: Meeting) -> str:
    """The meeting's agenda as plain text in the active language, its time in the active zone
    named: what is presented, when, for whom, what to bring."""
    requirement = meeting.requirement
    revision = meeting.revision
    lines = [
        f"{requirement.key} {requirement.title}",
        _("Time: {when}").format(when=zoned(meeting.starts_at, until=meeting.ends_at)),
        _("Technical plan revision {revision} ({hash})").format(
            revision=revision.number, hash=revision.content_hash[:12]
        ),
        _("Presenter: {presenter}").format(presenter=meeting.presenter),
        "",
        _("Agenda:"),
        _("1. The requirement's scenarios (PM)"),
        _("2. The technical plan, item by item (presenter)"),
        _("3. Each related party's asks and dates"),
        _("4. Questions, decisions, action items"),
        _("5. Sign-off by every party on this revision"),
        "",
        _("Scenarios:"),
    ]
    lines += [f"  {s.key} {s.title}" for s in plans.live_scenarios(requirement)]
    lines.append(_("Plan items:"))
    for item in plans.items_of(revision):
        lines.append(f"  {item.key} [{item.owner_team}] {item.title}")
    parties = sorted(str(t) for t in plans.related_parties(requirement))
    if parties:
        lines.append(_("Related parties: {parties}").format(parties=", ".join(parties)))
    lines += ["", meeting_url(meeting)]
    return "\n".join(lines)


def _address(user: User) -> str:
    return f"mailto:{user.email}" if user.email else f"mailto:{user.username}@invalid"


# An invitee's answer as RFC 5545 PARTSTAT.
PARTSTAT = {
    "needs_action": "NEEDS-ACTION",
    "accepted": "ACCEPTED",
    "tentative": "TENTATIVE",
    "declined": "DECLINED",
}


def _event(
    meeting: Meeting,
    invitees: Iterable[Invitee],
    *,
    cancelled: bool,
    answering: int | None = None,
    agenda_text: str | None = None,
) -> icalendar.Event:
    """The VEVENT; with `answering` (an invitee's user id) its DESCRIPTION ends with that
    invitee's signed answer links. `agenda_text` is the agenda when the caller has it."""
    description = agenda(meeting) if agenda_text is None else agenda_text
    if answering is not None and not cancelled:
        from techalign.meetings.links import answer_links_text

        description += "\n\n" + answer_links_text(meeting, answering)
    event = icalendar.Event()
    event.add("UID", f"{meeting.uid}@techalign")
    event.add("DTSTAMP", timezone.now().astimezone(dt.UTC))
    event.add("SEQUENCE", meeting.sequence)
    event.add("DTSTART", meeting.starts_at.astimezone(dt.UTC))
    event.add("DTEND", meeting.ends_at.astimezone(dt.UTC))
    event.add("SUMMARY", meeting.title)
    event.add("DESCRIPTION", description)
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
                "PARTSTAT": PARTSTAT.get(invitee.response, "NEEDS-ACTION"),
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


def invitation(
    meeting: Meeting,
    *,
    cancelled: bool = False,
    answering: int | None = None,
    agenda_text: str | None = None,
    invitees: list[Invitee] | None = None,
) -> tuple[str, str]:
    """(METHOD, ICS text) for the meeting's current state: REQUEST, or CANCEL once cancelled
    (or, with `cancelled`, for an invitee who was removed). SEQUENCE is the meeting's, which
    every reschedule and the cancellation increment. ATTENDEE lines carry the answers known;
    `answering` (the reader's user id) adds the reader's own answer links. A caller writing
    one invitation per reader passes the agenda and the invitees it has read already."""
    cancelled = cancelled or meeting.status == Meeting.Status.CANCELLED
    method = "CANCEL" if cancelled else "REQUEST"
    calendar = _calendar(method)
    if invitees is None:
        invitees = list(meeting.invitees.select_related("user"))
    calendar.add_component(
        _event(meeting, invitees, cancelled=cancelled, answering=answering, agenda_text=agenda_text)
    )
    return method, calendar.to_ical().decode()


def feed_token(user: User, key: str) -> str:
    """The secret part of a person's feed URL; changing `key` (the feed key) revokes it."""
    message = f"techalign-feed:{user.pk}:{key}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]


def feed(user: User, *, days_back: int = 90) -> str:
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
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(zone_named(user.time_zone)):
        for meeting in meetings:
            cancelled = meeting.status == Meeting.Status.CANCELLED
            # The feed is the person's own: a meeting still to come carries their answer links.
            answering = user.pk if meeting.status == Meeting.Status.SCHEDULED else None
            calendar.add_component(
                _event(meeting, meeting.invitees.all(), cancelled=cancelled, answering=answering)
            )
    text: str = calendar.to_ical().decode()
    return text
