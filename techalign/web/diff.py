"""A readable difference between two revisions' canonical content (`Revision.content`).

Revisions and baselines store what was agreed as canonical JSON; comparing two of them field by
field tells a reviewer or a party exactly what changed: which scenarios and items were added,
removed, or changed, and how each changed text reads before and after.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

FIELD_LABELS = {
    "title": _("Title"),
    "user_stories": _("User stories"),
    "business_process": _("Business process"),
    "description": _("Description"),
    "priority": _("Priority"),
    "acceptance_criteria": _("Acceptance criteria"),
    "out_of_scope_reason": _("Out-of-scope reason"),
    "component": _("Component"),
    "owner_team": _("Owning team"),
    "kind": _("Kind"),
    "ask": _("The ask"),
    "due_on": _("Due"),
    "scenarios": _("Covers"),
}


@dataclass
class FieldChange:
    field: str
    before: str
    after: str

    @property
    def label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))

    @property
    def lines(self) -> list[tuple[str, str]]:
        """Line by line for long text: ("-", old line), ("+", new line), (" ", unchanged)."""
        out = []
        for line in difflib.ndiff(self.before.splitlines(), self.after.splitlines()):
            if line[:1] in {"-", "+", " "}:
                out.append((line[:1], line[2:]))
        return out

    @property
    def is_multiline(self) -> bool:
        return "\n" in self.before or "\n" in self.after


@dataclass
class EntryChange:
    key: str
    title: str
    status: str  # "added", "removed" or "changed"
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class ContentDiff:
    requirement: list[FieldChange]
    scenarios: list[EntryChange]
    items: list[EntryChange]

    @property
    def is_empty(self) -> bool:
        return not (self.requirement or self.scenarios or self.items)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _shown(name: str, value: Any) -> str:
    """A stored value as a reader knows it: the kind's label and the team's name, not codes."""
    from techalign.org.models import Team
    from techalign.plans.models import ItemKind

    if name == "kind" and value in ItemKind.values:
        return str(ItemKind(value).label)
    if name == "owner_team" and value:
        team = Team.objects.filter(code=value).only("name").first()
        return team.name if team is not None else _text(value)
    return _text(value)


def _fields(before: dict[str, Any], after: dict[str, Any], skip: set[str]) -> list[FieldChange]:
    names = [k for k in dict.fromkeys([*before, *after]) if k not in skip]
    return [
        FieldChange(n, _shown(n, before.get(n)), _shown(n, after.get(n)))
        for n in names
        if before.get(n) != after.get(n)
    ]


def _entries(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[EntryChange]:
    old = {e["key"]: e for e in before}
    new = {e["key"]: e for e in after}
    changes = []
    for key in dict.fromkeys([*old, *new]):
        if key not in old:
            entry = new[key]
            changes.append(
                EntryChange(key, entry.get("title", ""), "added", _fields({}, entry, {"key"}))
            )
        elif key not in new:
            changes.append(EntryChange(key, old[key].get("title", ""), "removed"))
        elif old[key] != new[key]:
            changes.append(
                EntryChange(
                    key, new[key].get("title", ""), "changed", _fields(old[key], new[key], {"key"})
                )
            )
    return changes


def diff_content(before: dict[str, Any], after: dict[str, Any]) -> ContentDiff:
    return ContentDiff(
        requirement=_fields(before.get("requirement", {}), after.get("requirement", {}), {"key"}),
        scenarios=_entries(before.get("scenarios", []), after.get("scenarios", [])),
        items=_entries(before.get("items", []), after.get("items", [])),
    )


# Revisions record what changed as short English notes ("I-2 added; S-3 changed"), written by
# the services; these are the words a reader sees for them.
_CHANGE_NOTES = {
    "added": _("{key} added"),
    "changed": _("{key} changed"),
    "removed": _("{key} removed"),
    "out of scope": _("{key} out of scope"),
    "back in scope": _("{key} back in scope"),
}
_CHANGE_NOTE = re.compile(
    r"^(?P<key>[A-Z]+-\d+) (?P<what>added|changed|removed|out of scope|back in scope)$"
)


def revision_note(summary: str) -> str:
    """A revision's change note in the active language; parts it does not know stay as they
    are."""
    parts = []
    for part in (summary or "").split("; "):
        match = _CHANGE_NOTE.match(part.strip())
        if match:
            parts.append(str(_CHANGE_NOTES[match["what"]]).format(key=match["key"]))
        elif part.strip() == "requirement text changed":
            parts.append(str(_("requirement text changed")))
        else:
            parts.append(part)
    return gettext("; ").join(parts)
