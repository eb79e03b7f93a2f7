"""The one way a page acts: parse the form, call one service, show a refusal inline, re-render.

A requirement's pages are made of *sections* (scenarios, plan items, sign-off, ...), each a
template plus a function that reads its context through the domain selectors. Every write is
an *action*: a small function that binds its form and calls exactly one service. `perform`
runs an action and answers an htmx request with the re-rendered page body (or just the
action's section) and the requirement header out of band; a plain form post is redirected to
the page either way (post/redirect/get), a refusal shown there beside the form, which comes
back as it was typed. Views never decide whether an action is allowed: the service refuses,
and its message names the unmet condition. A refusal that only asks for the actor's
confirmation (a plan submitted with gaps, a change that withdraws a review) is shown with the
posted form again, carrying `confirm=1`: the confirmation step works without JavaScript.

The server, not the markup, says where an htmx answer goes (`HX-Retarget`, `HX-Reswap`) and
which address the browser shows (`HX-Replace-Url`, the page's own): a form inside a fragment
that is polled or swapped on its own can then never swap the whole body or leave the action's
URL in the address bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from techalign.core.errors import Refused
from techalign.core.http import SignedInRequest
from techalign.meetings.models import Meeting
from techalign.meetings.selectors import access_meeting
from techalign.org.models import Team, User
from techalign.plans import selectors as plans
from techalign.plans.models import Item, Revision
from techalign.requirements.models import (
    STEP_OF_STATUS,
    Question,
    QuestionReply,
    Requirement,
    Scenario,
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

    def __init__(self, request: SignedInRequest, key: str, meeting_key: str | None = None) -> None:
        self.request = request
        self.user: User = request.user
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
        self.posted: QueryDict = request.POST
        # Set when re-binding a refused plain post on the page it was redirected to.
        self.is_replay = False

    def bind(self, form_class: type[forms.Form], key: str, **kwargs: Any) -> dict[str, Any]:
        """Bind the posted data; the form is kept so a refusal re-renders what was typed."""
        form = form_class(self.posted, **kwargs)
        self.bound[key] = form
        if not form.is_valid():
            raise Invalid(form)
        if self.is_replay:
            raise Replayed
        return form.cleaned_data

    @property
    def addressed_meeting(self) -> Meeting:
        """The meeting of a meeting's page or action: its sections belong only to a screen
        under a meeting's address (Section.belongs_to), elsewhere there is none to find."""
        if self.meeting is None:
            raise Http404("no meeting in this address")
        return self.meeting

    @property
    def is_confirmed(self) -> bool:
        """Whether the actor confirmed, on the confirmation step, what the action costs."""
        return self.posted.get("confirm") == "1"

    @cached_property
    def revision(self) -> Revision | None:
        return plans.current_revision(self.requirement)

    @cached_property
    def items(self) -> list[Item]:
        return plans.items_of(self.revision)

    @cached_property
    def item_keys(self) -> list[str]:
        """The current items' keys, without reading the items when nothing else needs them."""
        return plans.item_keys_of(self.revision)

    @cached_property
    def scenarios(self) -> list[Scenario]:
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
    def uncovered(self) -> list[Scenario]:
        return plans.uncovered_scenarios(self.requirement, self.revision)

    @cached_property
    def parties(self) -> list[Team]:
        return plans.related_parties(self.requirement, self.revision)

    @cached_property
    def suspect(self) -> dict[str, list[Any]]:
        """The current items' open suspect marks by item key; each item carries its own too."""
        marks = plans.suspect_by_item(self.requirement, self.revision)
        for item in self.items:
            # For the page's badge only, as the API does: not a field of Item.
            item.suspect_marks = marks.get(item.key, [])  # type: ignore[attr-defined]
        return marks


class Replayed(Exception):
    """A refused post's form is bound again for its page; the action stops before its service."""


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


# A section's context builder, and an action: a function (screen, ref) that binds its form and
# calls one service.
SectionBuilder = Callable[[Screen], dict[str, Any]]
ActionFunction = Callable[[Screen, str | None], None]


def section(
    name: str, template: str, *, page: str, also: tuple[str, ...] = ()
) -> Callable[[SectionBuilder], SectionBuilder]:
    """Register the context builder of one section of a page (and of the pages in `also`)."""

    def register(build: SectionBuilder) -> SectionBuilder:
        SECTIONS[name] = Section(name, template, [page, *also], build)
        for page_name in (page, *also):
            PAGES[page_name].sections.append(name)
        return build

    return register


def action(
    name: str, *, section: str, target: str = "page"
) -> Callable[[ActionFunction], ActionFunction]:
    """Register an action: a function (screen, ref) that binds its form and calls one service."""

    def register(run: ActionFunction) -> ActionFunction:
        ACTIONS[name] = Action(name, section, run, target)
        return run

    return register


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
    overrides = {**_redirected_refusal(screen, page_name), **(overrides or {})}
    # Rendering writes nothing: its sections share one read of the requirement's facts.
    with plans.one_reading(screen.requirement):
        context = _context(screen, page_.sections, overrides)
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
    # After the action's write: what is rendered shares one read, as on a page.
    with plans.one_reading(screen.requirement):
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
            {
                **header_context(screen),
                "oob": True,
                "page": SECTIONS[act.section].page_for(screen),
            },
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
    request: SignedInRequest,
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
    code = ""
    shown: ShownRefusal | None = None
    try:
        act.run(screen, ref)
    except Invalid:
        code = "input.invalid"
    except Refused as refused:
        code = refused.code
        shown = ShownRefusal(refused.code, refused.message, str(refused.details.get("field", "")))
    fresh = Screen(request, key, meeting_key)
    page_name = SECTIONS[act.section].page_for(fresh)
    if not code:
        messages.success(request, _("Saved."))
    elif not is_htmx(request):
        # Post/redirect/get: the page shows the refusal and the form as typed, and the address
        # bar shows the page, never the action (a reload does not post again).
        request.session[REDIRECTED_REFUSAL] = {
            "key": key,
            "meeting": meeting_key,
            "action": name,
            "ref": ref,
            "posted": {k: v for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"},
            "bound": bool(screen.bound),
            "refusal": shown._asdict() if shown else None,
        }
    if is_htmx(request):
        overrides = _outcome(screen, act, ref, shown)
        response = _partial(request, fresh, act, overrides)
        _swap_into(response, act, page_url(fresh, page_name))
        if code:
            # htmx swaps 2xx answers only; the outcome stays machine-readable in a header.
            response["X-Refused"] = code
        return response
    return redirect(page_url(fresh, page_name) + f"#{act.section}")


REDIRECTED_REFUSAL = "techalign.refused_post"
# Refusals that only ask the actor to confirm what the action costs: the page offers the
# posted form again with `confirm=1` (the button says what it does).
CONFIRMABLE = {
    "plan.gaps_unconfirmed": _("Submit anyway"),
    "plan.withdrawal_unconfirmed": _("Save anyway"),
}


class ShownRefusal(NamedTuple):
    """A refusal as the page shows it: its code and its message in the reader's language."""

    code: str
    message: str
    field: str = ""


def _outcome(
    screen: Screen, act: Action, ref: str | None, refusal: ShownRefusal | None
) -> dict[str, Any]:
    """What a failed action shows where its form is: the refusal (or the form's errors), the
    forms as they were posted, and for a refusal that asks for confirmation, the way to give it.
    Empty when the action succeeded: the forms then start empty."""
    invalid = next((f for f in screen.bound.values() if not f.is_valid()), None)
    if refusal is None and invalid is None:
        return {}
    at = f"{act.name}:{ref}" if ref else act.name
    overrides: dict[str, Any] = {"refusal_at": at, **screen.bound, **screen.keep}
    if refusal is None:
        overrides["invalid"] = invalid
        return overrides
    overrides["refusal"] = refusal
    # A refusal naming a field of the posted form is shown beside that field too.
    for form in screen.bound.values():
        if refusal.field in form.fields:
            form.add_error(refusal.field, refusal.message)
    if refusal.code in CONFIRMABLE:
        overrides["confirm_step"] = {
            "url": _action_url(screen, act.name, ref),
            "fields": [
                (k, v)
                for k, values in screen.posted.lists()
                if k not in ("csrfmiddlewaretoken", "confirm")
                for v in values
            ],
            "label": CONFIRMABLE[refusal.code],
            # Without its section fragment: a link differing only by fragment would not reload.
            "back": page_url(screen, SECTIONS[act.section].page_for(screen)),
        }
    return overrides


def _action_url(screen: Screen, name: str, ref: str | None) -> str:
    key = screen.requirement.key
    if screen.meeting is not None:
        args = [key, screen.meeting.key, name, *([ref] if ref else [])]
        return reverse("web:meeting_do_on" if ref else "web:meeting_do", args=args)
    return reverse("web:do_on" if ref else "web:do", args=[key, name, *([ref] if ref else [])])


def _redirected_refusal(screen: Screen, page_name: str) -> dict[str, Any]:
    """On the page a refused plain post was redirected to, the refusal beside its form and the
    form as it was typed (its action is run again only up to binding its form)."""
    request = screen.request
    stash = request.session.get(REDIRECTED_REFUSAL)
    if request.method != "GET" or not stash or stash["key"] != screen.requirement.key:
        return {}
    act = ACTIONS.get(stash["action"])
    if act is None or stash["meeting"] != (screen.meeting.key if screen.meeting else None):
        return {}
    section_ = SECTIONS[act.section]
    if not section_.belongs_to(screen) or section_.page_for(screen) != page_name:
        return {}
    del request.session[REDIRECTED_REFUSAL]
    posted = QueryDict(mutable=True)
    for name, values in stash["posted"].items():
        posted.setlist(name, values)
    screen.posted = posted
    if stash["bound"]:
        screen.is_replay = True
        try:
            act.run(screen, stash["ref"])
        except (Replayed, Invalid, Refused):
            pass
        finally:
            screen.is_replay = False
    refusal = ShownRefusal(**stash["refusal"]) if stash["refusal"] else None
    return _outcome(screen, act, stash["ref"], refusal)


def _landing(request: SignedInRequest, key: str, name: str, meeting_key: str | None) -> str:
    """The page an action's address leads to when it is opened rather than posted to."""
    screen = Screen(request, key, meeting_key)
    act = ACTIONS.get(name)
    home = SECTIONS[act.section] if act is not None else None
    if home is not None and home.belongs_to(screen):
        return page_url(screen, home.page_for(screen))
    return page_url(screen, "meeting" if screen.meeting is not None else "overview")
