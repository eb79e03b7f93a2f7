"""Answer links in an invitation: signed, per invitee, so that an invitee can accept or decline
from the mail or the calendar event without signing in.

A link carries the invitee (their user id), the meeting's `uid` and the invitation's SEQUENCE,
signed with a salt of its own, and stops working when the meeting ends. A reschedule raises the
SEQUENCE and sends a new invitation, so the links of the old one no longer answer. Opening a
link only shows what it would do; the answer is posted from that page (mail scanners open
links).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _

from techalign.calendars.invitations import absolute, zoned
from techalign.core.errors import Refused
from techalign.meetings.models import Invitee, Meeting
from techalign.meetings.permissions import meeting_state_refusal
from techalign.org.models import User

SALT = "techalign.meetings.invitation-answer"

# The answer named in a link's address, and what it records.
ANSWERS = {
    "accept": Invitee.Response.ACCEPTED,
    "tentative": Invitee.Response.TENTATIVE,
    "decline": Invitee.Response.DECLINED,
}


def answer_token(meeting: Meeting, user_id: int) -> str:
    """The signed part of an invitee's answer links for the meeting as it is now."""
    return signing.dumps(
        {
            "u": user_id,
            "m": str(meeting.uid),
            "s": meeting.sequence,
            "e": int(meeting.ends_at.timestamp()),
        },
        salt=SALT,
    )


def answer_url(meeting: Meeting, user_id: int, answer: str) -> str:
    """The absolute address of one answer ("accept", "tentative", "decline") for an invitee."""
    # The address of web:invitation_answer, written out like the meeting's own address in
    # invitations: building mail must not wait for the site's URLconf to load.
    token = answer_token(meeting, user_id)
    return absolute(f"/r/{meeting.requirement.key}/meetings/{meeting.key}/answer/{answer}/{token}/")


def answer_links_text(meeting: Meeting, user_id: int) -> str:
    """The lines of an invitation that let the invitee answer, in the active language."""
    return "\n".join(
        [
            _("Will you come? Answer with one of these links:"),
            _("Accept: {url}").format(url=answer_url(meeting, user_id, "accept")),
            _("Tentative: {url}").format(url=answer_url(meeting, user_id, "tentative")),
            _("Decline: {url}").format(url=answer_url(meeting, user_id, "decline")),
        ]
    )


def _claims(token: str) -> dict[str, Any]:
    try:
        claims = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Refused("invitation.link_invalid") from None
    if not isinstance(claims, dict) or not {"u", "m", "s", "e"} <= claims.keys():
        raise Refused("invitation.link_invalid")
    return claims


def invitee_from_link(meeting: Meeting, token: str, *, now: dt.datetime | None = None) -> Invitee:
    """The invitee a link was issued to, if the link still answers this meeting: refused when
    it is damaged or forged, for another meeting, for a meeting no longer scheduled, past the
    meeting's end, from an invitation a reschedule replaced, or for someone since uninvited."""
    claims = _claims(token)
    if claims["m"] != str(meeting.uid):
        raise Refused("invitation.link_other_meeting", meeting=meeting.key)
    if refusal := meeting_state_refusal(
        meeting, {Meeting.Status.SCHEDULED}, _("answer the invitation")
    ):
        raise refusal
    ends_at = dt.datetime.fromtimestamp(claims["e"], tz=dt.UTC)
    if (now or timezone.now()) >= ends_at:
        raise Refused("invitation.link_expired", meeting=meeting.key, end=zoned(ends_at))
    if claims["s"] != meeting.sequence:
        raise Refused(
            "invitation.link_replaced",
            meeting=meeting.key,
            sent=claims["s"],
            current=meeting.sequence,
        )
    invitee = meeting.invitees.select_related("user", "team").filter(user_id=claims["u"]).first()
    if invitee is None:
        user = User.objects.filter(pk=claims["u"]).first()
        raise Refused("invitation.not_invitee", user=str(user or "—"), meeting=meeting.key)
    return invitee
