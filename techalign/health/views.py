"""Process-health pages: the organisation, a team and a department, one requirement's panel,
the rule documentation, and the reports with their charts and CSV.

The organisation, department and team pages read the stored findings (counted by the
database), after refreshing the few requirements written since the last refresh; one
requirement's panel evaluates the rules for it alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import DatabaseError, models
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from techalign.core.errors import Refused
from techalign.core.http import SignedInRequest, whole_number
from techalign.health.base import Finding
from techalign.health.models import HealthSettings, StoredFinding
from techalign.health.reports import REPORTS, Period, build_report
from techalign.health.rules import RULES
from techalign.health.selectors import (
    Scope,
    as_findings,
    enabled_findings,
    finding_counts,
    freshness,
    requirement_findings,
    stored_findings,
    summary,
)
from techalign.health.services import refresh_findings
from techalign.org.models import Department, Team
from techalign.requirements.models import Requirement
from techalign.requirements.selectors import get_requirement

log = logging.getLogger(__name__)

# Ten requirements' findings make a page a reader can scan; the rest are a click away.
GROUPS_PER_PAGE = 10
# Deep pages are read by skipping rows; nobody reads a thousand pages of findings.
MAX_PAGE = 1000
TEAMS_PER_PAGE = 20
# A page recomputes itself the findings of up to this many requirements written since the
# last refresh (about what one team's page cost when every view ran the rules), so what a user
# just did shows at once; past that, it shows the stored findings, says how old they are, and
# leaves the rest to the worker.
INLINE_REFRESH_LIMIT = 100


@dataclass(frozen=True)
class Peek:
    """One page of a list whose total is not counted: it reads one row more than it shows to
    know whether an older page follows. Counting the requirements with findings read every
    stored finding of the organisation (0.2 s at S=10) on each view."""

    number: int
    rows: list[int]
    has_next: bool

    @classmethod
    def of(cls, ids: QuerySet[Requirement, int], page_number: str | None) -> Peek:
        # A number of ten digits or more is no page anyone reached by paging: the first.
        typed = whole_number(page_number) if len(page_number or "") < 10 else None
        number = min(max(typed or 1, 1), MAX_PAGE)
        start = (number - 1) * GROUPS_PER_PAGE
        rows = list(ids[start : start + GROUPS_PER_PAGE + 1])
        return cls(number, rows[:GROUPS_PER_PAGE], len(rows) > GROUPS_PER_PAGE)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


# A rule with at least this many findings in the organisation is walked like the whole list:
# ten requirements with one are found among a few thousand.
DENSE_RULE = 1000


def _by_requirement(
    shown: QuerySet[StoredFinding], chosen: dict[str, str], page_number: str | None
) -> tuple[list[dict[str, Any]], Peek]:
    """One page of a team's or a department's findings grouped under their requirement,
    newest requirement first: they are few, and read from their side."""
    with_findings = Requirement.objects.filter(
        pk__in=shown.filter(**chosen).values("requirement_id")
    )
    return _grouped(with_findings, shown, chosen, page_number)


def _of_organisation(
    selection: QuerySet[Requirement],
    chosen: dict[str, str],
    page_number: str | None,
    *,
    dense: bool,
) -> tuple[list[dict[str, Any]], Peek]:
    """The whole organisation's page, read from the requirements the reader sees rather than
    by leaving out those hidden from them (a subquery over every requirement, each time).
    `dense` (nearly every requirement has such a finding) walks them newest first, each asked
    whether it has one; a rare rule's findings are read from their side."""
    matching = enabled_findings().filter(**chosen)
    if dense:
        with_findings = selection.filter(Exists(matching.filter(requirement=OuterRef("pk"))))
    else:
        with_findings = selection.filter(pk__in=matching.values("requirement_id"))
    return _grouped(with_findings, enabled_findings(), chosen, page_number)


def _grouped(
    with_findings: QuerySet[Requirement],
    findings: QuerySet[StoredFinding],
    chosen: dict[str, str],
    page_number: str | None,
) -> tuple[list[dict[str, Any]], Peek]:
    page = Peek.of(with_findings.order_by("-number").values_list("pk", flat=True), page_number)
    ids = page.rows
    grouped: dict[int, list[Finding]] = defaultdict(list)
    # The page's findings by requirement alone, the rule and severity kept here: with them in
    # the query, the database read every finding of a common rule through its index instead.
    for finding in as_findings(findings.filter(requirement_id__in=ids)):
        if all(getattr(finding, name) == value for name, value in chosen.items()):
            grouped[finding.requirement_id].append(finding)
    requirements = Requirement.objects.select_related("lead_team").in_bulk(ids)
    groups = [
        {"requirement": requirements[pk], "findings": grouped[pk], "summary": summary(grouped[pk])}
        for pk in ids
    ]
    return groups, page


def _scope_context(
    request: SignedInRequest, scope: Scope, team_ids: set[int] | None = None
) -> dict[str, Any]:
    try:
        fresh = refresh_findings(at_most=INLINE_REFRESH_LIMIT)
    except DatabaseError:
        # A page that only reads still answers when the refresh cannot write (a locked or
        # read-only database): the stored findings, said to be stale; the worker retries.
        log.warning("refreshing findings for a health page failed", exc_info=True)
        fresh = freshness(limit=INLINE_REFRESH_LIMIT)
    rule, severity = request.GET.get("rule"), request.GET.get("severity")
    chosen = {name: value for name, value in (("code", rule), ("severity", severity)) if value}
    tallied = finding_counts(scope, user=request.user, team_ids=team_ids)
    counts, per_rule = tallied.by_severity, tallied.by_rule
    if scope.team_ids is None:
        groups, page = _of_organisation(
            scope.requirements(user=request.user),
            chosen,
            request.GET.get("page"),
            dense=not rule or per_rule.get(rule, 0) >= DENSE_RULE,
        )
    else:
        shown = stored_findings(scope, user=request.user)
        groups, page = _by_requirement(shown, chosen, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "nav": "health",
        "section": "findings",
        "scope": scope,
        "freshness": fresh,
        "summary": counts,
        "rule_counts": [
            {"rule": r, "count": per_rule[code]} for code, r in RULES.items() if per_rule.get(code)
        ],
        "groups": groups,
        "page": page,
        "page_query": query.urlencode(),
        "team_counts": tallied.by_team,
        "filters": {"rule": rule or "", "severity": severity or ""},
        "reports": REPORTS.values(),
    }


@login_required
def overview(request: SignedInRequest) -> HttpResponse:
    """Every department and team with its errors and warnings, then every finding."""
    teams = Team.objects.select_related("department").order_by("department__code", "code")
    teams_page = Paginator(teams, TEAMS_PER_PAGE).get_page(request.GET.get("teams_page"))
    # Only the teams on this page of teams are counted.
    context = _scope_context(request, Scope(), team_ids={team.pk for team in teams_page})
    counts = context["team_counts"]
    query = request.GET.copy()
    query.pop("teams_page", None)
    context["team_rows"] = [
        {"department": team.department, "team": team, "counts": counts.get(team.pk, {})}
        for team in teams_page
    ]
    context["teams_page"] = teams_page
    context["teams_query"] = query.urlencode()
    return render(request, "health/overview.html", context)


@login_required
def team_health(request: SignedInRequest, code: str) -> HttpResponse:
    team = get_object_or_404(Team.objects.select_related("department"), code=code)
    return render(request, "health/scope.html", _scope_context(request, Scope(team=team)))


@login_required
def department_health(request: SignedInRequest, code: str) -> HttpResponse:
    department = get_object_or_404(Department, code=code)
    context = _scope_context(request, Scope(department=department))
    counts = context["team_counts"]
    context["teams"] = [{"team": t, "counts": counts.get(t.pk, {})} for t in department.teams.all()]
    return render(request, "health/scope.html", context)


def _requirement(request: SignedInRequest, key: str) -> Requirement:
    try:
        return get_requirement(request.user, key)
    except Refused as refused:
        raise Http404(refused.message) from refused


@login_required
def requirement_panel(request: SignedInRequest, key: str) -> HttpResponse:
    """The health panel alone, which the requirement page loads after it has rendered, so the
    rules' queries never slow the page itself."""
    requirement = _requirement(request, key)
    findings = requirement_findings(requirement)
    return render(
        request,
        "health/_panel.html",
        {"requirement": requirement, "findings": findings, "summary": summary(findings)},
    )


@login_required
def requirement_health(request: SignedInRequest, key: str) -> HttpResponse:
    requirement = _requirement(request, key)
    findings = requirement_findings(requirement)
    return render(
        request,
        "health/requirement.html",
        {
            "nav": "health",
            "section": "findings",
            "requirement": requirement,
            "findings": findings,
            "summary": summary(findings),
        },
    )


@login_required
def rule_list(request: SignedInRequest) -> HttpResponse:
    return render(
        request, "health/rules.html", {"nav": "health", "section": "rules", "rules": RULES.values()}
    )


@login_required
def rule_page(request: SignedInRequest, code: str) -> HttpResponse:
    """The documentation page of one rule: the failure it prevents and how to fix it."""
    rule = RULES.get(code.upper())
    if rule is None:
        raise Http404(code)
    policy = HealthSettings.current()
    thresholds = []
    for name in rule.thresholds:
        setting = HealthSettings._meta.get_field(name)
        assert isinstance(setting, models.Field)  # thresholds are the settings' own columns
        # A setting with choices (the late-change phase) shows its label, not its code.
        labels = dict(setting.flatchoices) if setting.choices else {}
        value, default = getattr(policy, name), setting.default
        thresholds.append(
            {
                "name": name,
                "label": setting.verbose_name,
                "value": labels.get(value, value),
                "default": labels.get(default, default),
            }
        )
    return render(
        request,
        "health/rule.html",
        {
            "nav": "health",
            "section": "rules",
            "rule": rule,
            "thresholds": thresholds,
            "is_disabled": rule.code in (policy.disabled_rules or []),
        },
    )


def _period(request: HttpRequest) -> Period:
    default = Period.last_months(12)
    try:
        start = dt.date.fromisoformat(request.GET.get("from") or default.start.isoformat())
        end = dt.date.fromisoformat(request.GET.get("to") or default.end.isoformat())
    except ValueError:
        return default
    if end < start or (end - start).days > 3660:
        return default
    return Period(start, end)


def _report_scope(request: HttpRequest) -> Scope:
    if code := request.GET.get("team"):
        return Scope(team=get_object_or_404(Team, code=code))
    if code := request.GET.get("department"):
        return Scope(department=get_object_or_404(Department, code=code))
    return Scope()


@login_required
def report_list(request: SignedInRequest) -> HttpResponse:
    return render(
        request,
        "health/reports.html",
        {
            "nav": "health",
            "section": "reports",
            "reports": REPORTS.values(),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def report_page(request: SignedInRequest, slug: str) -> HttpResponse:
    """One report as charts and a table; `?format=csv` downloads the table."""
    if slug not in REPORTS:
        raise Http404(slug)
    scope, period = _report_scope(request), _period(request)
    report = build_report(slug, scope, period, user=request.user)
    if request.GET.get("format") == "csv":
        response = HttpResponse(report.as_csv(), content_type="text/csv; charset=utf-8")
        name = f"{slug}-{scope.slug}-{period.start}-{period.end}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = request.GET.copy()
    query["format"] = "csv"
    return render(
        request,
        "health/report.html",
        {
            "nav": "health",
            "section": "reports",
            "report": report,
            # Drawn by techalign.health.charts, which escapes every text it places.
            "charts": [mark_safe(svg) for svg in report.charts],
            "scope": scope,
            "teams": Team.objects.order_by("code"),
            "departments": Department.objects.order_by("code"),
            "csv_query": query.urlencode(),
            "reports": REPORTS.values(),
        },
    )
