"""Reads on comment threads, scoped to a requirement the reader can already see."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from techalign.comments.models import Comment
from techalign.core.errors import Refused
from techalign.requirements.models import Requirement


@dataclass
class Thread:
    """A top-level comment and its replies, in the order they were written."""

    first: Comment
    replies: list[Comment] = field(default_factory=list)

    @property
    def ref(self) -> str:
        """How an action names the thread: the id of its first comment."""
        return str(self.first.pk)


def comments_on(requirement: Requirement) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(requirement=requirement)
        .select_related("author", "scenario", "requirement")
        .prefetch_related("mentions")
        .order_by("created_at", "id")
    )


def threads_of(requirement: Requirement) -> dict[str, list[Thread]]:
    """Every thread of the requirement, keyed by what it is about ("REQ-12", "S-3", "I-2"), in
    two queries whatever the number of comments."""
    threads: dict[int, Thread] = {}
    by_target: dict[str, list[Thread]] = {}
    comments = list(comments_on(requirement))
    for comment in comments:
        if comment.parent_id is None:
            threads[comment.pk] = Thread(comment)
            by_target.setdefault(comment.on, []).append(threads[comment.pk])
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in threads:
            threads[comment.parent_id].replies.append(comment)
    return by_target


def get_comment(requirement: Requirement, comment_id: int | str | None) -> Comment:
    text = str(comment_id or "")
    found = (
        Comment.objects.filter(requirement=requirement, pk=int(text)).first()
        if text.isascii() and text.isdigit()
        else None
    )
    if found is None:
        raise Refused("access.not_found", kind=_comment_kind(), ref=text)
    return found


def _comment_kind() -> str:
    from django.utils.translation import gettext

    return gettext("Comment")
