"""Reads on process health: which requirements a team or department answers for, and the
findings of the rules over them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from techalign.audit.models import AuditEvent
from techalign.audit.services import committed_through
from techalign.calendars.models import CompanyDay, HolidayPolicy
from techalign.core.errors import Refused
from techalign.health.base import (
    SETTLED_SELECTION_LIMIT,
    Context,
    Finding,
    Severity,
    settled,
    unpack,
)
from techalign.health.models import FindingsRefresh, FindingTally, HealthSettings, StoredFinding
from techalign.health.rules import RULES
from techalign.org.models import Department, OrgPolicy, Team, User
from techalign.org.permissions import is_admin
from techalign.requirements.models import Requirement, Status
from techalign.requirements.selectors import party_to, visible_requirements


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
        # The teams' current parties, where the teams' items would be every item they ever
        # owned, in every revision. As one side of a union rather than OR-ed with the lead
        # team, each side is read once.
        return selection.filter(pk__in=led.union(party_to(team_ids)))


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
    findings.sort(key=finding_order)
    return findings


def finding_order(finding: Finding) -> tuple[Any, ...]:
    """Newest requirement first, then by rule, subject, variant and time: a stable order."""
    f = finding
    return (-int(f.requirement_key[4:]), f.code, f.subject, f.variant, f.at)


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


# --- stored findings -------------------------------------------------------------------------
#
# What makes stored findings stale, and how it is noticed: every write to a requirement is a
# service that appends an audit event inside its own transaction, numbered (`seq`) under its
# partition's lock. So the requirements written since the last refresh are those of the events
# past the `seq` it covered, read with `committed_through` (no event can still commit below it):
# a write cannot commit without its event, and a new event can never appear behind one seen.
# Time, the thresholds and the company calendar are compared directly: the day of the refresh,
# and a fingerprint of those settings (edits made in the Django admin leave no audit event).

# Events without a requirement that cannot change any finding. Any other one (a role granted,
# a team or a user renamed, a component's owner changed) makes every requirement stale.
UNRELATED_ACTIONS = (
    "notify.",
    "token.",
    "calendar.source_",
    "calendar.feed_key_",
    "calendar.time_zone_",
    "calendar.working_hours_",
)


class Staleness:
    """Why every stored finding must be recomputed."""

    NEVER = "never"
    DAY = "day"
    INPUTS = "inputs"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class Freshness:
    """How far the stored findings lag behind the requirements."""

    refreshed_at: dt.datetime | None
    # The last audit event looked at, which a refresh started now will have covered.
    through_seq: int
    inputs: str
    # A Staleness reason when every requirement is stale, else "".
    everything: str
    # Requirements written since the last refresh (at most `limit` + 1 of them, when limited).
    changed: frozenset[int]

    @property
    def is_fresh(self) -> bool:
        return not self.everything and not self.changed


def inputs_fingerprint() -> str:
    """A digest of the settings every rule run reads besides the requirements: the health
    thresholds, the cost-of-change curve, the holiday policy and the company days."""
    policy = HealthSettings.current()
    thresholds = [
        (f.name, getattr(policy, f.name))
        for f in HealthSettings._meta.concrete_fields
        if f.name not in {"id", "updated_at", "version", "updated_by"}
    ]
    org = OrgPolicy.objects.filter(pk=1).values_list("cost_curve", flat=True).first()
    holidays = HolidayPolicy.objects.values_list("use_public_holidays", "country").first()
    days = list(CompanyDay.objects.order_by("on").values_list("on", "is_working_day"))
    return hashlib.sha256(repr((thresholds, org, holidays, days)).encode()).hexdigest()


def freshness(*, today: dt.date | None = None, limit: int | None = None) -> Freshness:
    """What has changed since the stored findings were last refreshed; with `limit`, the
    requirements written since are read only up to one past it."""
    today = today or timezone.localdate()
    state = FindingsRefresh.objects.filter(pk=1).first() or FindingsRefresh()
    last_seq = committed_through()
    inputs = inputs_fingerprint()
    events = AuditEvent.objects.filter(
        seq__gt=state.through_seq, seq__lte=last_seq, outcome=AuditEvent.Outcome.DONE
    )
    everything = ""
    if state.computed_on is None:
        everything = Staleness.NEVER
    elif state.computed_on != today:
        everything = Staleness.DAY
    elif state.inputs != inputs:
        everything = Staleness.INPUTS
    else:
        org_wide = events.filter(requirement__isnull=True)
        for prefix in UNRELATED_ACTIONS:
            org_wide = org_wide.exclude(action__startswith=prefix)
        if org_wide.exists():
            everything = Staleness.ORGANISATION
    changed: frozenset[int] = frozenset()
    if not everything and last_seq > state.through_seq:
        written = (
            events.filter(requirement__isnull=False)
            .order_by()
            .values_list("requirement_id", flat=True)
            .distinct()
        )
        changed = frozenset(written[: limit + 1] if limit is not None else written)
    return Freshness(state.refreshed_at, last_seq, inputs, everything, changed)


def stored_findings(scope: Scope, *, user: User | None = None) -> QuerySet[StoredFinding]:
    """The stored findings a scope's page shows: on the requirements of the scope the user may
    see, concerning one of its teams (the same selection `scope_findings` computes)."""
    selection = scope.requirements(user=user).order_by().values("pk")
    if scope.team_ids is not None:
        # A team's or a department's requirements are read once, rather than the visibility
        # and related-party subqueries again in each count the page makes.
        ids = list(selection.values_list("pk", flat=True)[: SETTLED_SELECTION_LIMIT + 1])
        rows = enabled_findings().filter(requirement__in=settled(ids, selection))
    else:
        # The whole organisation: every stored finding but those of the few requirements out
        # of the selection (cancelled, or private and not visible to the user), so the counts
        # scan the findings alone.
        rows = enabled_findings().exclude(requirement__in=_hidden_requirements(user))
    team_ids = scope.team_ids
    if team_ids is not None:
        naming = StoredFinding.teams.through.objects.filter(team_id__in=team_ids)
        rows = rows.filter(pk__in=naming.values("storedfinding_id"))
    return rows


def enabled_findings() -> QuerySet[StoredFinding]:
    """Every stored finding of a rule switched on: switching a rule off shows at once,
    switching one on waits for the refresh."""
    disabled = HealthSettings.current().disabled_rules
    rows = StoredFinding.objects.all()
    return rows.exclude(code__in=disabled) if disabled else rows


def _hidden_requirements(user: User | None) -> QuerySet[Requirement, Any]:
    """Requirements left out of the whole organisation's selection for `user`: cancelled ones,
    and private ones the user may not see. A subquery, which the database reads once: the ids
    read into Python and passed back (ten thousand private requirements at S=10) cost a
    quarter of a second per page."""
    hidden = Q(status=Status.CANCELLED)
    if user is not None:
        visible = visible_requirements(user).filter(is_private=True).values("pk")
        hidden |= Q(is_private=True) & ~Q(pk__in=visible)
    return Requirement.objects.filter(hidden).order_by().values("pk")


def stored_counts(rows: QuerySet[StoredFinding]) -> tuple[dict[str, int], dict[str, int]]:
    """Counts by severity and by rule, counted by the database in one pass: the recount the
    pages' tallies (`finding_counts`) are checked against."""
    by_severity = {str(s): 0 for s in Severity}
    by_rule: dict[str, int] = defaultdict(int)
    for code, severity, n in (
        rows.order_by().values_list("code", "severity").annotate(n=Count("pk"))
    ):
        by_severity[severity] += n
        by_rule[code] += n
    return by_severity, dict(by_rule)


def stored_team_counts(
    rows: QuerySet[StoredFinding], *, team_ids: set[int] | None = None
) -> dict[int, dict[str, int]]:
    """Errors and warnings per team concerned (of `team_ids` only, when given)."""
    # Counted from the findings' side, so the page's selection filters the join itself.
    links = rows.filter(teams__in=team_ids) if team_ids is not None else rows
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for team_id, severity, n in (
        links.order_by().values_list("teams", "severity").annotate(n=Count("pk"))
    ):
        if team_id is not None and (team_ids is None or team_id in team_ids):
            counts[team_id][severity] = n
    return dict(counts)


def as_findings(rows: QuerySet[StoredFinding]) -> list[Finding]:
    """Stored rows as the findings they were computed as, in `evaluate`'s order."""
    links: dict[int, set[int]] = defaultdict(set)
    rows = rows.annotate(number=F("requirement__number"))
    found = list(rows)
    for finding_id, team_id in StoredFinding.teams.through.objects.filter(
        storedfinding__in=[row.pk for row in found]
    ).values_list("storedfinding_id", "team_id"):
        links[finding_id].add(team_id)
    findings = [
        Finding(
            code=row.code,
            severity=Severity(row.severity),
            variant=row.variant,
            requirement_id=row.requirement_id,
            requirement_key=Requirement.key_of(row.number),
            teams=frozenset(links[row.pk]),
            at=row.at,
            subject=row.subject,
            details={name: unpack(value) for name, value in row.details.items()},
        )
        for row in found
    ]
    findings.sort(key=finding_order)
    return findings


# --- tallies ---------------------------------------------------------------------------------
#
# The pages' counts, kept by the refresh (FindingTally) instead of counted over every stored
# finding per view. Each finding is counted in the tallies of the scopes whose page shows it,
# by the same conditions as `stored_findings`: a team's page shows a finding that names the
# team on a requirement the team leads or is a related party of; a department's, a finding
# naming one of its teams on a requirement one of its teams leads or is a party of; the
# organisation's, every finding, and on each team's row those naming the team.

Kind = FindingTally.Kind


@dataclass(frozen=True)
class Parties:
    """What decides where a requirement's findings are counted: its privacy, and the teams
    whose pages show it (its lead team and the owners of its current revision's items)."""

    is_private: bool
    teams: frozenset[int]


def requirement_parties(ids: Any) -> dict[int, Parties]:
    """The parties of these requirements (ids, or a queryset of them), as they are now."""
    found: dict[int, tuple[bool, set[int]]] = {}
    rows = Requirement.objects.filter(pk__in=ids).values_list(
        "pk", "is_private", "lead_team_id", "current_parties__team_id"
    )
    for pk, is_private, lead_team_id, party_team_id in rows:
        _, teams = found.setdefault(pk, (is_private, {lead_team_id}))
        if party_team_id is not None:
            teams.add(party_team_id)
    return {pk: Parties(is_private, frozenset(teams)) for pk, (is_private, teams) in found.items()}


def departments_of_teams() -> dict[int, int]:
    return dict(Team.objects.values_list("pk", "department_id"))


def tallies_of(
    named: frozenset[int] | set[int], parties: Parties, department_of: dict[int, int]
) -> list[str]:
    """The tallies ("kind:scope") a finding naming these teams is counted in, on a requirement
    with these parties."""
    departments = {department_of[t] for t in parties.teams if t in department_of}
    tallies = [f"{Kind.ORGANISATION}:0"]
    for team_id in sorted(named):
        tallies.append(f"{Kind.ORGANISATION_TEAM}:{team_id}")
        if team_id in parties.teams:
            tallies.append(f"{Kind.TEAM}:{team_id}")
        if department_of.get(team_id) in departments:
            tallies.append(f"{Kind.DEPARTMENT_TEAM}:{team_id}")
    for department_id in sorted({department_of[t] for t in named if t in department_of}):
        if department_id in departments:
            tallies.append(f"{Kind.DEPARTMENT}:{department_id}")
    return tallies


@dataclass(frozen=True)
class Counts:
    """What a health page counts: by severity, by rule, and each team's errors and warnings."""

    by_severity: dict[str, int]
    by_rule: dict[str, int]
    by_team: dict[int, dict[str, int]]


def _scope_kinds(scope: Scope) -> tuple[str, int, str]:
    """The tally of a scope's own counts, its id, and the tally of its teams' rows."""
    if scope.team is not None:
        return Kind.TEAM, scope.team.pk, Kind.TEAM
    if scope.department is not None:
        return Kind.DEPARTMENT, scope.department.pk, Kind.DEPARTMENT_TEAM
    return Kind.ORGANISATION, 0, Kind.ORGANISATION_TEAM


def finding_counts(
    scope: Scope, *, user: User | None = None, team_ids: set[int] | None = None
) -> Counts:
    """The counts of the findings `stored_findings(scope, user=user)` selects, read from the
    tallies: those of public requirements as the refresh kept them, corrected by the findings
    of the requirements a reader sees differently (private ones the user may see, cancelled or
    made private since the refresh). Team rows only for `team_ids` when given (a page of
    teams), else for the scope's teams (every team for the organisation)."""
    kind, scope_id, team_kind = _scope_kinds(scope)
    team_ids = team_ids if team_ids is not None else scope.team_ids
    disabled = set(HealthSettings.current().disabled_rules or [])
    by_severity = {str(s): 0 for s in Severity}
    by_rule: dict[str, int] = defaultdict(int)
    by_team: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def count(tally: str, code: str, severity: str, n: int) -> None:
        if code in disabled:
            return
        tally_kind, _, tally_scope = tally.partition(":")
        if tally_kind == kind and int(tally_scope) == scope_id:
            by_severity[severity] += n
            by_rule[code] += n
        if tally_kind == team_kind and (team_ids is None or int(tally_scope) in team_ids):
            by_team[int(tally_scope)][severity] += n

    teams = Q(kind=team_kind)
    if team_ids is not None:
        teams &= Q(scope_id__in=team_ids)
    tallies = FindingTally.objects.filter(Q(kind=kind, scope_id=scope_id) | teams)
    for tally_kind, tally_scope, code, severity, n in tallies.values_list(
        "kind", "scope_id", "code", "severity", "count"
    ):
        count(f"{tally_kind}:{tally_scope}", code, severity, n)
    for sign, rows in _seen_differently(user, scope.team_ids):
        for code, severity, tallied_in in rows:
            for tally in tallied_in:
                count(tally, code, severity, sign)
    return Counts(
        by_severity,
        {code: n for code, n in by_rule.items() if n},
        {
            team_id: {severity: n for severity, n in counts.items() if n}
            for team_id, counts in by_team.items()
            if any(counts.values())
        },
    )


def _seen_differently(user: User | None, team_ids: set[int] | None) -> list[tuple[int, Any]]:
    """The stored findings by which a reader's counts differ from the tallies: +1 for those of
    private requirements (as of the refresh) the reader sees now, -1 for those counted in the
    tallies whose requirement is now cancelled, or private and hidden from the reader. With
    `team_ids` (a team's or a department's page), only those naming one of the teams.

    Each is found from the few requirements concerned before visibility is asked, so the
    database never applies the visibility rules to the whole organisation."""
    fields = ("code", "severity", "tallied_in")
    everyone = user is None or is_admin(user)
    private = StoredFinding.objects.filter(is_private=True)
    if team_ids is not None:
        naming = StoredFinding.teams.through.objects.filter(team_id__in=team_ids)
        private = private.filter(pk__in=naming.values("storedfinding_id"))
    shown = Requirement.objects.filter(pk__in=private.values("requirement_id")).exclude(
        status=Status.CANCELLED
    )
    if not everyone:
        assert user is not None
        shown = visible_requirements(user).filter(pk__in=shown.values("pk"))
    public = StoredFinding.objects.filter(is_private=False)
    # Normally none: a requirement cancelled (read through the status index), or one made
    # private since the refresh (only a requirement written since, as the audit log says).
    through_seq = FindingsRefresh.objects.filter(pk=1).values_list("through_seq", flat=True)
    written = AuditEvent.objects.filter(
        seq__gt=next(iter(through_seq), 0), requirement__isnull=False
    ).values("requirement_id")
    has_public_findings = Exists(public.filter(requirement=OuterRef("pk")))
    cancelled = Requirement.objects.filter(status=Status.CANCELLED)
    made_private = Requirement.objects.filter(is_private=True, pk__in=written)
    hidden = {
        pk: status
        for changed in (cancelled, made_private)
        for pk, status in changed.filter(has_public_findings).values_list("pk", "status")
    }
    seen = {pk for pk, status in hidden.items() if status != Status.CANCELLED}
    if seen and not everyone:
        assert user is not None
        seen = set(visible_requirements(user).filter(pk__in=seen).values_list("pk", flat=True))
    unseen = {pk for pk in hidden if pk not in seen}
    return [
        (1, private.filter(requirement__in=shown.values("pk")).values_list(*fields)),
        (-1, public.filter(requirement__in=unseen).values_list(*fields) if unseen else []),
    ]
