"""The audit log is append-only on SQLite too: triggers refuse UPDATE and DELETE of its rows.

PostgreSQL's triggers let a superuser's TRUNCATE through (Django's test teardown); SQLite has no
roles, so its triggers ask `techalign_audit_unlocked()`, a function only this application
registers on its connections, and which answers yes only inside `unlocked_audit_log()` (used by
`flush`, which empties the whole database on purpose). Any other program that opens the file,
the sqlite3 shell included, has no such function, so its UPDATE or DELETE fails too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_state = threading.local()

UNLOCKED_FUNCTION = "techalign_audit_unlocked"


def _is_unlocked() -> int:
    return 1 if getattr(_state, "depth", 0) > 0 else 0


@contextmanager
def unlocked_audit_log() -> Iterator[None]:
    """Let this thread's SQLite statements change audit rows: for emptying the whole database."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def register_unlock_function(sender: object, connection: Any, **kwargs: object) -> None:
    """On every new SQLite connection of the application (connection_created)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(UNLOCKED_FUNCTION, 0, _is_unlocked)
