"""The one way a page acts: parse the form, call one service, show a refusal inline, re-render.

A requirement's pages are made of *sections* (scenarios, plan items, sign-off, ...), each a
template plus a function that reads its context through the domain selectors. Every write is
an *action*: a small function that binds its form and calls exactly one service. `perform`
runs an action and answers an htmx request with the re-rendered page body (or just the
action's section) and the requirement header out of band; a plain form post is redirected on
success and shown the whole page with the refusal otherwise. Views never decide whether an
action is allowed: the service refuses, and its message names the unmet condition.

The server, not the markup, says where an htmx answer goes (`HX-Retarget`, `HX-Reswap`) and
which address the browser shows (`HX-Replace-Url`, the page's own): a form inside a fragment
that is polled or swapped on its own can then never swap the whole body or leave the action's
URL in the address bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from techalign.core.errors import Refused
from techalign.meetings.models import Meeting
from techalign.meetings.selectors import access_meeting
from techalign.plans import selectors as plans
from techalign.requirements.models import (
    STEP_OF_STATUS,
    Question,
    QuestionReply,
    Requirement,
    Status,
)
from techalign.requirements.selectors import get_requirement, next_actions

STEPS = [
    (1, _("Hand-off")),
    (2, _("Own-side plan")),
    (3, _("Meeting set-up")),
    (4, _("Alignment")),
    (5, _("Finalize")),
]

TABS = [
    ("overview", "web:requirement", _("Requirement")),
    ("plan", "web:plan", _("Technical plan")),
    ("history", "web:history", _("Revisions")),
    ("align", "web:align", _("Alignment")),
    ("baseline", "web:baseline", _("Baseline")),
    ("activity", "web:activity", _("Activity")),
]


class Screen:
    """One requirement (and maybe one of its meetings) as the signed-in user sees it now.

    Reads are cached for the request, so sections that share a revision or its items load
    them once."""

    def __init__(self, request: HttpRequest, key: str, meeting_key: str | None = None) -> None:
        self.request = request
        self.user = request.user
        try:
            self.requirement: Requirement = get_requirement(request.user, key)
        except Refused as refused:
            raise Http404(refused.message) from refused
        self.meeting: Meeting | None = None
        if meeting_key is not None:
            try:
                self.meeting = access_meeting(self.requirement, meeting_key)
            except Refused as refused:
                raise Http404(refused.message) from refused
        self.bound: dict[str, forms.Form] = {}
        # Context an action wants back if it fails, e.g. which row's form to keep open.
        self.keep: dict[str, Any] = {}

    def bind(self, form_class: type[forms.Form], key: str, **kwargs: Any) -> dict[str, Any]:
        """Bind the posted data; the form is kept so a refusal re-renders what was typed."""
        form = form_class(self.request.POST, **kwargs)
        self.bound[key] = form
        if not form.is_valid():
            raise Invalid(form)
        return form.cleaned_data

    @cached_property
    def revision(self):
        return plans.current_revision(self.requirement)

    @cached_property
    def items(self):
        return plans.items_of(self.revision)

    @cached_property
    def item_keys(self) -> list[str]:
        """The current items' keys, without reading the items when nothing else needs them."""
        return plans.item_keys_of(self.revision)

    @cached_property
    def scenarios(self):
        return list(
            self.requirement.scenarios.filter(is_withdrawn=False).select_related(
                "acknowledged_by", "out_of_scope_by"
            )
        )

    @cached_property
    def questions(self) -> list[Question]:
        return list(
            self.requirement.questions.select_related(
                "scenario", "raised_by", "resolved_by", "raised_for_team"
            ).prefetch_related(Prefetch("replies", QuestionReply.objects.select_related("author")))
        )

    @cached_property
    def uncovered(self):
        return plans.uncovered_scenarios(self.requirement, self.revision)

    @cached_property
    def parties(self):
        return plans.related_parties(self.requirement, self.revision)

    @cached_property
    def suspect(self) -> dict[str, list[Any]]:
        """The current items' open suspect marks by item key; each item carries its own too."""
        marks = plans.suspect_by_item(self.requirement, self.revision)
        for item in self.items:
            item.suspect_marks = marks.get(item.key, [])
        return marks


class Invalid(Exception):
    """A posted form did not validate; its errors are shown where the action's form is."""

    def __init__(self, form: forms.Form) -> None:
        self.form = form
        super().__init__("invalid form")


@dataclass
class Section:
    name: str
    template: str
    pages: list[str]
    build: Callable[[Screen], dict[str, Any]]

    def page_for(self, screen: Screen) -> str:
        """Acting from a meeting's page keeps the user there; otherwise the section's home."""
        if screen.meeting is not None and "meeting" in self.pages:
            return "meeting"
        return self.pages[0]

    def belongs_to(self, screen: Screen) -> bool:
        """A meeting's own sections act only under a meeting's address, the others only where
        their page is: an action posted elsewhere is not found rather than half-run."""
        if screen.meeting is not None:
            return "meeting" in self.pages
        return any(name != "meeting" for name in self.pages)


@dataclass
class Action:
    name: str
    section: str
    run: Callable[[Screen, str | None], Any]
    # "page": re-render the whole page body (the step may have moved); "section": only its own.
    target: str = "page"


@dataclass
class Page:
    name: str
    template: str
    sections: list[str] = field(default_factory=list)


PAGE_URLS = {"overview": "web:requirement"}
SECTIONS: dict[str, Section] = {}
ACTIONS: dict[str, Action] = {}
PAGES: dict[str, Page] = {}


def page(name: str, template: str) -> None:
    PAGES[name] = Page(name, template)


def section(name: str, template: str, *, page: str, also: tuple[str, ...] = ()):
    """Register the context builder of one section of a page (and of the pages in `also`)."""

    def register(build: Callable[[Screen], dict[str, Any]]):
        SECTIONS[name] = Section(name, template, [page, *also], build)
        for page_name in (page, *also):
            PAGES[page_name].sections.append(name)
        return build

    return register


def action(name: str, *, section: str, target: str = "page"):
    """Register an action: a function (screen, ref) that binds its form and calls one service."""

    def register(run: Callable[[Screen, str | None], Any]):
        ACTIONS[name] = Action(name, section, run, target)
        return run

    return register


def whole_number(value: Any) -> int | None:
    """A number typed in an address or a form, or None when it is not one."""
    text = str(value or "")
    # isdigit() alone admits digits such as "²" that int() refuses.
    return int(text) if text.isascii() and text.isdigit() else None


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def header_context(screen: Screen) -> dict[str, Any]:
    """The requirement's title, stepper and who must act next: on every one of its pages."""
    requirement = screen.requirement
    current = STEP_OF_STATUS[Status(requirement.status)]
    steps = [
        {
            "number": n,
            "label": label,
            "state": "done" if n < current else "current" if n == current else "todo",
        }
        for n, label in STEPS
    ]
    if requirement.status == Status.FINALIZED:
        steps[-1]["state"] = "done"
    actions = next_actions(requirement, screen.revision)
    mine = [a for a in actions if any(u.pk == screen.user.pk for u in a.users)]
    return {
        "requirement": requirement,
        "steps": steps,
        "next_actions": actions,
        "my_actions": mine,
        "tabs": TABS,
    }


def _context(screen: Screen, names: list[str], overrides: dict[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = {
        "screen": screen,
        "requirement": screen.requirement,
        "meeting": screen.meeting,
        "user": screen.user,
    }
    for name in names:
        context.update(SECTIONS[name].build(screen))
    context.update(overrides)
    return context


def render_page(
    request: HttpRequest,
    screen: Screen,
    page_name: str,
    *,
    overrides: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The full page: layout, requirement header, and every section of the page."""
    page_ = PAGES[page_name]
    context = _context(screen, page_.sections, overrides or {})
    context.update(header_context(screen))
    context["page"] = page_name
    context["page_body"] = page_.template
    context["nav"] = "requirements"
    html = render_to_string("web/requirement/page.html", context, request)
    return HttpResponse(html, status=status)


def _partial(
    request: HttpRequest, screen: Screen, act: Action, overrides: dict[str, Any]
) -> HttpResponse:
    section_ = SECTIONS[act.section]
    if act.target == "section":
        context = _context(screen, [act.section], overrides)
        body = render_to_string(section_.template, context, request)
    else:
        page_ = PAGES[section_.page_for(screen)]
        context = _context(screen, page_.sections, overrides)
        context["page"] = page_.name
        body = render_to_string(page_.template, context, request)
    header = render_to_string(
        "web/requirement/_header.html",
        {**header_context(screen), "oob": True, "page": SECTIONS[act.section].page_for(screen)},
        request,
    )
    return HttpResponse(body + header)


def page_url(screen: Screen, page_name: str) -> str:
    key = screen.requirement.key
    if page_name == "meeting" and screen.meeting is not None:
        return reverse("web:meeting", args=[key, screen.meeting.key])
    return reverse(PAGE_URLS.get(page_name, f"web:{page_name}"), args=[key])


def _swap_into(response: HttpResponse, act: Action, url: str) -> None:
    """Tell htmx where the answer goes, whatever the form inherited, and keep the address bar
    on the page (never on the action's URL)."""
    if act.target == "section":
        response["HX-Retarget"] = f"#{act.section}"
        response["HX-Reswap"] = "outerHTML show:none"
    else:
        response["HX-Retarget"] = "#page"
        response["HX-Reswap"] = "innerHTML show:none"
    response["HX-Replace-Url"] = url


@login_required
def perform(
    request: HttpRequest,
    key: str,
    name: str,
    ref: str | None = None,
    meeting_key: str | None = None,
) -> HttpResponse:
    """Run one registered action and show its outcome where its form is."""
    if request.method in ("GET", "HEAD"):
        # An action's address is only posted to; whoever lands on it (a reload of a page that
        # was shown after a refused plain post, a shared link) is taken to its page.
        return redirect(_landing(request, key, name, meeting_key))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    act = ACTIONS.get(name)
    if act is None:
        raise Http404(name)
    screen = Screen(request, key, meeting_key)
    if not SECTIONS[act.section].belongs_to(screen):
        raise Http404(name)
    at = f"{name}:{ref}" if ref else name
    overrides: dict[str, Any] = {}
    status, code = 200, ""
    try:
        act.run(screen, ref)
    except Invalid as invalid:
        overrides = {"invalid": invalid.form, "refusal_at": at}
        status, code = 422, "input.invalid"
    except Refused as refused:
        overrides = {"refusal": refused, "refusal_at": at}
        status, code = refused.status, refused.code
        # A refusal naming a field of the posted form is shown beside that field too.
        for form in screen.bound.values():
            if refused.details.get("field") in form.fields:
                form.add_error(refused.details["field"], refused.message)
    # Bound forms come back only with what went wrong; after success the forms start empty.
    if overrides:
        overrides.update(screen.bound)
        overrides.update(screen.keep)
    else:
        messages.success(request, _("Saved."))
    fresh = Screen(request, key, meeting_key)
    page_name = SECTIONS[act.section].page_for(fresh)
    if is_htmx(request):
        response = _partial(request, fresh, act, overrides)
        _swap_into(response, act, page_url(fresh, page_name))
        if code:
            # htmx swaps 2xx answers only; the outcome stays machine-readable in a header.
            response["X-Refused"] = code
        return response
    if not overrides:
        return redirect(page_url(fresh, page_name) + f"#{act.section}")
    return render_page(request, fresh, page_name, overrides=overrides, status=status)


def _landing(request: HttpRequest, key: str, name: str, meeting_key: str | None) -> str:
    """The page an action's address leads to when it is opened rather than posted to."""
    screen = Screen(request, key, meeting_key)
    act = ACTIONS.get(name)
    home = SECTIONS[act.section] if act is not None else None
    if home is not None and home.belongs_to(screen):
        return page_url(screen, home.page_for(screen))
    return page_url(screen, "meeting" if screen.meeting is not None else "overview")
