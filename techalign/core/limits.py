"""Every size limit techalign enforces, in one place: docs/limits.md explains each.

The services read these numbers, so every door (API, pages, Markdown import, CLI) gets the
same answer: `limit.too_many` (422) for too many things, `input.too_long` (422) for a text
over its length, `import.too_large` / `limit.body_too_large` (413) for a file or a request
body over its size. Checks here only count and measure: they run before any write, so a
refused input holds no database lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from techalign.core.errors import Refused
from techalign.core.text import check_named

# Texts, in characters.
TITLE_LIMIT = 200
TEXT_LIMIT = 20_000

# Counts.
ITEMS_PER_PLAN = 300
SCENARIOS_PER_REQUIREMENT = 200
SCENARIOS_PER_ITEM = 100  # covered-scenario links of one item
QUESTIONS_PER_REQUIREMENT = 500
REPLIES_PER_QUESTION = 200
MEETINGS_PER_REQUIREMENT = 200
INVITEES_PER_MEETING = 200
DECISIONS_PER_MEETING = 500
ACTION_ITEMS_PER_MEETING = 500
WAIVERS_PER_REQUIREMENT = 200
COMMENTS_PER_REQUIREMENT = 5000

# Files and bodies, in bytes.
PLAN_FILE_BYTES = 1024 * 1024
CATALOG_FILE_BYTES = 1024 * 1024
CATALOG_FILES = 1000
ORG_CSV_BYTES = 2 * 1024 * 1024
ORG_CSV_ROWS = 10_000
REQUEST_BODY_BYTES = 2 * 1024 * 1024

# YAML (catalog files and a plan file's front matter).
YAML_DOCUMENTS = 1000  # documents in one file
YAML_DEPTH = 32  # nesting of mappings and sequences
YAML_VALUES = 100_000  # values in one file, counting each use of an alias as a full copy

# What each counted limit is called in a message; the key is the stable name in details.
COUNTS: dict[str, tuple[int, Any]] = {
    "items_per_plan": (ITEMS_PER_PLAN, _("items in a plan")),
    "scenarios_per_requirement": (SCENARIOS_PER_REQUIREMENT, _("scenarios in a requirement")),
    "scenarios_per_item": (SCENARIOS_PER_ITEM, _("scenarios covered by one item")),
    "questions_per_requirement": (QUESTIONS_PER_REQUIREMENT, _("questions on a requirement")),
    "replies_per_question": (REPLIES_PER_QUESTION, _("replies to one question")),
    "meetings_per_requirement": (MEETINGS_PER_REQUIREMENT, _("meetings of a requirement")),
    "invitees_per_meeting": (INVITEES_PER_MEETING, _("invitees of one meeting")),
    "decisions_per_meeting": (DECISIONS_PER_MEETING, _("decisions of one meeting")),
    "action_items_per_meeting": (ACTION_ITEMS_PER_MEETING, _("action items of one meeting")),
    "waivers_per_requirement": (WAIVERS_PER_REQUIREMENT, _("attendance waivers of a requirement")),
    "comments_per_requirement": (COMMENTS_PER_REQUIREMENT, _("comments on a requirement")),
    "catalog_files": (CATALOG_FILES, _("catalog files in one import")),
    "org_csv_rows": (ORG_CSV_ROWS, _("rows in an organisation CSV file")),
}
FILES: dict[str, tuple[int, Any]] = {
    "plan_file_bytes": (PLAN_FILE_BYTES, _("a plan file")),
    "catalog_file_bytes": (CATALOG_FILE_BYTES, _("a catalog file")),
    "org_csv_bytes": (ORG_CSV_BYTES, _("an organisation CSV file")),
}
_NOT_SURROGATE = re.compile("[\ud800-\udfff]")
# Fields held to the title length; every other text is held to TEXT_LIMIT.
TITLE_FIELDS = {"title"}


def check_count(name: str, value: int) -> None:
    """Refuse `value` things where the limit `name` allows fewer."""
    limit, what = COUNTS[name]
    if value > limit:
        raise Refused("limit.too_many", name=name, what=what, limit=limit, value=value)


def check_room(name: str, existing: int) -> None:
    """Refuse adding one more thing to `existing` ones when that would pass the limit."""
    check_count(name, existing + 1)


def check_file_size(name: str, size: int, *, file: str) -> None:
    """Refuse a file of `size` bytes over the limit `name` (413)."""
    limit, what = FILES[name]
    if size > limit:
        raise Refused("import.too_large", name=name, file=file, what=what, limit=limit, value=size)


def check_texts(*, where: str = "", **fields: Any) -> None:
    """Refuse the first text longer than its limit: titles TITLE_LIMIT, others TEXT_LIMIT;
    values that are not text are left to their own checks. `where` ("I-3 ", "line 12: ")
    prefixes the field's name in the message."""
    for field, value in fields.items():
        if not isinstance(value, str):
            continue
        limit = TITLE_LIMIT if field in TITLE_FIELDS else TEXT_LIMIT
        if len(value) > limit:
            raise Refused("input.too_long", field=f"{where}{field}", limit=limit, value=len(value))
        # NUL and other control characters, line breaks in a single line, a blank title.
        check_named(field, value, field=f"{where}{field}")
        if _NOT_SURROGATE.search(value):
            # JSON can carry "\ud800"; no database stores a lone surrogate, so it is refused as
            # input rather than failing in the database.
            problem = gettext("holds a lone surrogate, which is not text")
            raise Refused("input.invalid", field=f"{where}{field}", problem=problem)


def check_item(fields: Mapping[str, Any], *, where: str = "") -> None:
    """One plan item's texts and covered-scenario links."""
    check_texts(where=where, **{k: fields.get(k) for k in ("title", "description", "ask")})
    keys = fields.get("scenario_keys")
    if keys is not None:
        check_count("scenarios_per_item", len(list(keys)))


def check_plan_items(entries: Iterable[Mapping[str, Any]]) -> None:
    """A whole item list (a plan replaced at once): its length first, then each item."""
    entries = list(entries)
    check_count("items_per_plan", len(entries))
    for number, entry in enumerate(entries, start=1):
        check_item(entry, where=f"{entry.get('key') or f'#{number}'} ")


def read_file(path: Path, name: str) -> bytes:
    """A file's bytes, refused by its size before it is read (and never read past the limit,
    should it grow meanwhile)."""
    limit = FILES[name][0]
    check_file_size(name, path.stat().st_size, file=str(path))
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def text_of(data: bytes, *, name: str, file: str, fallback: str | None = None) -> str:
    """The text of an uploaded or imported file: within the size limit `name`, without NUL
    bytes (a binary file), and UTF-8 (a BOM is dropped), else the `fallback` encoding."""
    check_file_size(name, len(data), file=file)
    nul = data.find(b"\x00")
    if nul >= 0:
        problem = gettext("byte %(offset)d is a NUL (a binary file?)") % {"offset": nul}
        raise Refused("import.not_text", file=file, problem=problem, offset=nul)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if fallback is not None:
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                pass
        problem = gettext("byte %(offset)d is not UTF-8") % {"offset": error.start}
        raise Refused("import.not_text", file=file, problem=problem, offset=error.start) from None
