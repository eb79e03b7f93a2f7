"""The one domain error: a refused action, with a stable code and the unmet condition.

The message is looked up from the code and rendered in the active language, so a refusal
reads "scenario S-3 is not covered" in English and "场景 S-3 未被覆盖" in Chinese.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext

from techalign.core.refusals import REFUSALS


class Refused(Exception):
    """A domain rule refused an action. `code` is stable; `details` name the concrete objects."""

    def __init__(self, code: str, **details: Any) -> None:
        if code not in REFUSALS:
            raise KeyError(f"unknown refusal code {code!r}")
        self.code = code
        self.details = details
        super().__init__(code)

    @property
    def status(self) -> int:
        return REFUSALS[self.code].status

    @property
    def message(self) -> str:
        """The message in the active language, with the details filled in."""
        template = gettext(REFUSALS[self.code].message)
        return template.format(**{k: _display(v) for k, v in self.details.items()})

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class AnyOf(tuple[str | Promise, ...]):
    """Alternatives in a refusal's details ("PM or DEV"), joined in the language of display."""


def _display(value: Any) -> str:
    if isinstance(value, AnyOf):
        return gettext(" or ").join(str(v) for v in value)
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return str(value)
