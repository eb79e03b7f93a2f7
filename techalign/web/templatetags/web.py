"""Template filters the pages share."""

from django import template
from django.utils.safestring import mark_safe

from techalign.core.markdown import render_markdown
from techalign.org.models import Role

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Markdown rendered and sanitised (see techalign.core.markdown), safe to insert as is."""
    return mark_safe(render_markdown(text))


@register.filter
def short_hash(value: str) -> str:
    return (value or "")[:12]


@register.filter
def role_label(value: str) -> str:
    """A role code as its translated name; a seat without a role (a guest) stays as it is."""
    return str(Role(value).label) if value in Role.values else value


@register.filter
def get(mapping, key):
    """mapping[key] in a template, for lookups by a variable key."""
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def act(context, name: str, ref: str = "") -> str:
    """The URL an action form posts to: from a meeting's page, in that meeting's name."""
    from django.urls import reverse

    key = context["requirement"].key
    meeting = context.get("meeting")
    if meeting is not None:
        args = [key, meeting.key, name, *([str(ref)] if ref else [])]
        return reverse("web:meeting_do_on" if ref else "web:meeting_do", args=args)
    return reverse("web:do_on" if ref else "web:do", args=[key, name, *([str(ref)] if ref else [])])


_HIT = '<td class="cell hit">●</td>'
_MISS = '<td class="cell"></td>'


@register.simple_tag
def matrix_cells(cells: list[bool]) -> str:
    """One coverage-matrix row's cells: a template loop over 50 x 100 of them took most of the
    plan page's time."""
    return mark_safe("".join(_HIT if hit else _MISS for hit in cells))
