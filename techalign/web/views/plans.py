"""Step 2: the technical plan — items editor, coverage matrix, related parties, review, and the
revision history with a readable diff between any two revisions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from techalign.core.http import SignedInRequest
from techalign.core.markdown import render_markdown
from techalign.org.models import Component
from techalign.org.selectors import search_components
from techalign.plans import permissions as can
from techalign.plans import selectors as plans
from techalign.plans import services
from techalign.plans.markdown import import_plan
from techalign.plans.models import Item, ItemKind, Revision
from techalign.plans.selectors import approval_gaps
from techalign.requirements.permissions import can_raise_question
from techalign.web import forms
from techalign.web.diff import FieldChange, diff_content
from techalign.web.views.common import Screen, action, page, render_page, section

page("plan", "web/plan/plan.html")
page("history", "web/plan/history.html")


SUGGESTED_COMPONENTS = 30


def _suggestions(screen: Screen, only: set[int] | None = None) -> list[Component]:
    """The lead team's and the related parties' components: the likeliest next items (with
    `only`, those teams' components: a party DEV writes on their own team's)."""
    teams = only or {screen.requirement.lead_team_id, *(i.owner_team_id for i in screen.items)}
    return list(
        Component.objects.filter(owner_team__in=teams)
        .select_related("owner_team")
        .order_by("owner_team__code", "key")[:SUGGESTED_COMPONENTS]
    )


def _item_form(
    screen: Screen,
    suggestions: list[Component],
    owner_teams: list[str] | None = None,
    **kwargs: Any,
) -> forms.ItemForm:
    return forms.ItemForm(
        suggestions=suggestions,
        scenario_keys=[s.key for s in screen.scenarios],
        owner_teams=owner_teams or [],
        **kwargs,
    )


def _sections(screen: Screen, editable: set[int]) -> list[dict[str, Any]]:
    """The items grouped by owning team, the lead team first: each party's section with its
    asks, who last changed it (author and revision), and whether `user` edits its items."""
    requirement = screen.requirement
    by_team: dict[int, list[Any]] = {}
    for item in screen.items:
        by_team.setdefault(item.owner_team_id, []).append(item)
    teams = [requirement.lead_team, *sorted(screen.parties, key=lambda t: t.code)]
    changes = plans.section_changes(plans.plan_of(requirement)) if screen.items else {}
    return [
        {
            "team": team,
            "is_lead": team.pk == requirement.lead_team_id,
            "items": by_team.get(team.pk, []),
            "asks": [i for i in by_team.get(team.pk, []) if i.ask or i.due_on],
            "last_change": changes.get(team.code),
            "is_editable": team.pk in editable,
        }
        for team in teams
        if team.pk in by_team or team.pk == requirement.lead_team_id
    ]


@login_required
def plan_page(request: SignedInRequest, key: str) -> HttpResponse:
    return render_page(request, Screen(request, key), "plan")


@login_required
def history_page(request: SignedInRequest, key: str) -> HttpResponse:
    return render_page(request, Screen(request, key), "history")


@login_required
def component_options(request: SignedInRequest) -> HttpResponse:
    """Catalog components whose key or name contains what was typed, as datalist options."""
    return render(
        request,
        "web/plan/_component_options.html",
        {
            "components": search_components(
                request.GET.get("component", ""), owner_teams=request.GET.getlist("team")
            )
        },
    )


@login_required
@require_POST
def markdown_preview(request: SignedInRequest) -> HttpResponse:
    """The rendered Markdown of whichever field asked, for the live preview under editors."""
    text = next((v for k, v in request.POST.dict().items() if k != "csrfmiddlewaretoken"), "")
    return render(request, "web/_markdown_preview.html", {"html": render_markdown(text)})


# --- sections ---------------------------------------------------------------------------------


@section("items", "web/plan/_items.html", page="plan")
def items_section(screen: Screen) -> dict[str, Any]:
    number = screen.revision.number if screen.revision else 0
    editing = screen.request.GET.get("edit_item", "")
    editable = can.editor_team_ids(screen.user, screen.requirement)
    # A party DEV (who does not see the whole editor) writes on their own team's components.
    own = can.section_team_ids(screen.user, screen.requirement) if editable else set()
    writes_all = screen.requirement.lead_team_id in editable
    only = None if writes_all else own
    suggestions = _suggestions(screen, only) if editable else []
    owner_teams = None if writes_all else sorted({c.owner_team.code for c in suggestions})
    edit_form = None
    for item in screen.items:
        if item.key == editing and item.owner_team_id in editable:
            edit_form = _item_form(
                screen,
                suggestions,
                owner_teams,
                auto_id="edit_%s",
                initial={
                    "component": item.component,
                    "kind": item.kind,
                    "title": item.title,
                    "description": item.description,
                    "ask": item.ask,
                    "due_on": item.due_on,
                    "scenario_keys": [f"S-{s.number}" for s in item.scenarios.all()],
                    "based_on": number,
                },
            )
    return {
        "items": screen.items,
        "sections": _sections(screen, editable),
        "suspect": _suspect_diffs(screen),
        "can_confirm": bool(screen.suspect)
        and can.can_confirm_item(screen.user, screen.requirement),
        "revision": screen.revision,
        "sees_editor": bool(editable),
        # Questions on an item are raised from the requirement's form, opened on that item.
        "can_ask": can_raise_question(screen.user, screen.requirement),
        "item_form": _item_form(screen, suggestions, owner_teams, initial={"based_on": number}),
        "import_form": (
            forms.PlanImportForm() if can.can_edit_item(screen.user, screen.requirement) else None
        ),
        "editing": editing,
        "edit_item_form": edit_form,
        "lead_team_id": screen.requirement.lead_team_id,
        "kinds": ItemKind,
        "open_actions": plans.open_action_items_by_item(screen.requirement),
        "open_questions": _open_questions_by_item(screen),
    }


def _suspect_diffs(screen: Screen) -> dict[str, list[dict[str, Any]]]:
    """Per suspect item, each changed scenario with its fields before and after."""
    return {
        key: [
            {
                "mark": mark,
                "changes": [
                    FieldChange(field=name, before=mark.before.get(name, ""), after=after)
                    for name, after in mark.after.items()
                ],
            }
            for mark in marks
        ]
        for key, marks in screen.suspect.items()
    }


def _open_questions_by_item(screen: Screen) -> dict[str, list[Any]]:
    """The questions on each item that are not closed yet (their threads are on the
    requirement's page)."""
    by_item: dict[str, list[Any]] = {}
    for question in screen.questions:
        if question.item_key and not question.is_resolved:
            by_item.setdefault(question.item_key, []).append(question)
    return by_item


@section("coverage", "web/plan/_coverage.html", page="plan")
def coverage_section(screen: Screen) -> dict[str, Any]:
    covering: dict[int, set[int]] = {}
    for item in screen.items:
        for scenario in item.scenarios.all():
            covering.setdefault(scenario.pk, set()).add(item.pk)
    uncovered = {s.pk for s in screen.uncovered}
    suspect = {(m.item_key, m.scenario_id) for marks in screen.suspect.values() for m in marks}
    rows = [
        {
            "scenario": s,
            "cells": [
                "suspect" if (item.key, s.pk) in suspect else item.pk in covering.get(s.pk, ())
                for item in screen.items
            ],
            "is_uncovered": s.pk in uncovered,
        }
        for s in screen.scenarios
    ]
    asks: dict[int, list[Item]] = {}
    for item in screen.items:
        if item.owner_team_id != screen.requirement.lead_team_id:
            asks.setdefault(item.owner_team_id, []).append(item)
    return {
        "matrix_items": screen.items,
        "matrix_rows": rows,
        "parties": [{"team": t, "items": asks.get(t.pk, [])} for t in screen.parties],
    }


@section("review", "web/plan/_review.html", page="plan")
def review_section(screen: Screen) -> dict[str, Any]:
    revision = screen.revision
    plan = plans.plan_of(screen.requirement) if revision else None
    reviews = list(reversed(plans.reviews_of(plan))) if plan else []
    gaps = approval_gaps(screen.requirement, revision) if revision else []
    awaiting = plans.awaited_approvals(screen.requirement, revision)
    return {
        "revision": revision,
        "gaps": gaps,
        "approval": None if awaiting else plans.approval_of(revision),
        "awaiting": [plans.Approval.LABELS[m] for m in awaiting],
        "reviews": reviews,
        "can_submit": can.can_submit_for_review(screen.user, screen.requirement),
        "can_review": revision is not None and can.can_review(screen.user, revision),
        "review_form": forms.ReviewForm(
            initial={
                "revision": revision.number if revision else 0,
                "content_hash": revision.content_hash if revision else "",
            }
        ),
    }


@section("revisions", "web/plan/_history.html", page="history")
def history_section(screen: Screen) -> dict[str, Any]:
    plan = plans.plan_of(screen.requirement)
    revisions = (
        list(
            Revision.objects.filter(plan=plan)
            .select_related("author", "baseline")
            .order_by("-number")
        )
        if plan
        else []
    )
    numbers = [r.number for r in revisions]
    get = screen.request.GET
    newest = numbers[0] if numbers else 0
    a = _int(get.get("a"), newest - 1 if newest > 1 else newest)
    b = _int(get.get("b"), newest)
    by_number = {r.number: r for r in revisions}
    diff = None
    if a in by_number and b in by_number:
        diff = diff_content(by_number[a].content, by_number[b].content)
    return {
        "revisions": revisions,
        "a": a,
        "b": b,
        "diff": diff,
        "current_number": plan.current_number if plan is not None and newest else 0,
    }


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --- actions ----------------------------------------------------------------------------------


def _item_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: data[k]
        for k in ("component", "kind", "title", "description", "ask", "due_on", "scenario_keys")
    }


@action("add_item", section="items")
def add_item(screen: Screen, ref: str | None) -> None:
    data = screen.bind(
        forms.ItemForm,
        "item_form",
        scenario_keys=[s.key for s in screen.scenarios],
    )
    services.add_item(
        requirement=screen.requirement,
        actor=screen.user,
        based_on=data["based_on"],
        confirm=screen.is_confirmed,
        **_item_fields(data),
    )


@action("import_markdown", section="items")
def import_markdown(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.PlanImportForm, "import_form")
    # A browser sends a textarea's line breaks as CRLF: the file as exported has LF.
    import_plan(
        actor=screen.user,
        text=data["markdown"].replace("\r\n", "\n"),
        requirement=screen.requirement,
        confirm=screen.is_confirmed,
    )


@action("update_item", section="items")
def update_item(screen: Screen, ref: str | None) -> None:
    screen.keep["editing"] = ref  # a refused edit re-opens the same item's form
    data = screen.bind(
        forms.ItemForm,
        "edit_item_form",
        auto_id="edit_%s",
        scenario_keys=[s.key for s in screen.scenarios],
    )
    services.update_item(
        requirement=screen.requirement,
        actor=screen.user,
        based_on=data["based_on"],
        item_key=plans.item_key(ref),
        confirm=screen.is_confirmed,
        **_item_fields(data),
    )


@action("remove_item", section="items")
def remove_item(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.RevisionForm, "remove_form")
    services.remove_item(
        requirement=screen.requirement,
        actor=screen.user,
        based_on=data["revision"],
        item_key=plans.item_key(ref),
        confirm=screen.is_confirmed,
    )


@action("confirm_item", section="items")
def confirm_item(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.RevisionForm, "confirm_form")
    services.confirm_item(
        requirement=screen.requirement,
        actor=screen.user,
        based_on=data["revision"],
        item_key=plans.item_key(ref),
    )


@action("submit_for_review", section="review")
def submit_for_review(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.RevisionForm, "submit_form")
    services.submit_for_review(
        requirement=screen.requirement,
        actor=screen.user,
        revision_number=data["revision"],
        confirm=screen.is_confirmed,
    )


@action("approve", section="review")
def approve(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ReviewForm, "review_form")
    services.approve_revision(
        revision=plans.access_revision(screen.requirement, data["revision"]),
        actor=screen.user,
        comment=data["comment"],
        content_hash=data["content_hash"],
    )


@action("request_changes", section="review")
def request_changes(screen: Screen, ref: str | None) -> None:
    data = screen.bind(forms.ReviewForm, "review_form")
    services.request_changes(
        revision=plans.access_revision(screen.requirement, data["revision"]),
        actor=screen.user,
        comment=data["comment"],
        content_hash=data["content_hash"],
    )
