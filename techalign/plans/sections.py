"""A party's section of a revision and the hashes sign-offs are pinned to.

Pure functions over a revision's canonical `content` (see `selectors.canonical_content`), with
no model imports, so that a data migration can compute the same hashes as the services do.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_hash(content: Any) -> str:
    """SHA-256 of the canonical JSON form (sorted keys, no spaces, UTF-8)."""
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def section_of(content: dict[str, Any], team_code: str) -> dict[str, list[dict[str, Any]]]:
    """What a related party agrees to: the items on its components and the scenarios (text and
    acceptance criteria) those items cover, both in key order."""
    items = sorted(
        (item for item in content.get("items", []) if item["owner_team"] == team_code),
        key=lambda item: item["key"],
    )
    covered = {key for item in items for key in item.get("scenarios", [])}
    scenarios = sorted(
        (s for s in content.get("scenarios", []) if s["key"] in covered),
        key=lambda s: s["key"],
    )
    return {"items": items, "scenarios": scenarios}


def section_hash(content: dict[str, Any], team_code: str, *, is_lead: bool) -> str:
    """The hash a sign-off is pinned to: the whole plan for the lead team, else the party's
    section."""
    if is_lead:
        return content_hash(content)
    return content_hash(section_of(content, team_code))
