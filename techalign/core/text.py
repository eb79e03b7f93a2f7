"""The one check of user-given text, used by the services, the API's request bodies and imports.

- No text may hold NUL or another control character: PostgreSQL refuses NUL in text (a 500
  there, stored silently on SQLite), and the others are invisible and break mail headers,
  CSV and terminals. Multi-line text keeps tab and line breaks (LF, CR LF).
- A single line (every title, name, key, subject) holds no line break at all: a CR/LF in a
  title becomes a header injection in the invitation mails it names.
- A title must show something: only spaces or invisible marks (RTL/LTR marks, zero-width
  spaces, BOM) read as an empty title.

Each refusal names the field and the character, so the sender can find it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel

from techalign.core.errors import Refused

# Fields, by name, that hold one line of text (names, keys, references) in request bodies,
# forms and services alike; any other text field may span lines. A title is one line too.
SINGLE_LINE_FIELDS = frozenset(
    {
        "code",
        "component",
        "department",
        "display_name",
        "email",
        "event",
        "key",
        "kind",
        "lead_dev",
        "lead_team",
        "location",
        "name",
        "owner",
        "owner_team",
        "presenter",
        "role",
        "subject",
        "team",
        "time_zone",
        "url",
        "username",
    }
)
TITLE_FIELDS = frozenset({"title"})

LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
ALLOWED_IN_TEXT = frozenset("\t\n\r")


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _is_control(char: str) -> bool:
    """C0 and C1 controls and DEL; format characters (Cf) such as RTL marks are not here."""
    return unicodedata.category(char) == "Cc"


def _is_invisible(char: str) -> bool:
    """Shows nothing on its own: white space, format marks (Cf: RTL/LTR marks, zero-width
    space and joiners, BOM) and the like."""
    return char.isspace() or unicodedata.category(char) in {"Cf", "Zs", "Zl", "Zp", "Cc", "Mn"}


def check_text(value: str, *, field: str) -> str:
    """Multi-line text (descriptions, answers, minutes): refused with a control character
    other than tab and line breaks. Returns the value unchanged."""
    for char in value:
        if _is_control(char) and char not in ALLOWED_IN_TEXT:
            raise Refused("text.control_character", field=field, char=_codepoint(char))
    return value


def check_line(value: str, *, field: str) -> str:
    """A single line (names, keys, locations, subjects): no line break, no control
    character. Returns the value unchanged."""
    for char in value:
        if char in LINE_BREAKS:
            raise Refused("text.line_break", field=field, char=_codepoint(char))
        if _is_control(char):
            raise Refused("text.control_character", field=field, char=_codepoint(char))
    return value


def check_title(value: str, *, field: str = "title") -> str:
    """A title: a single line that shows at least one visible character. Returns the value
    without surrounding white space."""
    check_line(value, field=field)
    if all(_is_invisible(char) for char in value):
        raise Refused("text.blank", field=field)
    return value.strip()


def check_named(
    name: str, value: str, *, field: str | None = None, allow_empty: bool = False
) -> str:
    """Check one field by its name: a title, a single line, or else multi-line text."""
    field = field or name
    if name in TITLE_FIELDS and (value or not allow_empty):
        return check_title(value, field=field)
    if name in SINGLE_LINE_FIELDS or name in TITLE_FIELDS:
        return check_line(value, field=field)
    return check_text(value, field=field)


def check_fields(**fields: object) -> None:
    """Check the text fields a service is given, each by its name (see `check_named`);
    values other than strings are left alone."""
    for name, value in fields.items():
        if isinstance(value, str):
            check_named(name, value)


def check_tree(value: Any, *, field: str, name: str = "", allow_empty: bool = False) -> None:
    """Check every string in a parsed document (a request body, a YAML entity), by the name
    of the key it sits under, naming where it sits ("items[2].title"). Keys are one line."""
    name = name or field.rsplit(".", 1)[-1]
    if isinstance(value, str):
        check_named(name, value, field=field, allow_empty=allow_empty)
    elif isinstance(value, BaseModel):
        for child, item in value:
            check_tree(item, field=f"{field}.{child}", name=child, allow_empty=allow_empty)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_line(str(key), field=field)
            check_tree(item, field=f"{field}.{key}", name=str(key), allow_empty=allow_empty)
    elif isinstance(value, list | tuple | set):
        for index, item in enumerate(value):
            check_tree(item, field=f"{field}[{index}]", name=name, allow_empty=allow_empty)


def one_line(value: str) -> str:
    """Text kept from before these checks, made safe for a mail subject or a header: line
    breaks and other control characters become spaces."""
    return "".join(" " if char in LINE_BREAKS or _is_control(char) else char for char in value)
