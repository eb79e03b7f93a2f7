"""A readable difference between two revisions' canonical content (`Revision.content`).

Revisions and baselines store what was agreed as canonical JSON; comparing two of them field by
field tells a reviewer or a party exactly what changed: which scenarios and items were added,
removed, or changed, and how each changed text reads before and after.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

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


def _fields(before: dict[str, Any], after: dict[str, Any], skip: set[str]) -> list[FieldChange]:
    names = [k for k in dict.fromkeys([*before, *after]) if k not in skip]
    return [
        FieldChange(n, _text(before.get(n)), _text(after.get(n)))
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
