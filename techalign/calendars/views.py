"""Pages: my calendars (sources, working hours, working days), the slot finder, and the private
meeting feed. Views parse input and call one service; every rule lives in the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from techalign.calendars import selectors, services, workdays
from techalign.calendars.invitations import absolute, feed, feed_token
from techalign.calendars.models import ICS_LIMIT, CompanyDay, WorkingHours
from techalign.calendars.slots import alignment_deadline, find_slots, pick_query
from techalign.core.errors import Refused
from techalign.core.http import SignedInRequest
from techalign.org.models import User


def _time(value: str) -> dt.time | None:
    return dt.time.fromisoformat(value) if value else None


def _version(form: Mapping[str, str]) -> int:
    """The version a form was rendered with; an edit without one is incomplete."""
    return int(form["version"])


@login_required
def my_calendars(request: SignedInRequest) -> HttpResponse:
    """Sources with their fetch status and errors, the forms to add more, working hours, the
    private feed URL, and the next weeks' working days with where each came from."""
    user = request.user
    if request.method == "POST":
        form = request.POST
        try:
            kind = form.get("form")
            if kind == "upload":
                upload = request.FILES.get("file")
                # Read one byte past the limit: enough for the service to refuse a larger file.
                content = upload.read(ICS_LIMIT + 1) if upload else form.get("ics", "")
                services.add_upload(
                    actor=user, user=user, name=form.get("name", ""), content=content
                )
            elif kind == "feed":
                services.add_feed(
                    actor=user, user=user, name=form.get("name", ""), url=form.get("url", "")
                )
            elif kind == "caldav":
                services.add_caldav(
                    actor=user,
                    user=user,
                    name=form.get("name", ""),
                    url=form.get("url", ""),
                    username=form.get("username", ""),
                    password=form.get("password", ""),
                )
            elif kind == "hours":
                services.set_working_hours(
                    actor=user,
                    user=user,
                    # Both are required: an empty one leaves the form incomplete (ValueError).
                    starts=dt.time.fromisoformat(form["starts"]),
                    ends=dt.time.fromisoformat(form["ends"]),
                    break_starts=_time(form.get("break_starts", "")),
                    break_ends=_time(form.get("break_ends", "")),
                    weekdays=[int(d) for d in form.getlist("weekdays")],
                    time_zone=form.get("time_zone") or None,
                    version=_version(form),
                )
            elif kind == "feed_key":
                services.reset_feed_key(actor=user, user=user)
            return redirect("calendars:mine")
        except Refused as refusal:
            return _page(request, refusal)
        except (KeyError, ValueError):
            return _page(request, Refused("input.invalid", field="form", problem="incomplete"))
    return _page(request)


def _page(request: SignedInRequest, refusal: Refused | None = None) -> HttpResponse:
    """The calendars page as it is now; a refused edit is shown with its reason."""
    user = request.user
    hours = WorkingHours.objects.filter(user=user).first()
    today = timezone.localdate()
    return render(
        request,
        "calendars/mine.html",
        {
            "nav": "calendars",
            "error": refusal.message if refusal else None,
            "sources": selectors.sources_of(user),
            "hours": hours or WorkingHours(user=user),
            "feed_url": absolute(
                f"/calendars/feed/{user.pk}/{feed_token(user, hours.feed_key)}.ics"
            )
            if hours
            else "",
            "days": [
                d
                for d in workdays.days(today, today + dt.timedelta(days=45))
                if d.name or not d.is_workday
            ],
            "weekdays": range(1, 8),
        },
        status=refusal.status if refusal else 200,
    )


@login_required
def company_calendar(request: SignedInRequest) -> HttpResponse:
    """The organisation's working days: whether public holidays and make-up working days
    apply, the company's own days off and extra working days, and a year of the result with
    the source of every exception. Everyone may read it; administrators edit it."""
    user = request.user
    refusal: Refused | None = None
    if request.method == "POST":
        form = request.POST
        try:
            kind = form.get("form")
            if kind == "policy":
                services.set_holiday_policy(
                    actor=user,
                    use_public_holidays=form.get("use_public_holidays") == "on",
                    country=form.get("country", "CN"),
                )
            elif kind == "day":
                services.set_company_day(
                    actor=user,
                    on=dt.date.fromisoformat(form["on"]),
                    name=form.get("name", ""),
                    is_working_day=form.get("is_working_day") == "on",
                )
            elif kind == "remove":
                day = CompanyDay.objects.filter(pk=int(form["day"])).first()
                if day is None:
                    raise Refused("access.not_found", kind="company day", ref=form["day"])
                services.remove_company_day(actor=user, day=day)
            return redirect("calendars:company")
        except Refused as refused:
            refusal = refused
        except (KeyError, ValueError):
            refusal = Refused("input.invalid", field="form", problem="incomplete")
    today = timezone.localdate()
    return render(
        request,
        "calendars/company.html",
        {
            "nav": "calendars",
            "error": refusal.message if refusal else None,
            "can_edit": services.can_edit_company_calendar(user),
            "policy": workdays.policy(),
            "company_days": CompanyDay.objects.filter(on__gte=today - dt.timedelta(days=31)),
            "exceptions": [
                d
                for d in workdays.days(today, today + dt.timedelta(days=365))
                if d.source != workdays.Source.WEEKDAY
            ],
        },
        status=refusal.status if refusal else 200,
    )


@login_required
@require_POST
def source_action(request: SignedInRequest, source_id: int, action: str) -> HttpResponse:
    """Fetch now, pause, resume or remove a source; the last three only as the page showed it."""
    try:
        source = selectors.access_source(request.user, source_id)
    except Refused as refused:
        raise Http404(refused.message) from refused
    try:
        if action == "refresh":
            services.refresh_source(source=source)
        elif action == "remove":
            services.remove_source(
                actor=request.user, source=source, version=_version(request.POST)
            )
        elif action in {"pause", "resume"}:
            services.update_source(
                actor=request.user,
                source=source,
                is_active=action == "resume",
                version=_version(request.POST),
            )
    except Refused as refusal:
        return _page(request, refusal)
    except (KeyError, ValueError):
        return _page(request, Refused("input.invalid", field="version", problem="incomplete"))
    return redirect("calendars:mine")


@login_required
def slot_finder(request: SignedInRequest, ref: str) -> HttpResponse:
    """Slots for REQ-n (its minimum invitees) or REQ-n/M-k (that meeting's invitees)."""
    from techalign.requirements.selectors import get_requirement

    try:
        target = selectors.slot_target(ref)
        get_requirement(request.user, target.requirement.key)  # visible to this person?
        minutes = int(request.GET.get("duration") or target.duration.total_seconds() // 60)
        search = find_slots(
            required=target.required,
            optional=target.optional,
            duration=dt.timedelta(minutes=minutes),
            count=int(request.GET.get("count") or 5),
            horizon=dt.timedelta(days=int(request.GET.get("days") or 14)),
            notice=dt.timedelta(minutes=int(request.GET.get("notice") or 120)),
            buffer=dt.timedelta(minutes=int(request.GET.get("buffer") or 0)),
            exclude_meeting=target.meeting,
            deadline=alignment_deadline(target.requirement),
        )
    except Refused as refusal:
        return render(
            request,
            "calendars/slots.html",
            {"error": refusal.message, "ref": ref},
            status=refusal.status,
        )
    except (ValueError, OverflowError):
        return render(
            request, "calendars/slots.html", {"error": "bad number", "ref": ref}, status=422
        )
    # Each slot fills the meeting form: the new meeting's, or the reschedule form of that one.
    if target.meeting is not None:
        form_url = reverse("web:meeting", args=[target.requirement.key, target.meeting.key])
        anchor = "#meeting_info"
    else:
        form_url, anchor = reverse("web:align", args=[target.requirement.key]), "#meetings"
    wider = request.GET.copy()
    wider["days"] = str(min(366, search.days * 2))
    return render(
        request,
        "calendars/slots.html",
        {
            "ref": ref,
            "target": target,
            "search": search,
            "minutes": minutes,
            "params": request.GET,
            "form_url": form_url + anchor,
            "picks": [(s, f"{form_url}?{pick_query(s)}{anchor}") for s in search.slots],
            "wider_query": wider.urlencode(),
        },
    )


def meeting_feed(request: HttpRequest, user_id: int, token: str) -> HttpResponse:
    """A person's techalign meetings as ICS, for calendar subscription; the token in the URL
    is the only credential, and resetting the feed key revokes it."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    hours = WorkingHours.objects.filter(user_id=user_id).first()
    if user is None or hours is None or token != feed_token(user, hours.feed_key):
        raise Http404
    response = HttpResponse(feed(user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
