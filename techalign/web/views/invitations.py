"""Answering an invitation from the signed link in its mail or calendar event, signed in or not.

Opening the link (GET) shows the meeting and a form with the link's answer chosen; only the
form's POST (CSRF-protected) records it, so a mail scanner that opens every link changes
nothing. A link that no longer answers gets a page saying why, in the reader's language.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_protect

from techalign.calendars.invitations import zone_named
from techalign.core.errors import Refused
from techalign.core.middleware import _supported
from techalign.meetings import services
from techalign.meetings.links import ANSWERS, invitee_from_link
from techalign.meetings.models import Invitee, Meeting
from techalign.requirements.models import Requirement
from techalign.requirements.selectors import parse_key
from techalign.web import forms

TEMPLATE = "web/meeting/answer_link.html"


def _meeting(key: str, meeting_key: str) -> Meeting | None:
    """The meeting a link's address names, whoever reads it: the signature, not the reader,
    decides what the link may do, and an unknown address reads like a damaged link."""
    number = parse_key(key, "REQ")
    meeting_number = parse_key(meeting_key, "M")
    if not number or not meeting_number or max(number, meeting_number) >= 2**31:
        return None
    requirement = Requirement.objects.filter(number=number).first()
    if requirement is None:
        return None
    return (
        requirement.meetings.select_related("requirement", "presenter", "revision")
        .filter(number=meeting_number)
        .first()
    )


@contextlib.contextmanager
def _as_reader(request: HttpRequest, invitee: Invitee) -> Iterator[None]:
    """A visitor who is not signed in and chose no language reads in the invitee's own
    language and time zone: the signature says who they are."""
    user = invitee.user
    language = None
    chose_language = getattr(request, "techalign_language_chosen", False)
    if not request.user.is_authenticated and not chose_language:
        language = _supported(user.language)
    zone = timezone.get_current_timezone()
    if not request.user.is_authenticated:
        zone = zone_named(user.time_zone)
    with translation.override(language or translation.get_language()), timezone.override(zone):
        request.LANGUAGE_CODE = translation.get_language()
        yield


@csrf_protect
def invitation_answer(
    request: HttpRequest, key: str, meeting_key: str, answer: str, token: str
) -> HttpResponse:
    """The page behind an answer link: confirm (GET), then record the answer (POST)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    meeting = _meeting(key, meeting_key)
    try:
        if meeting is None or answer not in ANSWERS:
            raise Refused("invitation.link_invalid")
        invitee = invitee_from_link(meeting, token)
    except Refused as refused:
        return render(request, TEMPLATE, {"refusal": refused}, status=refused.status)
    with _as_reader(request, invitee):
        context = {"meeting": meeting, "invitee": invitee, "answered": False}
        status = 200
        if request.method == "POST":
            form = forms.InvitationAnswerForm(request.POST)
            if form.is_valid():
                try:
                    invitee = services.respond_to_invitation(
                        meeting=meeting,
                        actor=invitee.user,
                        response=form.cleaned_data["response"],
                        note=form.cleaned_data["note"],
                        sequence=meeting.sequence,
                    )
                    context.update(invitee=invitee, answered=True)
                except Refused as refused:
                    context["refusal"] = refused
                    status = refused.status
            else:
                status = 422
        else:
            form = forms.InvitationAnswerForm(initial={"response": ANSWERS[answer]})
        context["form"] = form
        return render(request, TEMPLATE, context, status=status)
