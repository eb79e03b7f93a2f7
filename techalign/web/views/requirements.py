"""The requirement list, a new requirement, and the requirement page (step 1: hand-off)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from techalign.core.errors import Refused
from techalign.org.models import Role, Team, User
from techalign.org.selectors import holders_of
from techalign.requirements import permissions as can
from techalign.requirements import services
from techalign.requirements.models import Question, Scenario, Status
from techalign.requirements.selectors import (
    LIST_SORTS,
    get_question,
    get_scenario,
    search_requirements,
)
from techalign.web import forms
from techalign.web.views.common import Screen, action, page, render_page, section

page("overview", "web/requirement/overview.html")
LIST_PAGE_SIZE = 50
SORT_LABELS = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("title", _("Title")),
    ("step", _("Step")),
    ("launch", _("Planned launch")),
]


def _new_requirement_form(user: User, data: Any = None) -> forms.NewRequirementForm | None:
    teams = can.creatable_lead_teams(user)
    if not teams:
        return None
    return forms.NewRequirementForm(
        data,
        teams=Team.objects.filter(pk__in=[t.pk for t in teams]),
        developers=holders_of(teams, Role.DEV),
    )


def _list_page(
    request: HttpRequest, *, new_form: Any, status: int = 200, **extra: Any
) -> HttpResponse:
    """Every requirement the user may see, newest first, filterable by step and involvement,
    a page at a time."""
    get = request.GET
    chosen = {
        "q": get.get("q", "").strip()[:200],
        "team": get.get("team", ""),
        "status": get.get("status", ""),
        "mine": bool(get.get("mine")),
        "related": bool(get.get("related")),
        "sort": get.get("sort", "") if get.get("sort", "") in LIST_SORTS else "newest",
    }
    requirements = search_requirements(
        request.user,
        text=chosen["q"],
        lead_team=chosen["team"],
        status=chosen["status"],
        mine=chosen["mine"],
        my_teams=chosen["related"],
        sort=chosen["sort"],
    )
    # An organisation keeps years of requirements: render one page, count scenarios for it only.
    listing = Paginator(requirements, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(listing.object_list)
    live = Scenario.objects.filter(requirement__in=rows, is_withdrawn=False)
    counts = dict(
        live.values_list("requirement").annotate(n=Count("pk")).values_list("requirement", "n")
    )
    for row in rows:
        row.scenario_count = counts.get(row.pk, 0)
    context = {
        "requirements": rows,
        "listing": listing,
        "statuses": Status.choices,
        "teams": Team.objects.order_by("code"),
        "sorts": SORT_LABELS,
        "filters": chosen,
        "status": chosen["status"],
        "mine": chosen["mine"],
        "new_form": new_form,
        "nav": "requirements",
        **extra,
    }
    return render(request, "web/requirement_list.html", context, status=status)


@login_required
def requirement_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, new_form=_new_requirement_form(request.user))


@login_required
@require_POST
def requirement_create(request: HttpRequest) -> HttpResponse:
    """A PM drafts a requirement; field errors and refusals are shown on the list page."""
    form = _new_requirement_form(request.user, request.POST)
    if form is None:
        return redirect("web:requirements")
    if not form.is_valid():
        return _list_page(request, new_form=form, status=422, open_new=True)
    data = form.cleaned_data
    try:
        requirement = services.create_requirement(
            actor=request.user,
            lead_team=data["lead_team"],
            title=data["title"],
            user_stories=data["user_stories"],
            business_process=data["business_process"],
            lead_dev=data["lead_dev"],
            is_private=data["is_private"],
            planned_dev_start_on=data["planned_dev_start_on"],
            planned_launch_on=data["planned_launch_on"],
        )
    except Refused as refused:
        return _list_page(
            request,
            new_form=form,
            status=refused.status,
            open_new=True,
            refusal=refused,
            refusal_at="create",
        )
    messages.success(request, _("Saved."))
    return redirect("web:requirement", requirement.key)


@login_required
def requirement_page(request: HttpRequest, key: str) -> HttpResponse:
    screen = Screen(request, key)
    return render_page(request, screen, "overview")


# --- sections ---------------------------------------------------------------------------------


@section("details", "web/requirement/_details.html", page="overview")
def details_section(screen: Screen) -> dict[str, Any]:
    requirement = screen.requirement
    return {
        "can_edit_requirement": can.can_edit_requirement(screen.user, requirement),
        "requirement_form": forms.RequirementForm(
            initial={
                "title": requirement.title,
                "user_stories": requirement.user_stories,
                "business_process": requirement.business_process,
                "planned_dev_start_on": requirement.planned_dev_start_on,
                "planned_launch_on": requirement.planned_launch_on,
                "is_private": requirement.is_private,
                "version": requirement.version,
            }
        ),
        "lead_dev_form": forms.LeadDevForm(
            initial={"lead_dev": requirement.lead_dev_id},
            developers=holders_of([requirement.lead_team], Role.DEV),
        ),
    }


@section("scenarios", "web/requirement/_scenarios.html", page="overview")
def scenarios_section(screen: Screen) -> dict[str, Any]:
    requirement, user = screen.requirement, screen.user
    open_by_scenario: dict[int, list[Question]] = {}
    for question in screen.questions:
        if question.scenario_id and not question.is_resolved:
            open_by_scenario.setdefault(question.scenario_id, []).append(question)
    return {
        "scenarios": screen.scenarios,
        "open_by_scenario": open_by_scenario,
        "can_hand_off": can.can_hand_off(user, requirement),
        "can_acknowledge": can.can_acknowledge(user, requirement),
        "can_edit_scenarios": can.can_edit_requirement(user, requirement),
        "scenario_form": forms.ScenarioForm(),
        "edit_scenario": screen.request.GET.get("edit_scenario", ""),
    }


@section("questions", "web/requirement/_questions.html", page="overview")
def questions_section(screen: Screen) -> dict[str, Any]:
    user = screen.user
    questions = screen.questions
    # "Ask a question on this item" on the plan page opens the form on that item.
    on_item = screen.request.GET.get("question_item", "")
    on_item = on_item if on_item in screen.item_keys else ""
    return {
        "open_questions": [q for q in questions if not q.is_resolved],
        "resolved_questions": [q for q in questions if q.is_resolved],
        "answerable": {q.pk for q in questions if can.can_answer_question(user, q)},
        "can_raise_question": can.can_raise_question(user, screen.requirement),
        "question_form": forms.QuestionForm(
            scenario_keys=[s.key for s in screen.scenarios],
            item_keys=screen.item_keys,
            initial={"item_key": on_item},
        ),
        "question_on_item": on_item,
    }


# --- actions ----------------------------------------------------------------------------------


@action("update_requirement", section="details")
def update_requirement(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.RequirementForm, "requirement_form")
    version = data.pop("version")
    services.update_requirement(
        requirement=screen.requirement, actor=screen.user, version=version, **data
    )


@action("assign_lead_dev", section="details")
def assign_lead_dev(screen: Screen, ref: str | None) -> None:
    data = screen.bind(
        forms.LeadDevForm,
        "lead_dev_form",
        developers=holders_of([screen.requirement.lead_team], Role.DEV),
    )
    services.assign_lead_dev(
        requirement=screen.requirement, actor=screen.user, lead_dev=data["lead_dev"]
    )


@action("add_scenario", section="scenarios")
def add_scenario(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ScenarioForm, "scenario_form")
    services.add_scenario(requirement=screen.requirement, actor=screen.user, **data)


@action("update_scenario", section="scenarios")
def update_scenario(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ScenarioForm, "edit_scenario_form")
    services.update_scenario(
        scenario=get_scenario(screen.requirement, ref), actor=screen.user, **data
    )


@action("out_of_scope", section="scenarios")
def out_of_scope(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ReasonForm, "reason_form")
    services.mark_out_of_scope(
        scenario=get_scenario(screen.requirement, ref), actor=screen.user, reason=data["reason"]
    )


@action("return_to_scope", section="scenarios")
def return_to_scope(screen: Screen, ref: str | None) -> None:
    services.return_to_scope(scenario=get_scenario(screen.requirement, ref), actor=screen.user)


@action("hand_off", section="scenarios")
def hand_off(screen: Screen, ref: str | None) -> None:
    services.hand_off(requirement=screen.requirement, actor=screen.user)


@action("acknowledge", section="scenarios")
def acknowledge(screen: Screen, ref: str | None) -> None:
    services.acknowledge_scenario(scenario=get_scenario(screen.requirement, ref), actor=screen.user)


@action("ask", section="scenarios")
def ask(screen: Screen, ref: str | None) -> None:
    """A question on one scenario, from its row (at hand-off: the DEV's "what is meant here?")."""
    data = screen.bind(forms.AskForm, "ask_form")
    services.raise_question(
        requirement=screen.requirement,
        actor=screen.user,
        body=data["body"],
        scenario=get_scenario(screen.requirement, ref),
        is_blocking=data["is_blocking"],
    )


@action("raise_question", section="questions")
def raise_question(screen: Screen, ref: str | None) -> None:
    raise_question_with(screen, "question_form")


def raise_question_with(screen: Screen, form_name: str) -> None:
    """Raise the question of form `form_name`; the requirement page and the meeting minutes
    each have one (in a meeting, it is tagged with that meeting)."""
    data = screen.bind(
        forms.QuestionForm,
        form_name,
        scenario_keys=[s.key for s in screen.scenarios],
        item_keys=screen.item_keys,
    )
    scenario = get_scenario(screen.requirement, data["scenario"]) if data["scenario"] else None
    services.raise_question(
        requirement=screen.requirement,
        actor=screen.user,
        body=data["body"],
        scenario=scenario,
        item_key=data["item_key"],
        is_blocking=data["is_blocking"],
        meeting=screen.meeting,
    )


@action("answer", section="questions")
def answer(screen: Screen, ref: str | None) -> None:
    answer_question_with(screen, ref)


def answer_question_with(screen: Screen, ref: str | None) -> None:
    """Answer (resolve) question `ref` from the answer form."""
    data = screen.bind(forms.AnswerForm, "answer_form")
    services.answer_question(
        question=get_question(screen.requirement, ref), actor=screen.user, answer=data["answer"]
    )
