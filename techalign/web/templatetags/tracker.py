"""Template filters for the tracker's words: revision change notes in the reader's language."""

from django import template

from techalign.web.diff import revision_note as _revision_note

register = template.Library()


@register.filter
def revision_note(summary: str) -> str:
    return _revision_note(summary)
