"""Writing comments: the gate, the write, the audit entry and the @mention notices together."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from techalign.audit.services import record, transition
from techalign.comments.models import BODY_LIMIT, Comment
from techalign.comments.permissions import can_comment, can_see
from techalign.core import limits
from techalign.core.errors import Refused
from techalign.notify.models import Event
from techalign.notify.services import emit
from techalign.org.models import User
from techalign.plans import selectors as plans
from techalign.requirements.models import Requirement, Scenario
from techalign.requirements.workflow import lock_requirement

# "@ming", "@li.wei", "@zhang-san": a user name after an @ that does not follow a word character
# (so "ming@example.com" mentions nobody).
MENTION = re.compile(r"(?<![\w.])@([\w.+-]*\w)")


def mentioned_names(body: str) -> list[str]:
    """The user names mentioned in a comment, each once, in the order written."""
    return list(dict.fromkeys(MENTION.findall(body)))


def _resolve_mentions(body: str, requirement: Requirement) -> list[User]:
    names = mentioned_names(body)
    if not names:
        return []
    users = {
        u.username.lower(): u
        for u in User.objects.filter(is_active=True).filter(username__in=names)
    }
    unknown = [n for n in names if n.lower() not in users]
    if unknown:
        raise Refused("comment.unknown_mention", names=["@" + n for n in unknown])
    blind = [u for u in users.values() if not can_see(u, requirement)]
    if blind:
        raise Refused(
            "comment.mention_cannot_see", users=[str(u) for u in blind], requirement=requirement.key
        )
    return list(users.values())


@transition("comment.added")
def add_comment(
    *,
    requirement: Requirement,
    actor: User,
    body: str,
    scenario: Scenario | None = None,
    item_number: int | None = None,
    parent: Comment | None = None,
) -> Comment:
    """Start a thread on the requirement, one of its scenarios or one of its plan items, or
    reply to a thread (a reply joins its thread's subject). Everyone @mentioned must be able to
    see the requirement, and is told once the comment is saved."""
    if not can_comment(actor, requirement):
        raise Refused("access.not_found", kind=_("Requirement"), ref=requirement.key)
    body = (body or "").strip()
    if not body:
        raise Refused("comment.empty")
    if len(body) > BODY_LIMIT:
        raise Refused("input.too_long", field=_("Comment"), limit=BODY_LIMIT)
    if parent is not None:
        if parent.requirement_id != requirement.pk:
            raise Refused("access.not_found", kind=_("Comment"), ref=parent.pk)
        parent = parent.parent or parent  # threads are one level deep
        scenario, item_number = parent.scenario, parent.item_number
    elif scenario is not None and scenario.requirement_id != requirement.pk:
        raise Refused("access.not_found", kind=_("Scenario"), ref=scenario.key)
    elif item_number is not None:
        numbers = {item.number for item in plans.items_of(plans.current_revision(requirement))}
        if item_number not in numbers:
            raise Refused("access.not_found", kind=_("Plan item"), ref=f"I-{item_number}")
    mentions = _resolve_mentions(body, requirement)
    lock_requirement(requirement)
    limits.check_room("comments_per_requirement", requirement.comments.count())
    comment = Comment.objects.create(
        requirement=requirement,
        scenario=scenario,
        item_number=item_number,
        parent=parent,
        author=actor,
        body=body,
    )
    comment.mentions.set(mentions)
    record(
        actor=actor,
        action="comment.added",
        target=comment,
        summary={"comment": body[:500], "mentions": [u.username for u in mentions]},
    )
    if mentions:
        emit(Event.MENTIONED, comment=comment, actor=actor)
    return comment
