"""The administrators' screens: teams and their members' roles, people, the service catalog.

Each form posts to the page it is on; the view binds it and calls one `org.services` function,
which checks the administrator role and audits the change. Success redirects back with a short
message (so a reload never posts twice); a refusal or an invalid form re-renders the page with
what was typed and the reason beside the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from techalign.core.errors import Refused
from techalign.org import services
from techalign.org.models import (
    DEFAULT_COST_CURVE,
    Component,
    Department,
    Membership,
    OrgPolicy,
    Team,
    User,
)
from techalign.org.selectors import get_team, get_user
from techalign.web import forms

PAGE_SIZE = 50


class Bound:
    """The forms of one page: the posted one bound (and its refusal), the others fresh."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.posted = request.POST.get("form") if request.method == "POST" else None
        self.refusal: Refused | None = None
        self.forms: dict[str, django_forms.Form] = {}

    def form(
        self, key: str, form_class: type[django_forms.Form], initial: dict[str, Any] | None = None
    ) -> django_forms.Form:
        # Several forms share a page and field names (a team's and a department's code):
        # each form's ids carry its key so that no id repeats.
        auto_id = f"id_{key}_%s"
        form = (
            form_class(self.request.POST, auto_id=auto_id)
            if self.posted == key
            else form_class(initial=initial, auto_id=auto_id)
        )
        self.forms[key] = form
        return form

    def handle(self, name: str, run: Callable[[dict[str, Any]], Any]) -> bool:
        """Run `run` with the cleaned data when form `name` was posted and is valid."""
        form = self.forms[name]
        if self.posted != name or not form.is_valid():
            return False
        try:
            run(form.cleaned_data)
        except Refused as refused:
            self.refusal = refused
            return False
        messages.success(self.request, _("Saved."))
        return True

    def render(self, template: str, context: dict[str, Any]) -> HttpResponse:
        return render(
            self.request,
            template,
            {
                "nav": "manage",
                "refusal": self.refusal,
                **{f"{key}_form": form for key, form in self.forms.items()},
                **context,
            },
            status=self.refusal.status if self.refusal else 200,
        )


def _admin_only(request: HttpRequest) -> HttpResponse | None:
    """The refusal page for someone who is not an administrator, else None."""
    try:
        services.require_admin(request.user, _("administer the organisation"))
    except Refused as refused:
        return render(
            request, "web/manage/refused.html", {"refusal": refused}, status=refused.status
        )
    return None


def _or_404(lookup: Callable[[str], Any], ref: str) -> Any:
    try:
        return lookup(ref)
    except Refused as refused:
        raise Http404(refused.message) from refused


def _department(code: str) -> Department:
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise Refused("access.not_found", kind=_("Department"), ref=code)
    return department


def _but(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in names}


@login_required
def manage_home(request: HttpRequest) -> HttpResponse:
    """Departments with their teams and member counts: a new, renamed or (empty) removed
    department; a new team; the organisation policy."""
    if denied := _admin_only(request):
        return denied
    page = Bound(request)
    page.form("team", forms.TeamAdminForm)
    page.form("department", forms.DepartmentAdminForm)
    page.form("rename_department", forms.DepartmentRenameForm)
    page.form("remove_department", forms.DepartmentRemoveForm)
    policy = OrgPolicy.objects.filter(pk=1).first() or OrgPolicy()
    policy_form = page.form(
        "policy",
        forms.OrgPolicyForm,
        {
            "version": policy.version,
            "cost_per_extra_party": policy.cost_per_extra_party,
            **{f"weight_{phase}": policy.cost_weight(phase) for phase in DEFAULT_COST_CURVE},
        },
    )
    actor = request.user

    def create_team(data: dict[str, Any]) -> None:
        services.save_team(actor=actor, is_new=True, **data)

    if page.handle("team", create_team):
        return redirect("web:manage_team", code=page.forms["team"].cleaned_data["code"])
    if (
        page.handle("department", lambda d: services.save_department(actor=actor, is_new=True, **d))
        or page.handle(
            "rename_department",
            lambda d: services.save_department(
                actor=actor, code=_or_404(_department, d["code"]).code, **_but(d, "code")
            ),
        )
        or page.handle(
            "policy",
            lambda _d: services.update_org_policy(
                actor=actor,
                **policy_form.policy(),  # type: ignore[attr-defined]
            ),
        )
        or page.handle(
            "remove_department",
            lambda d: services.remove_department(
                actor=actor, department=_or_404(_department, d["code"]), version=d["version"]
            ),
        )
    ):
        return redirect("web:manage")
    departments = Department.objects.prefetch_related(
        Prefetch(
            "teams",
            queryset=Team.objects.annotate(members=Count("memberships__user", distinct=True)),
        )
    )
    return page.render("web/manage/home.html", {"departments": departments})


@login_required
def manage_team(request: HttpRequest, code: str) -> HttpResponse:
    """One team: its name, department and committee flag; who holds which role in it."""
    if denied := _admin_only(request):
        return denied
    team = _or_404(get_team, code)
    page = Bound(request)
    page.form(
        "team",
        forms.TeamAdminForm,
        {
            "code": team.code,
            "name": team.name,
            "department": team.department_id,
            "is_committee": team.is_committee,
        },
    )
    page.form("grant", forms.GrantRoleForm)
    actor = request.user
    done = page.handle(
        "team", lambda d: services.save_team(actor=actor, **{**d, "code": team.code})
    ) or page.handle(
        "grant",
        lambda d: services.grant_role(
            actor=actor, user=get_user(d["username"]), team=team, role=d["role"]
        ),
    )
    if page.posted == "revoke":
        ref = request.POST.get("membership", "")
        membership = (
            Membership.objects.filter(team=team, pk=int(ref)).select_related("user").first()
            if ref.isdigit()
            else None
        )
        if membership is None:
            raise Http404(ref)
        try:
            services.revoke_role(actor=actor, user=membership.user, team=team, role=membership.role)
            messages.success(request, _("Saved."))
            done = True
        except Refused as refused:
            page.refusal = refused
    if done:
        return redirect("web:manage_team", code=team.code)
    members = team.memberships.select_related("user").order_by("user__username", "role")
    return page.render("web/manage/team.html", {"team": team, "members": members})


@login_required
def manage_people(request: HttpRequest) -> HttpResponse:
    """People by name, with their teams; add a person."""
    if denied := _admin_only(request):
        return denied
    page = Bound(request)
    page.form("person", forms.PersonAdminForm)

    def create_person(data: dict[str, Any]) -> None:
        services.save_user(actor=request.user, is_new=True, **data)

    if page.handle("person", create_person):
        return redirect("web:manage_person", username=page.forms["person"].cleaned_data["username"])
    query = request.GET.get("q", "").strip()
    people = User.objects.order_by("username").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("team"))
    )
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(email__icontains=query)
        )
    listing = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return page.render("web/manage/people.html", {"listing": listing, "query": query})


@login_required
def manage_person(request: HttpRequest, username: str) -> HttpResponse:
    """One person: name, e-mail, whether they may sign in, and their roles (changed per team)."""
    if denied := _admin_only(request):
        return denied
    # Inactive people too: reactivating them is done here.
    person = User.objects.filter(username=username).first()
    if person is None:
        raise Http404(username)
    page = Bound(request)
    page.form(
        "person",
        forms.PersonAdminForm,
        {
            "username": person.username,
            "display_name": person.display_name,
            "email": person.email,
            "is_active": person.is_active,
        },
    )
    if page.handle(
        "person",
        lambda d: services.save_user(actor=request.user, **{**d, "username": person.username}),
    ):
        return redirect("web:manage_person", username=person.username)
    memberships = person.memberships.select_related("team").order_by("team__code", "role")
    return page.render("web/manage/person.html", {"person": person, "memberships": memberships})


@login_required
def manage_components(request: HttpRequest) -> HttpResponse:
    """The service catalog: search by key or name, filter by owner; add or change a component."""
    if denied := _admin_only(request):
        return denied
    page = Bound(request)
    editing = None
    if key := request.GET.get("edit") or request.POST.get("editing"):
        editing = Component.objects.filter(key=key).first()
        if editing is None:
            raise Http404(key)
    initial = (
        {
            "key": editing.key,
            "name": editing.name,
            "kind": editing.kind,
            "owner_team": editing.owner_team_id,
            "description": editing.description,
        }
        if editing
        else {}
    )
    page.form("component", forms.ComponentAdminForm, initial)

    def save(data: dict[str, Any]) -> None:
        if editing is not None:
            data = {**data, "key": editing.key}
        services.save_component(actor=request.user, is_new=editing is None, **data)

    if page.handle("component", save):
        return redirect("web:manage_components")
    query = request.GET.get("q", "").strip()
    owner = request.GET.get("owner", "")
    components = Component.objects.select_related("owner_team").order_by("key")
    if query:
        components = components.filter(Q(key__icontains=query) | Q(name__icontains=query))
    if owner:
        components = components.filter(owner_team__code=owner)
    listing = Paginator(components, PAGE_SIZE).get_page(request.GET.get("page"))
    return page.render(
        "web/manage/components.html",
        {
            "listing": listing,
            "query": query,
            "owner": owner,
            "teams": Team.objects.order_by("code").only("code", "name"),
            "editing": editing,
        },
    )
