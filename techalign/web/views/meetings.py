"""Steps 3 to 5: the alignment meeting (invitees, agenda, live minutes), per-party sign-off on
an exact revision, and finalizing into a baseline."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from techalign.calendars.slots import picked
from techalign.core import bounds
from techalign.core.http import SignedInRequest, whole_number
from techalign.meetings import permissions as can_meet
from techalign.meetings import selectors as meetings
from techalign.meetings import services
from techalign.meetings.selectors import PartyAttendance
from techalign.org.models import Role, Team, User
from techalign.org.selectors import get_user, holders_of
from techalign.plans import permissions as can_plan
from techalign.plans import selectors as plans
from techalign.plans import services as plan_services
from techalign.plans.models import Item
from techalign.requirements import services as requirement_services
from techalign.requirements.selectors import get_question, get_scenario
from techalign.web import forms
from techalign.web.views.common import Screen, action, page, render_page, section
from techalign.web.views.requirements import question_of, thread_acts, thread_with

page("align", "web/meeting/align.html")
page("meeting", "web/meeting/meeting.html")


def _party_ids(screen: Screen) -> set[int]:
    return {screen.requirement.lead_team_id, *(t.pk for t in screen.parties)}


def _people(screen: Screen) -> QuerySet[User]:
    """Everyone in the lead team or a related party: whom a meeting may invite."""
    return (
        User.objects.filter(memberships__team__in=_party_ids(screen), is_active=True)
        .distinct()
        .order_by("username")
    )


def _presenters(screen: Screen) -> QuerySet[User]:
    return holders_of([screen.requirement.lead_team], Role.DEV)


def _meeting_form(screen: Screen, data: Any = None, **kwargs: Any) -> forms.MeetingForm:
    return forms.MeetingForm(data, people=_people(screen), presenters=_presenters(screen), **kwargs)


@login_required
def align_page(request: SignedInRequest, key: str) -> HttpResponse:
    return render_page(request, Screen(request, key), "align")


@login_required
def minutes_record(request: SignedInRequest, key: str, meeting_key: str) -> HttpResponse:
    """The minutes recorded so far, polled by the meeting page so all invitees see them live."""
    screen = Screen(request, key, meeting_key)
    context = {
        "requirement": screen.requirement,
        "meeting": screen.meeting,
        **minutes_section(screen),
    }
    return render(request, "web/meeting/_minutes_record.html", context)


@login_required
def meeting_page(request: SignedInRequest, key: str, meeting_key: str) -> HttpResponse:
    return render_page(request, Screen(request, key, meeting_key), "meeting")


# --- sections ---------------------------------------------------------------------------------


@section("meetings", "web/meeting/_meetings.html", page="align")
def meetings_section(screen: Screen) -> dict[str, Any]:
    requirement = screen.requirement
    can_schedule = can_meet.can_schedule_meeting(screen.user, requirement)
    form = None
    if can_schedule:
        start = (timezone.localtime() + dt.timedelta(days=1)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        # A slot picked in the slot finder fills the form.
        chosen = picked(screen.request.GET)
        start, end = chosen or (start, start + dt.timedelta(hours=1))
        form = _meeting_form(
            screen,
            initial={
                "starts_at": start,
                "ends_at": end,
                "presenter": requirement.lead_dev_id,
                "required": [u.pk for u, _t, _r in meetings.default_invitees(requirement)],
            },
        )
    return {
        "meetings": list(
            requirement.meetings.select_related("presenter", "revision").order_by("-number")
        ),
        "can_schedule": can_schedule,
        "meeting_form": form,
        "minimum_seats": meetings.minimum_seats(requirement),
        "slot_picked": can_schedule and chosen is not None,
    }


@section("attendance", "web/meeting/_attendance.html", page="align")
def attendance_section(screen: Screen) -> dict[str, Any]:
    """Each party of the current revision at the held meetings: who attended as its PM and
    DEV, or the waiver that excuses it; the form to waive, for those who may."""
    requirement, revision = screen.requirement, screen.revision
    rows = meetings.party_attendance(requirement, revision) if revision else []
    can_waive = bool(rows) and can_meet.can_waive_attendance(screen.user, requirement)
    return {
        "party_attendance": rows,
        "has_held_meeting": meetings.held_meetings(requirement).exists(),
        "waiver_form": forms.WaiverForm(
            teams=Team.objects.filter(pk__in=[r.team.pk for r in rows if r.waiver is None]),
            initial={"team": next((r.team.pk for r in rows if not r.is_aligned), None)},
        )
        if can_waive
        else None,
        "withdrawal_forms": _withdrawal_forms(screen, rows) if can_waive else {},
    }


def _withdrawal_forms(screen: Screen, rows: list[PartyAttendance]) -> dict[int, Form]:
    """One form per waiver in force, by team (each with its own field ids); a refused one
    keeps what was typed."""
    by_team: dict[int, Form] = {}
    for row in rows:
        if row.waiver is not None:
            key = f"withdraw-{row.waiver.pk}"
            by_team[row.team.pk] = screen.bound.get(key) or forms.WaiverWithdrawalForm(prefix=key)
    return by_team


@section("signoff", "web/meeting/_signoff.html", page="align", also=("meeting",))
def signoff_section(screen: Screen) -> dict[str, Any]:
    requirement, revision = screen.requirement, screen.revision
    state = plans.signoff_state(requirement, revision) if revision else None
    rows = state.parties if state else []
    plan = plans.plan_of(requirement) if revision else None
    history = list(reversed(plans.signoffs_of(plan))) if plan else []
    # A complete party has nothing left to do here; one that rejected may still sign.
    complete = {party.team.pk for party in rows if party.is_complete}
    teams = [
        t
        for t in can_plan.signing_teams(screen.user, requirement, revision)
        if t.pk not in complete
    ]
    return {
        "revision": revision,
        "signoff_rows": rows,
        "signoff_history": history,
        "approval": plans.approval_of(revision),
        "meeting_not_held": plans.meeting_not_held(requirement, revision) if revision else None,
        "signoff_form": forms.SignOffForm(
            teams=Team.objects.filter(pk__in=[t.pk for t in teams]),
            initial={
                "revision": revision.number if revision else 0,
                "content_hash": revision.content_hash if revision else "",
                "team": teams[0].pk if teams else None,
            },
        )
        if teams
        else None,
        "can_finalize": can_plan.can_finalize(screen.user, requirement),
        "finalize_gaps": plans.finalize_gaps(requirement, revision) if revision else [],
    }


@section("meeting_info", "web/meeting/_info.html", page="meeting")
def meeting_info_section(screen: Screen) -> dict[str, Any]:
    meeting = screen.addressed_meeting
    invitees = list(
        meeting.invitees.select_related("user", "team").order_by(
            "-is_required", "team__code", "role", "user__username"
        )
    )
    can_organise = can_meet.can_organise(screen.user, meeting)
    start, end = picked(screen.request.GET) or (meeting.starts_at, meeting.ends_at)
    mine = next((i for i in invitees if i.user_id == screen.user.pk), None)
    can_respond = mine is not None and can_meet.can_respond(screen.user, meeting, mine)
    return {
        "invitees": invitees,
        "my_invitee": mine,
        "invitation_answer_form": forms.InvitationAnswerForm(
            initial={"response": mine.response, "note": mine.response_note}
        )
        if can_respond and mine is not None
        else None,
        "empty_seats": meetings.empty_seats(meeting, invitees),
        "can_organise": can_organise,
        "invite_form": forms.PersonForm(people=_people(screen)) if can_organise else None,
        "reschedule_form": forms.RescheduleForm(
            initial={
                "starts_at": bounds.localtime(start),
                "ends_at": bounds.localtime(end),
                "location": meeting.location,
            }
        )
        if can_organise
        else None,
        "is_stale": meeting.revision_id != (screen.revision.pk if screen.revision else None),
    }


class PartyAsks(TypedDict):
    """One party's asks on the agenda."""

    team: Team
    items: list[Item]


@section("agenda", "web/meeting/_agenda.html", page="meeting")
def agenda_section(screen: Screen) -> dict[str, Any]:
    """The agenda follows the plan: scenarios, our own items, each party's asks, open questions."""
    lead = screen.requirement.lead_team_id
    asks: dict[int, PartyAsks] = {t.pk: {"team": t, "items": []} for t in screen.parties}
    for item in screen.items:
        if item.owner_team_id in asks:
            asks[item.owner_team_id]["items"].append(item)
    return {
        "agenda_scenarios": screen.scenarios,
        "own_items": [i for i in screen.items if i.owner_team_id == lead],
        "party_asks": list(asks.values()),
        "agenda_questions": [q for q in screen.questions if not q.is_resolved],
    }


@section("minutes", "web/meeting/_minutes.html", page="meeting")
def minutes_section(screen: Screen) -> dict[str, Any]:
    meeting = screen.addressed_meeting
    invitees = list(
        meeting.invitees.select_related("user", "team").order_by("team__code", "user__username")
    )
    is_invitee = any(i.user_id == screen.user.pk for i in invitees)
    can_edit = can_meet.can_edit_minutes(screen.user, meeting, is_invitee=is_invitee)
    action_items = list(
        meeting.action_items.select_related("owner", "meeting__requirement", "scenario", "question")
    )
    return {
        "attendance": invitees,
        "meeting_questions": [q for q in screen.questions if q.meeting_id == meeting.pk],
        "decisions": list(
            meeting.decisions.select_related("recorded_by").prefetch_related("closes")
        ),
        "action_items": action_items,
        "completable": {
            a.pk for a in action_items if can_meet.can_complete_action_item(screen.user, a)
        },
        "can_edit_minutes": can_edit,
        "can_poll_minutes": meeting.status != meeting.Status.CANCELLED,
        "minutes_question_form": forms.QuestionForm(
            scenario_keys=[s.key for s in screen.scenarios], item_keys=screen.item_keys
        )
        if can_edit
        else None,
        "decision_form": (
            forms.DecisionForm(prefix="decision", question_keys=_open_question_keys(screen))
            if can_edit
            else None
        ),
        "action_item_form": (
            forms.ActionItemForm(prefix="action", **_action_item_choices(screen))
            if can_edit
            else None
        ),
        "thread_acts": thread_acts(
            screen.user, [q for q in screen.questions if q.meeting_id == meeting.pk]
        ),
    }


def _open_question_keys(screen: Screen) -> list[str]:
    return [q.key for q in screen.questions if not q.is_resolved]


def _action_item_choices(screen: Screen) -> dict[str, Any]:
    """Whom an action item may be for, and what it may serve: a current plan item, a
    scenario or an open question."""
    return {
        "people": _people(screen),
        "item_keys": screen.item_keys,
        "scenario_keys": [s.key for s in screen.scenarios],
        "question_keys": _open_question_keys(screen),
    }


# --- actions ----------------------------------------------------------------------------------


@action("schedule_meeting", section="meetings")
def schedule_meeting(screen: Screen, ref: str | None) -> None:
    data = screen.bind(
        forms.MeetingForm, "meeting_form", people=_people(screen), presenters=_presenters(screen)
    )
    meeting = services.schedule_meeting(
        requirement=screen.requirement,
        actor=screen.user,
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        presenter=data["presenter"],
        required=list(data["required"]),
        optional=list(data["optional"]),
        title=data["title"],
        location=data["location"],
    )
    screen.keep["created"] = meeting


@action("sign_off", section="signoff")
def sign_off(screen: Screen, ref: str | None) -> None:
    # Any team may be named: a signer outside it is refused by the service, with the reason.
    data = screen.bind(forms.SignOffForm, "signoff_form", teams=Team.objects.all())
    plan_services.sign_off(
        requirement=screen.requirement,
        actor=screen.user,
        team=data["team"],
        revision_number=data["revision"],
        content_hash=data["content_hash"],
        approve=screen.request.POST.get("decision") != "reject",
        reason=data["reason"],
        meeting=screen.meeting,
        as_role=data["as_role"] or None,
    )


@action("waive_attendance", section="attendance")
def waive_attendance(screen: Screen, ref: str | None) -> None:
    # Any team may be named: one that is not a party is refused by the service, with the reason.
    data = screen.bind(forms.WaiverForm, "waiver_form", teams=Team.objects.all())
    services.waive_attendance(
        requirement=screen.requirement, actor=screen.user, team=data["team"], reason=data["reason"]
    )


@action("withdraw_waiver", section="attendance")
def withdraw_waiver(screen: Screen, ref: str | None) -> None:
    key = f"withdraw-{whole_number(ref)}"
    data = screen.bind(forms.WaiverWithdrawalForm, key, prefix=key)
    services.withdraw_waiver(
        waiver=meetings.access_waiver(screen.requirement, ref),
        actor=screen.user,
        reason=data["reason"],
    )


@action("finalize", section="signoff")
def finalize(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.SignedContentForm, "finalize_form")
    plan_services.finalize(
        requirement=screen.requirement,
        actor=screen.user,
        revision_number=data["revision"],
        content_hash=data["content_hash"],
    )


@action("invite", section="meeting_info")
def invite(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.PersonForm, "invite_form", people=_people(screen))
    services.add_invitee(
        meeting=screen.addressed_meeting,
        actor=screen.user,
        user=data["user"],
        is_required=data["is_required"],
    )


@action("respond", section="meeting_info")
def respond(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.InvitationAnswerForm, "invitation_answer_form")
    services.respond_to_invitation(
        meeting=screen.addressed_meeting,
        actor=screen.user,
        response=data["response"],
        note=data["note"],
    )


@action("uninvite", section="meeting_info")
def uninvite(screen: Screen, ref: str | None) -> None:
    services.remove_invitee(
        meeting=screen.addressed_meeting, actor=screen.user, user=get_user(ref or "")
    )


@action("make_presenter", section="meeting_info")
def make_presenter(screen: Screen, ref: str | None) -> None:
    services.change_presenter(
        meeting=screen.addressed_meeting, actor=screen.user, presenter=get_user(ref or "")
    )


@action("reschedule", section="meeting_info")
def reschedule(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.RescheduleForm, "reschedule_form")
    services.reschedule_meeting(meeting=screen.addressed_meeting, actor=screen.user, **data)


@action("cancel_meeting", section="meeting_info")
def cancel_meeting(screen: Screen, ref: str | None) -> None:
    services.cancel_meeting(
        meeting=screen.addressed_meeting,
        actor=screen.user,
        reason=screen.request.POST.get("reason", ""),
    )


@action("mark_held", section="meeting_info")
def mark_held(screen: Screen, ref: str | None) -> None:
    services.mark_held(meeting=screen.addressed_meeting, actor=screen.user)


@action("attendance", section="minutes", target="section")
def attendance(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.AttendanceForm, "attendance_form")
    services.record_attendance(
        meeting=screen.addressed_meeting,
        actor=screen.user,
        user=get_user(ref or ""),
        attended=data["attended"],
    )


@action("meeting_question", section="minutes")
def meeting_question(screen: Screen, ref: str | None) -> None:
    from techalign.web.views.requirements import raise_question_with

    raise_question_with(screen, "minutes_question_form")


@action("meeting_thread", section="minutes")
def meeting_thread(screen: Screen, ref: str | None) -> None:
    thread_with(screen, ref)


@action("meeting_accept", section="minutes")
def meeting_accept(screen: Screen, ref: str | None) -> None:
    question = question_of(screen, ref)
    requirement_services.accept_answer(question=question, actor=screen.user)


@action("decision", section="minutes", target="section")
def decision(screen: Screen, ref: str | None) -> None:
    data = screen.bind(
        forms.DecisionForm,
        "decision_form",
        prefix="decision",
        question_keys=_open_question_keys(screen),
    )
    services.record_decision(
        meeting=screen.addressed_meeting,
        actor=screen.user,
        text=data["text"],
        questions=[get_question(screen.requirement, key) for key in data["closes"]],
    )


@action("action_item", section="minutes", target="section")
def action_item(screen: Screen, ref: str | None) -> None:
    data = screen.bind(
        forms.ActionItemForm, "action_item_form", prefix="action", **_action_item_choices(screen)
    )
    serves = data.pop("serves")
    requirement = screen.requirement
    services.add_action_item(
        meeting=screen.addressed_meeting,
        actor=screen.user,
        item_key=serves if serves.startswith("I-") else "",
        scenario=get_scenario(requirement, serves) if serves.startswith("S-") else None,
        question=get_question(requirement, serves) if serves.startswith("Q-") else None,
        **data,
    )


@action("complete_action_item", section="minutes", target="section")
def complete_action_item(screen: Screen, ref: str | None) -> None:
    item = meetings.access_action_item(screen.addressed_meeting, ref)
    services.complete_action_item(action_item=item, actor=screen.user)
