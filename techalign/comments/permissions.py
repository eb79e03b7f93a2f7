"""Who may comment: anyone active who can see the requirement."""

from __future__ import annotations

from typing import Any

from techalign.requirements.models import Requirement
from techalign.requirements.selectors import visible_requirements


def can_see(user: Any, requirement: Requirement) -> bool:
    if not getattr(user, "is_active", False):
        return False
    return visible_requirements(user).filter(pk=requirement.pk).exists()


def can_comment(user: Any, requirement: Requirement) -> bool:
    return can_see(user, requirement)
