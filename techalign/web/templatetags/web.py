"""Template filters the pages share."""

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from django import template
from django.db.models import Choices
from django.template import Context
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from techalign.calendars.invitations import zoned
from techalign.core.markdown import render_markdown
from techalign.org.models import Role

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Markdown rendered and sanitised (see techalign.core.markdown), safe to insert as is."""
    return mark_safe(render_markdown(text))


@register.filter(name="zoned")
def zoned_filter(value: object) -> str:
    """The one way a page shows a time: in the reader's zone with the zone's name,
    "2026-12-08 10:00 (Asia/Shanghai)". A date without a time needs no zone: "2026-12-08"."""
    if isinstance(value, dt.datetime):
        return zoned(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""


@register.filter
def zoned_span(start: dt.datetime | None, end: dt.datetime) -> str:
    """A meeting's start and end in the reader's zone, named: "2026-12-08 10:00–11:00
    (Asia/Shanghai)"."""
    return zoned(start, until=end) if start else ""


@register.filter
def short_hash(value: str) -> str:
    return (value or "")[:12]


@register.filter
def role_label(value: str) -> str:
    """A role code as its translated name; a seat without a role (a guest) stays as it is."""
    return str(Role(value).label) if value in Role.values else value


@register.filter
def get(mapping: Mapping[Any, Any] | None, key: Any) -> Any:
    """mapping[key] in a template, for lookups by a variable key."""
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def act(context: Context, name: str, ref: str = "") -> str:
    """The URL an action form posts to: from a meeting's page, in that meeting's name.

    The requirement's (or meeting's) part is resolved once per template: a large plan asks
    for one URL per item."""
    key = context["requirement"].key
    meeting = context.get("meeting")
    # The render context takes text keys: requirement and meeting keys have no spaces.
    cached = f"act {key} {meeting.key if meeting is not None else ''}"
    base: str | None = context.render_context.get(cached)
    if base is None:
        if meeting is not None:
            base = reverse("web:meeting_do", args=[key, meeting.key, "-"])
        else:
            base = reverse("web:do", args=[key, "-"])
        base = context.render_context[cached] = base.removesuffix("-/")
    tail = f"{quote(name)}/"
    return base + (tail + f"{quote(str(ref), safe='')}/" if ref else tail)


@register.filter
def choice_label(value: str, choices: type[Choices]) -> str:
    """A stored choice as its translated label, e.g. `item.kind|choice_label:kinds`; cheaper than
    `get_FOO_display`, which rebuilds the choices for every row."""
    return str(choices(value).label) if value in choices.values else value


_HIT = '<td class="cell hit">●</td>'
_MISS = '<td class="cell"></td>'
# A covering item whose scenario changed since it was written (the cell's value is "suspect").
_SUSPECT = '<td class="cell hit suspect" title="{title}">●<span class="badge warn">?</span></td>'


@register.simple_tag
def matrix_cells(cells: list[bool | str]) -> str:
    """One coverage-matrix row's cells: a template loop over 50 x 100 of them took most of the
    plan page's time."""
    suspect = _SUSPECT.format(title=escape(gettext("Suspect: the scenario changed")))
    return mark_safe(
        "".join(suspect if hit == "suspect" else _HIT if hit else _MISS for hit in cells)
    )
