"""`{% health_panel requirement %}`: the requirement's health findings, for its page."""

from __future__ import annotations

from typing import Any

from django import template

from techalign.health.selectors import requirement_findings, summary
from techalign.requirements.models import Requirement

register = template.Library()


@register.inclusion_tag("health/_panel.html")
def health_panel(requirement: Requirement) -> dict[str, Any]:
    findings = requirement_findings(requirement)
    return {"requirement": requirement, "findings": findings, "summary": summary(findings)}
