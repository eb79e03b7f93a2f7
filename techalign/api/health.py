"""Process health over the API: the rules, findings per team, department or requirement, the
reports, the thresholds; and plans as Markdown (export and import)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from techalign.api.common import (
    ERRORS,
    PRECONDITION_ERRORS,
    Body,
    ErrorOut,
    actor,
    etag,
    if_match,
    listed,
    listing,
    not_modified,
    set_etag,
)
from techalign.api.plans import CONFIRM_WITHDRAWAL
from techalign.core.errors import Refused
from techalign.health.base import Finding, Severity
from techalign.health.models import HealthSettings
from techalign.health.reports import REPORTS, Period, build_report
from techalign.health.rules import RULES
from techalign.health.selectors import evaluate, requirement_findings, scope_of, summary
from techalign.health.services import update_health_settings
from techalign.plans.markdown import (
    export_plan,
    import_plan,
    read_plan_file,
    refuse_unless_editable,
)
from techalign.plans.models import Phase
from techalign.requirements.selectors import get_requirement

router = Router(tags=["process health"])

MARKDOWN = "text/markdown; charset=utf-8"
ReportName = Literal[
    "coverage", "lead-time", "finalized-before-dev", "realignment", "change-cost", "findings"
]


# --- outputs -------------------------------------------------------------------------------


class RuleOut(Schema):
    code: str
    slug: str
    severity: str
    escalation: str | None
    title: str
    prevents: str
    fix: str
    thresholds: list[str]
    messages: dict[str, str]


class FindingOut(Schema):
    code: str
    rule: str
    severity: str
    requirement: str
    subject: str
    at: dt.datetime
    message: str
    details: dict[str, str]


class FindingsOut(Schema):
    scope: str
    requirements_checked: int
    summary: dict[str, int]
    count: int
    findings: list[FindingOut]


class ReportKindOut(Schema):
    name: str
    title: str
    definition: str


class ColumnOut(Schema):
    key: str
    label: str


class ReportOut(Schema):
    name: str
    title: str
    definition: str
    scope: str
    start: dt.date
    end: dt.date
    headline: dict[str, str]
    columns: list[ColumnOut]
    rows: list[list[str | int | float | None]]
    charts: list[str] = Field(description="SVG documents")


class SettingsOut(Schema):
    alignment_days_before_dev_start: int
    alignment_days_before_dev_start_high_risk: int
    alignment_days_before_launch: int
    blocking_question_days: int
    ask_days_before_due: int
    suspect_link_days: int
    late_change_phase: str
    disabled_rules: list[str]


class ImportOut(Schema):
    requirement: str
    based_on: int
    revision: int | None = Field(description="The new revision; null when nothing changed.")
    changed: bool
    summary: str


# --- inputs --------------------------------------------------------------------------------


class FindingsQuery(Schema):
    team: str | None = None
    department: str | None = None
    severity: Severity | None = None
    rule: str | None = Field(default=None, description="a rule code, e.g. TA111")
    since: dt.date | None = Field(default=None, description="findings on or after this day")
    limit: int = Field(default=200, ge=1, le=2000)
    offset: int = Field(default=0, ge=0)


class ReportQuery(Schema):
    team: str | None = None
    department: str | None = None
    start: dt.date | None = Field(default=None, alias="from")
    end: dt.date | None = Field(default=None, alias="to")
    format: Literal["json", "csv"] = "json"


class SettingsIn(Body):
    alignment_days_before_dev_start: int | None = Field(default=None, ge=0, le=250)
    alignment_days_before_dev_start_high_risk: int | None = Field(default=None, ge=0, le=250)
    alignment_days_before_launch: int | None = Field(default=None, ge=0, le=250)
    blocking_question_days: int | None = Field(default=None, ge=0, le=250)
    ask_days_before_due: int | None = Field(default=None, ge=0, le=250)
    suspect_link_days: int | None = Field(default=None, ge=0, le=250)
    late_change_phase: Phase | None = None
    disabled_rules: list[str] | None = Field(default=None, max_length=100)


class MarkdownIn(Body):
    markdown: str = Field(max_length=2_000_000)
    confirm: bool = Field(default=False, description=CONFIRM_WITHDRAWAL)


# --- helpers -------------------------------------------------------------------------------


def _finding_out(finding: Finding) -> dict:
    return finding.as_dict() | {"at": finding.at}


def _findings_out(
    findings: list[Finding], *, scope: str, checked: int, query: FindingsQuery
) -> dict:
    shown = [
        f
        for f in findings
        if (query.severity is None or f.severity == query.severity)
        and (query.rule is None or f.code == query.rule.upper())
        and (query.since is None or timezone.localtime(f.at).date() >= query.since)
    ]
    page = shown[query.offset : query.offset + query.limit]
    return {
        "scope": scope,
        "requirements_checked": checked,
        "summary": summary(shown),
        "count": len(shown),
        "findings": [_finding_out(f) for f in page],
    }


def _settings_out(settings: HealthSettings) -> dict:
    return {name: getattr(settings, name) for name in SettingsOut.model_fields}


# --- process health ------------------------------------------------------------------------


@router.get("/health/rules", response={200: listing(RuleOut), **ERRORS})
def list_rules(request: HttpRequest):
    """Every rule with its code, severity and documentation, in the caller's language."""
    return listed(
        {
            "code": r.code,
            "slug": r.slug,
            "severity": str(r.severity),
            "escalation": str(r.escalation) if r.escalation else None,
            "title": str(r.title),
            "prevents": str(r.prevents),
            "fix": str(r.fix),
            "thresholds": list(r.thresholds),
            "messages": {k: str(v) for k, v in r.messages.items()},
        }
        for r in RULES.values()
    )


@router.get("/health/findings", response={200: FindingsOut, **ERRORS})
def list_findings(request: HttpRequest, query: Query[FindingsQuery]):
    """Findings on the requirements a team or department leads or is a party to (or the whole
    organisation's), among those the caller may see."""
    scope = scope_of(team=query.team, department=query.department)
    requirements = scope.requirements(user=actor(request))
    findings = evaluate(requirements, team_ids=scope.team_ids)
    return _findings_out(findings, scope=scope.slug, checked=requirements.count(), query=query)


@router.get("/requirements/{key}/health", response={200: FindingsOut, **ERRORS})
def requirement_health(request: HttpRequest, key: str, query: Query[FindingsQuery]):
    """The findings on one requirement: its health panel."""
    requirement = get_requirement(actor(request), key)
    return _findings_out(
        requirement_findings(requirement), scope=requirement.key, checked=1, query=query
    )


@router.get("/health/reports", response={200: listing(ReportKindOut), **ERRORS})
def list_reports(request: HttpRequest):
    return listed(
        {"name": k.slug, "title": str(k.title), "definition": str(k.definition)}
        for k in REPORTS.values()
    )


@router.get(
    "/health/reports/{name}",
    response={200: ReportOut, **ERRORS},
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def get_report(request: HttpRequest, name: ReportName, query: Query[ReportQuery]):
    """One report for a team, department or the organisation over a period (default: the last
    twelve months); `format=csv` answers with the table as CSV."""
    scope = scope_of(team=query.team, department=query.department)
    default = Period.last_months(12)
    period = Period(query.start or default.start, query.end or default.end)
    if period.end < period.start or (period.end - period.start).days > 3660:
        raise Refused(
            "input.invalid",
            field="from, to",
            problem="to must not be before from, within ten years",
        )
    report = build_report(name, scope, period, user=actor(request))
    if query.format == "csv":
        return HttpResponse(report.as_csv(), content_type="text/csv; charset=utf-8")
    return {
        "name": report.slug,
        "title": report.title,
        "definition": report.definition,
        "scope": report.scope,
        "start": period.start,
        "end": period.end,
        "headline": dict(report.headline),
        "columns": [{"key": c.key, "label": str(c.label)} for c in report.columns],
        "rows": [
            [v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in report.rows
        ],
        "charts": report.charts,
    }


@router.get("/health/settings", response={200: SettingsOut, **ERRORS})
def get_settings(request: HttpRequest, response: HttpResponse):
    """The thresholds the rules use now (the defaults until an administrator changes them).
    The ETag changes with every change to them."""
    settings = HealthSettings.current()
    if unchanged := not_modified(request, response, etag("v", settings.version)):
        return unchanged
    return _settings_out(settings)


@router.put("/health/settings", response={200: SettingsOut, **PRECONDITION_ERRORS})
def put_settings(request: HttpRequest, body: SettingsIn, response: HttpResponse):
    """Change thresholds or switch rules off (administrators); fields left out stay as they are.
    Needs If-Match with the ETag of the settings you read."""
    changes = body.model_dump(exclude_none=True)
    if "late_change_phase" in changes:
        changes["late_change_phase"] = str(changes["late_change_phase"])
    settings = update_health_settings(
        actor=actor(request), version=if_match(request, "v"), **changes
    )
    set_etag(response, "v", settings.version)
    return _settings_out(settings)


# --- plans as Markdown ---------------------------------------------------------------------


@router.get(
    "/requirements/{key}/plan.md",
    response={200: str, **ERRORS},
    openapi_extra={"responses": {200: {"content": {"text/markdown": {}}}}},
)
def export_markdown(request: HttpRequest, key: str):
    """The plan's current revision as Markdown (docs/plan-markdown.md)."""
    requirement = get_requirement(actor(request), key)
    return HttpResponse(export_plan(requirement), content_type=MARKDOWN)


@router.post(
    "/requirements/{key}/plan.md",
    response={200: ImportOut, **ERRORS, 413: ErrorOut},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/markdown": {"schema": {"type": "string"}},
                "application/json": {"schema": MarkdownIn.model_json_schema()},
            },
        }
    },
)
def import_markdown(request: HttpRequest, key: str, confirm: bool = False):
    """Apply an edited Markdown file as one new revision, as a plan edit by the caller: a DEV
    of the lead team. Refused (409) when the plan changed since the file's revision, and
    (409 plan.withdrawal_unconfirmed) when it would withdraw a review, an approval or
    sign-offs unless `?confirm=1` or `"confirm": true` in a JSON body."""
    requirement = get_requirement(actor(request), key)
    refuse_unless_editable(actor(request), requirement)
    text, confirmed = _markdown_body(request)
    result = import_plan(
        actor=actor(request),
        text=text,
        requirement=requirement,
        confirm=confirm or confirmed,
    )
    return {
        "requirement": requirement.key,
        "based_on": result.based_on,
        "revision": result.revision.number if result.revision else None,
        "changed": result.revision is not None,
        "summary": result.summary,
    }


def _markdown_body(request: HttpRequest) -> tuple[str, bool]:
    """The file and whether the body confirms a withdrawal: the raw body, or
    `{"markdown": "...", "confirm": true}` for clients that only speak JSON.
    Either is held to the plan file's limits (413 too large, 422 not UTF-8 text)."""
    if request.content_type != "application/json":
        return read_plan_file(request.body, file="plan.md"), False
    try:
        body = MarkdownIn.model_validate(json.loads(request.body))
    except ValueError:
        raise Refused(
            "input.invalid",
            field="markdown",
            problem='send {"markdown": "..."} or the file as text/markdown',
        ) from None
    return body.markdown, body.confirm
