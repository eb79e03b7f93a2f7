"""Optimistic concurrency: the one compare-and-set every versioned row is written through."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Model

from techalign.core.errors import Refused


def compare_and_set(row: Model, seen: int | None, *, kind: Any, ref: str, **changes: Any) -> None:
    """Write `changes` to `row` and bump its `version` in one UPDATE, only if the version is
    still `seen` (None: whatever it is). No row updated means another writer changed it first:
    refused as stale, naming the current version. `row` itself is not refreshed."""
    manager = type(row)._default_manager
    rows = manager.filter(pk=row.pk)
    if seen is not None:
        rows = rows.filter(version=seen)
    if rows.update(version=F("version") + 1, **changes):
        return
    current = manager.filter(pk=row.pk).values_list("version", flat=True).first()
    if current is None:
        raise Refused("access.not_found", kind=kind, ref=ref)
    raise Refused("conflict.stale_version", kind=kind, ref=ref, seen=seen, current=current)
