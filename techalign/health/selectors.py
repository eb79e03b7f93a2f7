"""Reads on process health: which requirements a team or department answers for, and the
findings of the rules over them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.health.base import Context, Finding, Severity
from techalign.health.models import HealthSettings
from techalign.health.rules import RULES
from techalign.org.models import Department, Team, User
from techalign.plans.models import Plan
from techalign.requirements.models import Requirement, Status
from techalign.requirements.selectors import visible_requirements


@dataclass(frozen=True)
class Scope:
    """A team, a department, or (neither) the whole organisation."""

    team: Team | None = None
    department: Department | None = None

    @property
    def team_ids(self) -> set[int] | None:
        if self.team is not None:
            return {self.team.pk}
        if self.department is not None:
            return set(self.department.teams.values_list("pk", flat=True))
        return None

    @property
    def label(self) -> str:
        if self.team is not None:
            return self.team.name
        if self.department is not None:
            return self.department.name
        return _("Whole organisation")

    @property
    def slug(self) -> str:
        if self.team is not None:
            return f"team-{self.team.code}"
        if self.department is not None:
            return f"department-{self.department.code}"
        return "organisation"

    def requirements(
        self, *, user: User | None = None, led_only: bool = False
    ) -> QuerySet[Requirement]:
        """Requirements led by the scope's teams, or (unless `led_only`) with one of them as a
        related party of the current revision; only those `user` may see, when given."""
        # Visibility filters the same rows as the team condition, rather than a subquery of
        # every requirement the user may see, so the database starts from the team's rows.
        selection = visible_requirements(user) if user is not None else Requirement.objects
        selection = selection.exclude(status=Status.CANCELLED)
        team_ids = self.team_ids
        if team_ids is None:
            return selection
        if led_only:
            return selection.filter(lead_team__in=team_ids)
        led = Requirement.objects.filter(lead_team__in=team_ids).order_by().values("pk")
        # From the teams' items to the plans they are current in: an index search on the items'
        # owner team, where starting from every current revision read them all. As one side of
        # a union rather than OR-ed with the lead team, the database reads those items once.
        party = Plan.objects.filter(current_revision__items__owner_team__in=team_ids)
        return selection.filter(pk__in=led.union(party.values("requirement_id")))


def scope_of(*, team: str | None = None, department: str | None = None) -> Scope:
    """The scope named by team and department codes; unknown codes are refused."""
    if team and department:
        raise Refused(
            "input.invalid",
            field="team, department",
            problem=_("give a team or a department, not both"),
        )
    if team:
        found = Team.objects.filter(code=team).first()
        if found is None:
            raise Refused("access.not_found", kind=_("Team"), ref=team)
        return Scope(team=found)
    if department:
        found_department = Department.objects.filter(code=department).first()
        if found_department is None:
            raise Refused("access.not_found", kind=_("Department"), ref=department)
        return Scope(department=found_department)
    return Scope()


def evaluate(
    requirements: QuerySet[Requirement],
    *,
    team_ids: set[int] | None = None,
    today: dt.date | None = None,
    policy: HealthSettings | None = None,
) -> list[Finding]:
    """Every finding of every enabled rule over `requirements`, in a stable order.

    With `team_ids`, only findings concerning one of those teams are kept.
    """
    policy = policy or HealthSettings.current()
    context = Context(
        requirements, today=today or timezone.localdate(), policy=policy, team_ids=team_ids
    )
    disabled = set(policy.disabled_rules or [])
    findings = [
        finding
        for code, rule in RULES.items()
        if code not in disabled
        for finding in rule.check(context)
        if team_ids is None or finding.teams & team_ids
    ]
    numbers = {pk: row.key for pk, row in context.requirements.items()}
    findings.sort(
        key=lambda f: (-int(numbers[f.requirement_id][4:]), f.code, f.subject, f.variant, f.at)
    )
    return findings


def scope_findings(
    scope: Scope, *, user: User | None = None, today: dt.date | None = None
) -> list[Finding]:
    return evaluate(scope.requirements(user=user), team_ids=scope.team_ids, today=today)


def requirement_findings(
    requirement: Requirement, *, today: dt.date | None = None
) -> list[Finding]:
    """The findings on one requirement, for its health panel."""
    return evaluate(Requirement.objects.filter(pk=requirement.pk), today=today)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == Severity.ERROR for f in findings)


def summary(findings: list[Finding]) -> dict[str, int]:
    """Counts by severity."""
    counts = {str(s): 0 for s in Severity}
    for finding in findings:
        counts[str(finding.severity)] += 1
    return counts


# Audit events are stamped under the chain's lock, so their times follow `seq` but for the
# clocks of different servers: the walk back from the head of the chain goes this much further.
CLOCK_SKEW = dt.timedelta(minutes=5)


def changed_since(moment: dt.datetime) -> QuerySet[AuditEvent, Any]:
    """Ids (`requirement_id`) of the requirements changed at or after `moment`: those with an
    audit event since then. Every write to a requirement, its plan, meetings, questions,
    milestones or change requests is audited with its requirement, so this is the one signal
    for all of them; read from the head of the chain back, at a cost that grows with the events
    since `moment`, not with the organisation."""
    before = (
        AuditEvent.objects.filter(occurred_at__lt=moment - CLOCK_SKEW)
        .order_by("-seq")
        .values_list("seq", flat=True)[:1]
    )
    boundary = next(iter(before), 0)
    return (
        AuditEvent.objects.filter(
            seq__gt=boundary, occurred_at__gte=moment, requirement__isnull=False
        )
        .order_by()
        .values("requirement_id")
    )
