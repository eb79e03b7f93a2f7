"""Findings as text (one line each, for people), JSON (for scripts) and SARIF 2.1.0 (for code
scanning dashboards in CI)."""

from __future__ import annotations

import json
from typing import Any

from techalign.health.base import Finding, Severity
from techalign.health.rules import RULES
from techalign.health.selectors import summary

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def as_text(findings: list[Finding], *, checked: int) -> str:
    lines = [f"{f.location}: {f.severity} {f.code} [{f.rule.slug}] {f.message}" for f in findings]
    counts = summary(findings)
    lines.append(
        f"{counts['error']} error(s), {counts['warning']} warning(s) in {checked} requirement(s)"
    )
    return "\n".join(lines) + "\n"


def as_json(findings: list[Finding], *, checked: int, scope: str) -> str:
    body = {
        "scope": scope,
        "requirements_checked": checked,
        "summary": summary(findings),
        "findings": [f.as_dict() for f in findings],
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def rule_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/health/rules/{code}/"


def as_sarif(findings: list[Finding], *, base_url: str) -> str:
    """One SARIF run; requirements are logical locations, since plans are not source files."""
    codes = list(RULES)
    rules: list[dict[str, Any]] = [
        {
            "id": rule.code,
            "name": rule.slug,
            "shortDescription": {"text": str(rule.title)},
            "fullDescription": {"text": str(rule.prevents)},
            "help": {"text": str(rule.fix)},
            "helpUri": rule_url(base_url, rule.code),
            "defaultConfiguration": {"level": str(rule.severity)},
        }
        for rule in RULES.values()
    ]
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": "error" if f.severity == Severity.ERROR else "warning",
            "message": {"text": f.message},
            "locations": [
                {"logicalLocations": [{"fullyQualifiedName": f.location, "kind": "object"}]}
            ],
            "partialFingerprints": {"techalign/v1": f"{f.code}:{f.location}:{f.variant}"},
        }
        for f in findings
    ]
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "techalign", "informationUri": base_url, "rules": rules}
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"
