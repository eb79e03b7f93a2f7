"""Comment threads on the requirement page (the requirement and its scenarios) and on the plan
page (its items): start a thread on one of them, or reply to one; @mentions notify."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from techalign.comments import selectors, services
from techalign.comments.permissions import can_comment
from techalign.core.errors import Refused
from techalign.org.models import User
from techalign.requirements.selectors import get_scenario, parse_key
from techalign.web.views import plans, requirements  # noqa: F401 (the pages these sections join)
from techalign.web.views.common import Screen, action, section


def _subjects(screen: Screen, on_plan: bool) -> list[tuple[str, str]]:
    """(key, label) of everything on the page a thread can be about."""
    if on_plan:
        return [(item.key, f"{item.key} {item.title}") for item in screen.items]
    requirement = screen.requirement
    return [
        (requirement.key, f"{requirement.key} {requirement.title}"),
        *((s.key, f"{s.key} {s.title}") for s in screen.scenarios),
    ]


def _threads(screen: Screen, *, on_plan: bool) -> dict[str, Any]:
    by_subject = selectors.threads_of(screen.requirement)
    subjects = _subjects(screen, on_plan)
    return {
        "comment_groups": [
            {"key": key, "label": label, "threads": by_subject[key]}
            for key, label in subjects
            if key in by_subject
        ],
        "comment_subjects": subjects,
        "can_comment": can_comment(screen.user, screen.requirement),
        "comment_action": "comment_item" if on_plan else "comment",
        "reply_action": "reply_item" if on_plan else "reply",
        "comment_section": "item_comments" if on_plan else "comments",
    }


@section("comments", "web/comments/_threads.html", page="overview")
def comments_section(screen: Screen) -> dict[str, Any]:
    return _threads(screen, on_plan=False)


@section("item_comments", "web/comments/_threads.html", page="plan")
def item_comments_section(screen: Screen) -> dict[str, Any]:
    return _threads(screen, on_plan=True)


def _author(screen: Screen) -> User:
    """The signed-in person writing (the pages are behind login_required)."""
    if not isinstance(screen.user, User):
        raise Refused("auth.required")
    return screen.user


def _start_thread(screen: Screen, subject: str) -> None:
    requirement = screen.requirement
    body = screen.request.POST.get("body", "")
    screen.keep["comment_draft"] = body
    subject = (subject or "").strip().upper()
    scenario, item_number = None, None
    if subject.startswith("S-"):
        scenario = get_scenario(requirement, subject)
    elif subject.startswith("I-"):
        item_number = parse_key(subject, "I")
        if item_number is None:
            raise Refused("access.not_found", kind=_("Plan item"), ref=subject)
    elif subject != requirement.key:
        raise Refused("access.not_found", kind=_("Requirement"), ref=subject)
    services.add_comment(
        requirement=requirement,
        actor=_author(screen),
        body=body,
        scenario=scenario,
        item_number=item_number,
    )


def _reply(screen: Screen, ref: str | None) -> None:
    body = screen.request.POST.get("body", "")
    screen.keep["reply_draft"] = body
    parent = selectors.get_comment(screen.requirement, ref)
    services.add_comment(
        requirement=screen.requirement, actor=_author(screen), body=body, parent=parent
    )


@action("comment", section="comments", target="section")
def comment(screen: Screen, ref: str | None) -> None:
    _start_thread(screen, screen.request.POST.get("on", "") or ref or "")


@action("reply", section="comments", target="section")
def reply(screen: Screen, ref: str | None) -> None:
    _reply(screen, ref)


@action("comment_item", section="item_comments", target="section")
def comment_item(screen: Screen, ref: str | None) -> None:
    _start_thread(screen, screen.request.POST.get("on", "") or ref or "")


@action("reply_item", section="item_comments", target="section")
def reply_item(screen: Screen, ref: str | None) -> None:
    _reply(screen, ref)
