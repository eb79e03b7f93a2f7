"""Plans as Markdown (docs-as-code): export a plan, edit it in git, import it back.

The format is documented in docs/plan-markdown.md. `render` and `parse` are pure and exact
inverses (`parse(render(doc)) == doc` for any texts); `export_plan` and `import_plan` connect
them to the database, and an import is one `replace_items` transition: role, step and
revision gates included.

A file is held to the limits of docs/limits.md before the transition opens, so a refused file
holds no lock: its size and encoding (`read_plan_file`, `import_plan`), its front matter (bounded
YAML), the number of items (counted before any is read) and each item's texts and links.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.utils.translation import gettext as _

from techalign.core import limits, safe_yaml
from techalign.core.errors import Refused
from techalign.org.models import Component, User
from techalign.plans import selectors, services
from techalign.plans.models import ItemKind, Revision
from techalign.plans.permissions import can_edit_item
from techalign.requirements.models import Requirement
from techalign.requirements.selectors import get_requirement

FORMAT = "techalign-plan/1"
FRONT_MATTER = (
    "format",
    "requirement",
    "title",
    "lead_team",
    "revision",
    "content_hash",
    "scenarios",
)
ITEM_FIELDS = ("component", "owner", "kind", "scenarios", "due")
SECTIONS = {"Description": "description", "Ask": "ask"}

KEYED_HEADING = re.compile(r"I-(\d+): (.*)")
STRUCTURAL = re.compile(r"(##|###)(?: (.*))?")
FIELD_LINE = re.compile(r"- ([a-z_]+):(?: (.*))?")
SCENARIO_KEY = re.compile(r"S-\d+")
REQUIREMENT_KEY = re.compile(r"REQ-\d+")


@dataclass
class ItemEntry:
    """One item section. `key` is None for an item written in the file, not yet in techalign."""

    key: str | None
    title: str
    component: str
    kind: str
    scenarios: list[str] = field(default_factory=list)
    due_on: dt.date | None = None
    description: str = ""
    ask: str = ""
    # As exported, for the reader; on import the owner is read from the service catalog.
    owner: str = ""
    line: int = field(default=0, compare=False)


@dataclass
class PlanDocument:
    requirement: str
    revision: int
    title: str = ""
    lead_team: str = ""
    content_hash: str = ""
    # Scenario key -> title, for the reader; scenarios belong to the PM and are not imported.
    scenarios: dict[str, str] = field(default_factory=dict)
    items: list[ItemEntry] = field(default_factory=list)


def _invalid(line: int, problem: str) -> Refused:
    return Refused("plan.markdown_invalid", line=line, problem=problem)


# --- rendering -------------------------------------------------------------------------------


def _one_line(title: str, *, keyed: bool) -> str:
    """A title as it appears in a heading: as is when that reads back unchanged, else as a JSON
    string (line breaks, surrounding spaces, a leading quote, or a key-like prefix)."""
    unsafe = (
        not title
        or "\n" in title
        or "\r" in title
        or title != title.strip()
        or title.startswith('"')
        or (not keyed and KEYED_HEADING.match(title) is not None)
    )
    return json.dumps(title, ensure_ascii=False) if unsafe else title


def _escape(text: str) -> list[str]:
    """Text lines that cannot be mistaken for headings: a line starting with `#` or `\\` gets a
    backslash, which Markdown renders away too."""
    return ["\\" + line if line.startswith(("#", "\\")) else line for line in text.split("\n")]


# What YAML reads as-is inside double quotes; anything else is written as an escape, so no
# character (a NEL, a line separator, a control code) changes on the way back.
_YAML_PRINTABLE = re.compile(
    r"[\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _quoted(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif _YAML_PRINTABLE.fullmatch(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _scalar(value: str | int) -> str:
    """A front-matter value: plain when YAML reads it back unchanged, else double-quoted."""
    if isinstance(value, int):
        return str(value)
    plain = value and all(_YAML_PRINTABLE.fullmatch(c) for c in value)
    if plain:
        try:
            plain = yaml.safe_load(f"k: {value}") == {"k": value}
        except yaml.YAMLError:
            plain = False
    return value if plain else _quoted(value)


def render(doc: PlanDocument) -> str:
    front: dict[str, str | int | dict[str, str]] = {
        "format": FORMAT,
        "requirement": doc.requirement,
        "title": doc.title,
        "lead_team": doc.lead_team,
        "revision": doc.revision,
        "content_hash": doc.content_hash,
        "scenarios": doc.scenarios,
    }
    lines = ["---"]
    for name, value in front.items():
        if isinstance(value, dict):
            lines.append(f"{name}:" if value else f"{name}: {{}}")
            lines += [f"  {_scalar(k)}: {_scalar(v)}" for k, v in value.items()]
        else:
            lines.append(f"{name}: {_scalar(value)}")
    lines += ["---", "", f"# {doc.requirement} {_one_line(doc.title, keyed=True)}"]
    for item in doc.items:
        title = _one_line(item.title, keyed=item.key is not None)
        lines += ["", f"## {item.key}: {title}" if item.key else f"## {title}", ""]
        lines.append(f"- component: {item.component}")
        if item.owner:
            lines.append(f"- owner: {item.owner}")
        lines.append(f"- kind: {item.kind}")
        if item.scenarios:
            lines.append(f"- scenarios: {', '.join(item.scenarios)}")
        if item.due_on:
            lines.append(f"- due: {item.due_on.isoformat()}")
        for heading, attr in SECTIONS.items():
            text = getattr(item, attr)
            if text:
                lines += ["", f"### {heading}", "", *_escape(text)]
    return "\n".join(lines) + "\n"


# --- parsing ---------------------------------------------------------------------------------


def _front_matter(lines: list[str]) -> tuple[PlanDocument, int]:
    """The document fields from the YAML between the two `---` lines; returns the index of
    the first body line."""
    if not lines or lines[0] != "---":
        raise _invalid(1, _("the file must start with a --- line (YAML front matter)"))
    try:
        end = lines.index("---", 1)
    except ValueError:
        raise _invalid(1, _("the front matter has no closing --- line")) from None
    try:
        data = safe_yaml.load("\n".join(lines[1:end]), file=_("the front matter")) or {}
    except safe_yaml.INVALID as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        raise _invalid(line, _("front matter is not valid YAML")) from None
    if not isinstance(data, dict):
        raise _invalid(2, _("front matter must be a mapping of fields"))
    unknown = sorted(str(k) for k in data if k not in FRONT_MATTER)
    if unknown:
        raise _invalid(
            2, _("unknown front matter field(s): %(fields)s") % {"fields": ", ".join(unknown)}
        )
    if data.get("format") != FORMAT:
        raise _invalid(2, _("format must be %(format)s") % {"format": FORMAT})
    requirement = data.get("requirement")
    if not isinstance(requirement, str) or not REQUIREMENT_KEY.fullmatch(requirement):
        raise _invalid(2, _("requirement must be a key like REQ-12"))
    revision = data.get("revision")
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise _invalid(2, _("revision must be the plan revision the file was exported from"))
    scenarios = data.get("scenarios") or {}
    texts = [data.get(k, "") for k in ("title", "lead_team", "content_hash")]
    if not isinstance(scenarios, dict) or not all(
        isinstance(v, str) for v in [*scenarios, *scenarios.values(), *texts]
    ):
        raise _invalid(2, _("title, lead_team, content_hash and scenarios must be text"))
    doc = PlanDocument(
        requirement=requirement,
        revision=revision,
        title=texts[0],
        lead_team=texts[1],
        content_hash=texts[2],
        scenarios=scenarios,
    )
    return doc, end + 1


def _heading_title(text: str, line: int) -> str:
    if text.startswith('"'):
        try:
            title = json.loads(text)
        except ValueError:
            raise _invalid(line, _("a quoted title must be a valid JSON string")) from None
        if not isinstance(title, str):
            raise _invalid(line, _("a quoted title must be a valid JSON string"))
        return title
    if not text.strip():
        raise _invalid(line, _("an item needs a title"))
    return text


def _set_field(item: ItemEntry, name: str, value: str, line: int) -> None:
    if name == "component":
        item.component = value
    elif name == "owner":
        item.owner = value
    elif name == "kind":
        if value not in ItemKind.values:
            raise _invalid(
                line, _("kind must be one of %(kinds)s") % {"kinds": ", ".join(ItemKind.values)}
            )
        item.kind = value
    elif name == "scenarios":
        keys = [k.strip() for k in value.split(",") if k.strip()]
        bad = [k for k in keys if not SCENARIO_KEY.fullmatch(k)]
        if bad:
            raise _invalid(line, _("not a scenario key: %(keys)s") % {"keys": ", ".join(bad)})
        item.scenarios = keys
    elif name == "due":
        try:
            item.due_on = dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise _invalid(line, _("due must be a date like 2025-03-31")) from None


def _section_text(body: list[str], closed: bool) -> str:
    """Undo the layout: one blank line after the heading, one before the next heading."""
    if body and body[0] == "":
        body = body[1:]
    if closed and body and body[-1] == "":
        body = body[:-1]
    return "\n".join(line[1:] if line.startswith("\\") else line for line in body)


def parse(text: str) -> PlanDocument:
    """The document in `text`, or a `plan.markdown_invalid` refusal naming the line."""
    text = text.removeprefix("\ufeff")
    if text.startswith("---\r\n"):
        # A checkout that turned every line ending into CRLF; the format's own are LF.
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    doc, start = _front_matter(lines)
    # Counted before any item is read: a file of 20,000 items is refused at once.
    limits.check_count(
        "items_per_plan",
        sum(1 for line in lines[start:] if line == "##" or line.startswith("## ")),
    )
    item: ItemEntry | None = None
    section: str | None = None
    body: list[str] = []
    seen_fields: set[str] = set()
    seen_keys: set[str] = set()
    seen_title = False

    def close(closed: bool) -> None:
        nonlocal section, body
        if item is not None and section is not None:
            setattr(item, section, _section_text(body, closed))
        section, body = None, []

    for index in range(start, len(lines)):
        line, number = lines[index], index + 1
        heading = STRUCTURAL.fullmatch(line)
        if heading is not None:
            close(closed=True)
            level, rest = heading.group(1), heading.group(2) or ""
            if level == "##":
                if item is not None:
                    _finish(item)
                item = _start_item(rest, number, seen_keys)
                doc.items.append(item)
                seen_fields = set()
                continue
            if item is None or rest not in SECTIONS:
                raise _invalid(number, _("expected ### Description or ### Ask inside an item"))
            section = SECTIONS[rest]
            continue
        if section is not None:
            body.append(line)
        elif item is not None:
            _item_field(item, line, number, seen_fields)
        elif line.startswith("# ") and not seen_title:
            seen_title = True
        elif line.strip():
            raise _invalid(
                number, _("text outside an item is not kept; put it in an item's Description")
            )
    close(closed=False)
    if item is not None:
        _finish(item)
    return doc


def _start_item(rest: str, line: int, seen_keys: set[str]) -> ItemEntry:
    keyed = KEYED_HEADING.fullmatch(rest)
    key = f"I-{keyed.group(1)}" if keyed else None
    if key is not None:
        if key in seen_keys:
            raise _invalid(line, _("item %(key)s appears twice") % {"key": key})
        seen_keys.add(key)
    title = _heading_title(keyed.group(2) if keyed else rest, line)
    return ItemEntry(key=key, title=title, component="", kind="", line=line)


def _item_field(item: ItemEntry, line: str, number: int, seen: set[str]) -> None:
    if not line.strip():
        return
    match = FIELD_LINE.fullmatch(line.rstrip())
    if match is None:
        raise _invalid(number, _('expected a field line like "- component: order-service"'))
    name, value = match.group(1), (match.group(2) or "").strip()
    if name not in ITEM_FIELDS:
        raise _invalid(
            number,
            _("unknown item field %(field)s; known: %(fields)s")
            % {"field": name, "fields": ", ".join(ITEM_FIELDS)},
        )
    if name in seen:
        raise _invalid(number, _("field %(field)s appears twice") % {"field": name})
    seen.add(name)
    _set_field(item, name, value, number)


def _finish(item: ItemEntry) -> None:
    for name in ("component", "kind"):
        if not getattr(item, name):
            raise _invalid(item.line, _('item needs a "- %(field)s:" line') % {"field": name})
    limits.check_item(
        {
            "title": item.title,
            "description": item.description,
            "ask": item.ask,
            "scenario_keys": item.scenarios,
        },
        where=_("line %(line)d: ") % {"line": item.line},
    )


# --- the database side -----------------------------------------------------------------------


def document_of(requirement: Requirement) -> PlanDocument:
    """The plan's current revision as a document."""
    revision = selectors.current_revision(requirement)
    items = selectors.items_of(revision)
    return PlanDocument(
        requirement=requirement.key,
        revision=revision.number if revision else 0,
        title=requirement.title,
        lead_team=requirement.lead_team.code,
        content_hash=revision.content_hash if revision else "",
        scenarios={s.key: s.title for s in selectors.live_scenarios(requirement)},
        items=[
            ItemEntry(
                key=item.key,
                title=item.title,
                component=item.component.key,
                kind=item.kind,
                scenarios=sorted(
                    (f"S-{s.number}" for s in item.scenarios.all()), key=lambda k: int(k[2:])
                ),
                due_on=item.due_on,
                description=item.description,
                ask=item.ask,
                owner=item.owner_team.code,
            )
            for item in items
        ],
    )


def export_plan(requirement: Requirement) -> str:
    return render(document_of(requirement))


@dataclass
class ImportResult:
    requirement: Requirement
    based_on: int
    # The new revision; None when the file matched the plan and nothing was written.
    revision: Revision | None

    @property
    def summary(self) -> str:
        if self.revision is None:
            return _("%(requirement)s: no change; the plan stays at revision %(revision)d.") % {
                "requirement": self.requirement.key,
                "revision": self.based_on,
            }
        return _("%(requirement)s: revision %(revision)d (%(changes)s).") % {
            "requirement": self.requirement.key,
            "revision": self.revision.number,
            "changes": self.revision.summary,
        }


def _check_references(doc: PlanDocument, requirement: Requirement) -> dict[str, Component]:
    """Components and scenarios each item names, with the line of the item that names them."""
    keys = {item.component for item in doc.items}
    components = {c.key: c for c in Component.objects.filter(key__in=keys)}
    live = {s.key for s in selectors.live_scenarios(requirement)}
    for item in doc.items:
        if item.component not in components:
            raise _invalid(item.line, _("unknown component %(key)s") % {"key": item.component})
        unknown = [k for k in item.scenarios if k not in live]
        if unknown:
            raise _invalid(
                item.line,
                _("scenario(s) %(keys)s do not exist in %(requirement)s")
                % {"keys": ", ".join(unknown), "requirement": requirement.key},
            )
    return components


def refuse_unless_editable(actor: User, requirement: Requirement) -> None:
    """Someone who may not edit the plan hears the plan edit's own refusal (its role or step)
    rather than a complaint about a file: the service refuses before it looks at any item."""
    if not can_edit_item(actor, requirement):
        services.replace_items(requirement=requirement, actor=actor, based_on=0, items=[])


def read_plan_file(data: bytes, *, file: str) -> str:
    """A plan file's text from its bytes: within the size limit, UTF-8, not binary."""
    return limits.text_of(data, name="plan_file_bytes", file=file)


def import_plan(
    *,
    actor: User,
    text: str,
    requirement: Requirement | None = None,
    file: str = "plan.md",
    confirm: bool = False,
) -> ImportResult:
    """Replace the plan's items with the file's, as one new revision by `actor`.

    The file names the requirement and the revision it was exported from; the import is
    refused when the plan has moved on since, and like any plan edit when `actor` may not
    edit the plan, or when it would withdraw a review, an approval or sign-offs without
    `confirm`. With `requirement`, the file must be about that requirement.
    """
    if requirement is not None:
        refuse_unless_editable(actor, requirement)
    limits.check_file_size("plan_file_bytes", len(text.encode("utf-8", "replace")), file=file)
    if "\x00" in text:
        read_plan_file(text.encode("utf-8", "replace"), file=file)  # names the NUL's offset
    doc = parse(text)
    if requirement is not None and requirement.key != doc.requirement:
        raise Refused(
            "plan.markdown_other_requirement", document=doc.requirement, requirement=requirement.key
        )
    requirement = requirement or get_requirement(actor, doc.requirement)
    plan = selectors.plan_of(requirement)
    components: dict[str, Component] = {}
    # Line-numbered reference errors only when the edit can go ahead at all, so a PM or a
    # stale file hears the service's refusal rather than a detail of the file.
    if can_edit_item(actor, requirement) and (plan.current_number if plan else 0) == doc.revision:
        components = _check_references(doc, requirement)
    entries: list[dict[str, Any]] = [
        {
            "key": item.key,
            "component": components.get(item.component),
            "kind": item.kind,
            "title": item.title,
            "description": item.description,
            "ask": item.ask,
            "due_on": item.due_on,
            "scenario_keys": item.scenarios,
        }
        for item in doc.items
    ]
    revision = services.replace_items(
        requirement=requirement, actor=actor, based_on=doc.revision, items=entries, confirm=confirm
    )
    return ImportResult(requirement=requirement, based_on=doc.revision, revision=revision)
