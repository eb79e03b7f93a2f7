"""My work, the organisation pages (teams, departments, the component catalog), and the
signed-in user's language and time zone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_stubs_ext import StrOrPromise

from techalign.calendars.services import set_time_zone
from techalign.core.http import SignedInRequest
from techalign.org.models import Department, Membership, Role, Team, User
from techalign.org.selectors import search_components
from techalign.org.services import can_administer
from techalign.requirements.selectors import party_to, visible_requirements
from techalign.web import forms
from techalign.web.selectors import WORK_COUNT_CAP, count_my_work, my_work, work_section

# The sections of My work in the order shown: the name in the URL and the page's anchors,
# the inbox's list, and the heading.
SECTIONS = [
    ("acknowledge", "acknowledge", _("Scenarios to acknowledge")),
    ("answer", "answer", _("Questions to answer")),
    ("review", "review", _("Plans to review")),
    ("revise", "revise", _("Plans to revise")),
    ("invitations", "invitations", _("Invitations to answer")),
    ("meetings", "meetings", _("Meetings to attend")),
    ("signoff", "sign_off", _("Sign-offs owed")),
    ("blocking", "blocking", _("Blocking questions on my plans")),
    ("milestones", "milestones", _("Milestones due")),
    ("asks", "asks", _("Asks to my teams")),
    ("accept", "accept", _("Answers to accept")),
    ("actions", "actions", _("My action items")),
]
SECTION_PAGE_SIZE = 100


@dataclass
class Section:
    slug: str
    title: StrOrPromise
    rows: list[Any]
    total: int

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)


@login_required
def inbox(request: SignedInRequest) -> HttpResponse:
    """What I must do next, across every requirement: the first rows of each kind."""
    work = my_work(request.user)
    sections = [
        Section(slug, title, getattr(work, name), work.totals[name])
        for slug, name, title in SECTIONS
    ]
    return render(
        request,
        "web/inbox.html",
        {
            "work": work,
            "sections": sections,
            "work_count": work.total,
            "work_count_cap": WORK_COUNT_CAP,
            "nav": "inbox",
            "today": timezone.localdate(),
        },
    )


@login_required
def inbox_section(request: SignedInRequest, slug: str) -> HttpResponse:
    """One kind of My work, whole, a page at a time."""
    found = next(((name, title) for s, name, title in SECTIONS if s == slug), None)
    if found is None:
        raise Http404
    name, title = found
    listing = Paginator(work_section(request.user, name), SECTION_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "web/inbox_section.html",
        {
            "section": Section(slug, title, list(listing.object_list), listing.paginator.count),
            "listing": listing,
            "nav": "inbox",
            "today": timezone.localdate(),
        },
    )


@login_required
def work_count(request: SignedInRequest) -> HttpResponse:
    """The navigation bar's count of things waiting for me, fetched after the page has shown:
    counting across every requirement should not hold up the page being opened."""
    return render(
        request,
        "web/_work_count.html",
        {"work_count": count_my_work(request.user), "work_count_cap": WORK_COUNT_CAP},
    )


def _members_by_role(team: Team) -> list[tuple[StrOrPromise, list[User]]]:
    grouped: dict[str, list[User]] = {}
    for membership in team.memberships.all():
        grouped.setdefault(membership.role, []).append(membership.user)
    return [(Role(role).label, grouped[role]) for role in Role.values if role in grouped]


@login_required
def team_page(request: SignedInRequest, code: str) -> HttpResponse:
    team = get_object_or_404(
        Team.objects.select_related("department").prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by("user__username"),
            ),
            "components",
        ),
        code=code,
    )
    visible = visible_requirements(request.user)
    return render(
        request,
        "web/org/team.html",
        {
            "nav": "org",
            "team": team,
            "members_by_role": _members_by_role(team),
            "leading": visible.filter(lead_team=team),
            "related": visible.filter(pk__in=party_to([team.pk])).exclude(lead_team=team),
        },
    )


@login_required
def department_page(request: SignedInRequest, code: str) -> HttpResponse:
    department = get_object_or_404(Department, code=code)
    teams = department.teams.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user"))
    )
    return render(
        request, "web/org/department.html", {"department": department, "teams": teams, "nav": "org"}
    )


@login_required
def org_page(request: SignedInRequest) -> HttpResponse:
    departments = Department.objects.prefetch_related("teams")
    return render(
        request,
        "web/org/org.html",
        {
            "departments": departments,
            "nav": "org",
            "can_administer": can_administer(request.user),
        },
    )


@login_required
def catalog(request: SignedInRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    components = search_components(query, limit=None)
    return render(
        request, "web/org/catalog.html", {"components": components, "q": query, "nav": "catalog"}
    )


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Remember the chosen language in the session and, when signed in, on the user.

    A display preference, not process state: it is written directly and not audited."""
    form = forms.LanguageForm(request.POST)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    if form.is_valid():
        language = form.cleaned_data["language"]
        request.session["language"] = language
        if request.user.is_authenticated:
            User.objects.filter(pk=request.user.pk).update(language=language)
    return redirect(target)


@login_required
def preferences(request: SignedInRequest) -> HttpResponse:
    """Language and time zone of the signed-in user."""
    user = request.user
    form = forms.PreferencesForm(
        request.POST or None, initial={"language": user.language, "time_zone": user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        language, time_zone = form.cleaned_data["language"], form.cleaned_data["time_zone"]
        # The language is a display preference, written directly; the time zone decides
        # when the person is free, so it goes through the calendar service and is audited.
        User.objects.filter(pk=user.pk).update(language=language)
        request.session["language"] = language
        if time_zone != user.time_zone:
            set_time_zone(actor=user, user=user, time_zone=time_zone)
        messages.success(request, _("Saved."))
        return redirect("web:preferences")
    return render(request, "web/preferences.html", {"form": form})
