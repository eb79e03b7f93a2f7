"""The requirement list, a new requirement, and the requirement page (step 1: hand-off)."""

from __future__ import annotations

from typing import Any, TypedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from techalign.core.errors import Refused
from techalign.core.http import SignedInRequest
from techalign.org.models import Role, Team, User
from techalign.org.selectors import get_user, holders_of
from techalign.requirements import permissions as can
from techalign.requirements import services
from techalign.requirements.models import Question, Requirement, Risk, Scenario, Status
from techalign.requirements.selectors import (
    LIST_SORTS,
    get_question,
    get_scenario,
    search_requirements,
)
from techalign.web import forms
from techalign.web.views.common import (
    Screen,
    ShownRefusal,
    action,
    page,
    render_page,
    section,
)

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


RISK_FILTERS = {"high", *Risk.values}


class ListFilters(TypedDict):
    """The requirement list's filters as chosen in its address."""

    q: str
    team: str
    status: str
    mine: bool
    related: bool
    risk: str
    sort: str


def _list_page(
    request: SignedInRequest, *, new_form: Any, status: int = 200, **extra: Any
) -> HttpResponse:
    """Every requirement the user may see, newest first, filterable by step and involvement,
    a page at a time."""
    get = request.GET
    chosen: ListFilters = {
        "q": get.get("q", "").strip()[:200],
        "team": get.get("team", ""),
        "status": get.get("status", ""),
        "mine": bool(get.get("mine")),
        "related": bool(get.get("related")),
        "risk": get.get("risk", "") if get.get("risk", "") in RISK_FILTERS else "",
        "sort": get.get("sort", "") if get.get("sort", "") in LIST_SORTS else "newest",
    }
    requirements = search_requirements(
        request.user,
        text=chosen["q"],
        lead_team=chosen["team"],
        status=chosen["status"],
        mine=chosen["mine"],
        my_teams=chosen["related"],
        risk=chosen["risk"],
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
        "risks": [("high", _("Any high risk")), *Risk.choices],
        "filters": chosen,
        "status": chosen["status"],
        "mine": chosen["mine"],
        "new_form": new_form,
        "nav": "requirements",
        **extra,
    }
    return render(request, "web/requirement_list.html", context, status=status)


REFUSED_CREATE = "techalign.refused_create"


@login_required
def requirement_list(request: SignedInRequest) -> HttpResponse:
    refused = request.session.pop(REFUSED_CREATE, None)
    if refused is None:
        return _list_page(request, new_form=_new_requirement_form(request.user))
    # Redirected here from a refused draft: its form as typed, with the refusal beside it.
    posted = QueryDict(mutable=True)
    for name, values in refused["posted"].items():
        posted.setlist(name, values)
    form = _new_requirement_form(request.user, posted)
    extra: dict[str, Any] = {"open_new": True}
    if form is not None:
        form.is_valid()
    if refused["refusal"]:
        extra.update(refusal=ShownRefusal(**refused["refusal"]), refusal_at="create")
    return _list_page(request, new_form=form, **extra)


def _refused_create(request: HttpRequest, refusal: ShownRefusal | None) -> HttpResponse:
    """Post/redirect/get: the list page shows the refused draft, the address bar the list."""
    request.session[REFUSED_CREATE] = {
        "posted": {k: v for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"},
        "refusal": refusal._asdict() if refusal else None,
    }
    return redirect(reverse("web:requirements") + "#new-requirement")


@login_required
@require_POST
def requirement_create(request: SignedInRequest) -> HttpResponse:
    """A PM drafts a requirement; field errors and refusals are shown on the list page."""
    form = _new_requirement_form(request.user, request.POST)
    if form is None:
        return redirect("web:requirements")
    if not form.is_valid():
        return _refused_create(request, None)
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
        return _refused_create(request, ShownRefusal(refused.code, refused.message))
    messages.success(request, _("Saved."))
    return redirect("web:requirement", requirement.key)


@login_required
def requirement_page(request: SignedInRequest, key: str) -> HttpResponse:
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
        "delegates": list(requirement.acknowledgement_delegates.order_by("username")),
        "can_delegate": can.can_delegate_acknowledgement(screen.user, requirement),
        "delegate_form": forms.DelegateForm(developers=_delegate_choices(requirement)),
        "can_mark_risk": can.can_mark_risk(screen.user, requirement),
        "risk_form": forms.RiskForm(prefix="risk", initial={"risk": requirement.risk or None}),
        "clear_risk_form": forms.ReasonForm(prefix="clear-risk"),
        "can_cancel": can.can_cancel(screen.user, requirement),
        "cancel_form": forms.ReasonForm(prefix="cancel"),
    }


def _delegate_choices(requirement: Requirement) -> Any:
    """The lead team's DEVs the lead DEV may still delegate to (the service checks the pick)."""
    developers = holders_of([requirement.lead_team], Role.DEV).exclude(
        acknowledgement_delegations=requirement
    )
    if requirement.lead_dev_id is not None:
        developers = developers.exclude(pk=requirement.lead_dev_id)
    return developers


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
        "thread_acts": thread_acts(user, questions),
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
        requirement=screen.requirement,
        actor=screen.user,
        version=version,
        confirm=screen.is_confirmed,
        **data,
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


@action("delegate_acknowledgement", section="details")
def delegate_acknowledgement(screen: Screen, ref: str | None) -> None:
    data = screen.bind(
        forms.DelegateForm, "delegate_form", developers=_delegate_choices(screen.requirement)
    )
    services.delegate_acknowledgement(
        requirement=screen.requirement, actor=screen.user, delegate=data["delegate"]
    )


@action("undelegate_acknowledgement", section="details")
def undelegate_acknowledgement(screen: Screen, ref: str | None) -> None:
    services.undelegate_acknowledgement(
        requirement=screen.requirement, actor=screen.user, delegate=get_user(ref or "")
    )


def scenario_of(screen: Screen, ref: str | None) -> Scenario:
    """The scenario an action names (none named: not found)."""
    return get_scenario(screen.requirement, ref or "")


def question_of(screen: Screen, ref: str | None) -> Question:
    """The question an action names (none named: not found)."""
    return get_question(screen.requirement, ref or "")


@action("mark_high_risk", section="details")
def mark_high_risk(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.RiskForm, "risk_form", prefix="risk")
    services.mark_high_risk(requirement=screen.requirement, actor=screen.user, **data)


@action("clear_high_risk", section="details")
def clear_high_risk(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ReasonForm, "clear_risk_form", prefix="clear-risk")
    services.clear_high_risk(requirement=screen.requirement, actor=screen.user, **data)


@action("cancel_requirement", section="details")
def cancel_requirement(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ReasonForm, "cancel_form", prefix="cancel")
    services.cancel_requirement(requirement=screen.requirement, actor=screen.user, **data)


@action("add_scenario", section="scenarios")
def add_scenario(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ScenarioForm, "scenario_form")
    services.add_scenario(
        requirement=screen.requirement, actor=screen.user, confirm=screen.is_confirmed, **data
    )


@action("update_scenario", section="scenarios")
def update_scenario(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ScenarioForm, "edit_scenario_form")
    services.update_scenario(
        scenario=scenario_of(screen, ref),
        actor=screen.user,
        confirm=screen.is_confirmed,
        **data,
    )


@action("out_of_scope", section="scenarios")
def out_of_scope(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ReasonForm, "reason_form")
    services.mark_out_of_scope(
        scenario=scenario_of(screen, ref),
        actor=screen.user,
        reason=data["reason"],
        confirm=screen.is_confirmed,
    )


@action("return_to_scope", section="scenarios")
def return_to_scope(screen: Screen, ref: str | None) -> None:
    services.return_to_scope(
        scenario=scenario_of(screen, ref),
        actor=screen.user,
        confirm=screen.is_confirmed,
    )


@action("hand_off", section="scenarios")
def hand_off(screen: Screen, ref: str | None) -> None:
    services.hand_off(requirement=screen.requirement, actor=screen.user)


@action("acknowledge", section="scenarios")
def acknowledge(screen: Screen, ref: str | None) -> None:
    services.acknowledge_scenario(scenario=scenario_of(screen, ref), actor=screen.user)


@action("ask", section="scenarios")
def ask(screen: Screen, ref: str | None) -> None:
    """A question on one scenario, from its row (at hand-off: the DEV's "what is meant here?")."""
    data = screen.bind(forms.AskForm, "ask_form")
    services.raise_question(
        requirement=screen.requirement,
        actor=screen.user,
        body=data["body"],
        scenario=scenario_of(screen, ref),
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


def thread_acts(user: Any, questions: list[Question]) -> dict[int, dict[str, bool]]:
    """Per question, which of its thread's buttons `user` may press (from the same checks the
    services raise)."""
    return {
        q.pk: {
            "reply": can.can_reply_to_question(user, q),
            "propose": can.can_propose_answer(user, q),
            "accept": can.can_accept_answer(user, q),
            "reject": can.can_reject_answer(user, q),
            "reopen": can.can_reopen_question(user, q),
        }
        for q in questions
    }


@action("thread", section="questions")
def thread(screen: Screen, ref: str | None) -> None:
    thread_with(screen, ref)


@action("accept", section="questions")
def accept(screen: Screen, ref: str | None) -> None:
    services.accept_answer(question=question_of(screen, ref), actor=screen.user)


def thread_with(screen: Screen, ref: str | None) -> None:
    """Write in question `ref`'s thread: a reply, a proposed answer, the asker's side's reason
    for not accepting the proposal, or for reopening the question (the button pressed says
    which; the service refuses what the user may not do)."""
    data = screen.bind(forms.ThreadForm, "thread_form")
    question = question_of(screen, ref)
    body, actor = data["body"], screen.user
    if data["do"] == "propose":
        services.propose_answered(question=question, actor=actor, body=body)
    elif data["do"] == "reject":
        services.reject_answer(question=question, actor=actor, reason=body)
    elif data["do"] == "reopen":
        services.reopen_question(question=question, actor=actor, reason=body)
    else:
        services.reply_to_question(question=question, actor=actor, body=body)
