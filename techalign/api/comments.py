"""Comment threads on a requirement, its scenarios and its plan items."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from techalign.api.common import ERRORS, Body, actor
from techalign.comments import selectors, services
from techalign.comments.models import BODY_LIMIT
from techalign.core.errors import Refused
from techalign.requirements import selectors as requirements

router = Router(tags=["comments"])


class CommentOut(Schema):
    id: int
    on: str
    reply_to: int | None
    author: str
    body: str
    mentions: list[str]
    created_at: datetime

    @staticmethod
    def resolve_reply_to(obj) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_author(obj) -> str:
        return obj.author.username

    @staticmethod
    def resolve_mentions(obj) -> list[str]:
        return [user.username for user in obj.mentions.all()]


class CommentIn(Body):
    body: str = Field(min_length=1, max_length=BODY_LIMIT)
    scenario: str | None = Field(default=None, description='A scenario key, "S-3".')
    item: str | None = Field(default=None, description='A plan item key, "I-2".')
    reply_to: int | None = Field(default=None, description="The id of a comment to answer.")


@router.get("/{key}/comments", response={200: list[CommentOut], **ERRORS})
@paginate
def list_comments(request: HttpRequest, key: str, on: str | None = None):
    """Every comment on the requirement, oldest first; `on` narrows to "S-3", "I-2" or the
    requirement's own key."""
    requirement = requirements.get_requirement(actor(request), key)
    comments = selectors.comments_on(requirement)
    if on:
        wanted = on.strip().upper()
        return [c for c in comments if c.on == wanted]
    return comments


@router.post("/{key}/comments", response={201: CommentOut, **ERRORS})
def add_comment(request: HttpRequest, key: str, body: CommentIn):
    """Start a thread (on the requirement, a scenario or a plan item) or reply to one; each
    @username mentioned is notified."""
    user = actor(request)
    requirement = requirements.get_requirement(user, key)
    item = requirements.parse_key(body.item, "I") if body.item else None
    if body.item and item is None:
        raise Refused("access.not_found", kind=gettext("Plan item"), ref=body.item)
    return Status(
        201,
        services.add_comment(
            requirement=requirement,
            actor=user,
            body=body.body,
            scenario=requirements.get_scenario(requirement, body.scenario)
            if body.scenario
            else None,
            item_number=item,
            parent=selectors.get_comment(requirement, body.reply_to) if body.reply_to else None,
        ),
    )
