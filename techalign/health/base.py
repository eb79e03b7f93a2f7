"""The pieces every health rule is made of: texts in both languages, rules, findings, and the
evaluation context that loads what all rules share once for the whole selection."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation

from techalign.calendars.workdays import WorkingDays
from techalign.health.models import HealthSettings
from techalign.org.models import Membership, Role, Team, User
from techalign.plans.models import Plan
from techalign.requirements.models import Requirement


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def is_chinese() -> bool:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return language.lower().startswith("zh")


@dataclass(frozen=True)
class Text:
    """A sentence in English and in Simplified Chinese; renders in the active language."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.zh if is_chinese() else self.en

    def format(self, **values: Any) -> str:
        return str(self).format(**{k: display(v) for k, v in values.items()})


def display(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(display(v) for v in value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Finding:
    """One detected departure from the process, on one requirement."""

    code: str
    severity: Severity
    variant: str
    requirement_id: int
    requirement_key: str
    # Teams concerned: the lead team and, where the rule names one, the party at fault.
    teams: frozenset[int]
    # When the departure happened (or began), for "findings over time".
    at: dt.datetime
    subject: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def message(self) -> str:
        return self.rule.messages[self.variant].format(
            requirement=self.requirement_key, **self.details
        )

    @property
    def location(self) -> str:
        return f"{self.requirement_key}/{self.subject}" if self.subject else self.requirement_key

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rule": self.rule.slug,
            "severity": str(self.severity),
            "requirement": self.requirement_key,
            "subject": self.subject,
            "at": self.at.isoformat(),
            "message": self.message,
            "details": {k: display(v) for k, v in self.details.items()},
        }


def pack(value: Any) -> Any:
    """A finding's detail as JSON that `unpack` turns back into an equal value: dates, times,
    decimals and texts in both languages are tagged, so a stored message still renders in the
    reader's language and with the reader's time zone."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Text):
        return {"$text": [value.en, value.zh]}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, list):
        return [pack(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [pack(v) for v in value]}
    raise TypeError(f"a finding detail of type {type(value).__name__} cannot be stored")


UNPACK: dict[str, Callable[[Any], Any]] = {
    "$text": lambda v: Text(*v),
    "$datetime": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$decimal": Decimal,
    "$tuple": lambda v: tuple(unpack(x) for x in v),
}


def unpack(value: Any) -> Any:
    if isinstance(value, list):
        return [unpack(v) for v in value]
    if isinstance(value, dict):
        ((tag, packed),) = value.items()
        return UNPACK[tag](packed)
    return value


CheckFunction = Callable[["Context"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    slug: str
    severity: Severity
    title: Text
    # Message templates by variant; "default" always exists. `{requirement}` is filled in.
    messages: dict[str, Text]
    prevents: Text
    fix: Text
    # Which threshold fields of HealthSettings the rule reads (for the documentation page).
    thresholds: tuple[str, ...]
    check: CheckFunction
    # When some findings of the rule are more severe than its default, and why.
    escalation: Text | None = None


# The registry: techalign.health.rules registers every rule here with `@rule(...)`.
RULES: dict[str, Rule] = {}


def rule(
    code: str,
    slug: str,
    severity: Severity,
    *,
    title: Text,
    messages: dict[str, Text],
    prevents: Text,
    fix: Text,
    thresholds: tuple[str, ...] = (),
    escalation: Text | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function as the rule `code`."""

    def register(check: CheckFunction) -> CheckFunction:
        RULES[code] = Rule(
            code, slug, severity, title, messages, prevents, fix, thresholds, check, escalation
        )
        return check

    return register


@dataclass(frozen=True)
class RequirementRow:
    id: int
    key: str
    lead_team_id: int
    owner_id: int
    current_revision_id: int | None


# Up to this many ids, a rule's query receives them as a list rather than as a subquery.
SETTLED_SELECTION_LIMIT = 5_000


def settled(ids: Collection[int], subquery: QuerySet[Any]) -> Collection[int] | QuerySet[Any]:
    """What to filter on with `__in` for rows already read: the ids themselves, or `subquery`
    (which gives the same ids) when they are too many to pass as parameters. A team's or a
    user's selection (visibility, related parties) cost every rule tens of milliseconds to
    recompute as a subquery; the whole organisation stays one."""
    return subquery if len(ids) > SETTLED_SELECTION_LIMIT else ids


class Context:
    """What the rules read, loaded once per evaluation and shared by all rules.

    `selection` is a queryset of requirement ids used as a subquery by each rule, so a rule
    costs one or two queries however many requirements are selected.

    With `team_ids` (a team's or a department's page), only findings concerning one of those
    teams are kept. Every finding concerns the requirement's lead team, so on a requirement
    led elsewhere (where the team is only a related party) only a finding that names the team
    itself counts. A rule whose findings name no team but the lead team therefore reads `led`;
    a rule that names a party reads `selection`, and on requirements led elsewhere only the rows
    naming one of the scope's teams.
    """

    def __init__(
        self,
        selection: QuerySet[Requirement],
        *,
        today: dt.date,
        policy: HealthSettings,
        team_ids: Iterable[int] | None = None,
    ) -> None:
        self.today = today
        self.policy = policy
        self.team_ids = frozenset(team_ids) if team_ids is not None else None
        rows = selection.order_by().values_list(
            "pk", "number", "lead_team_id", "owner_id", "plan__current_revision_id"
        )
        self.requirements: dict[int, RequirementRow] = {
            pk: RequirementRow(pk, Requirement.key_of(number), *rest) for pk, number, *rest in rows
        }
        self.selection = Requirement.objects.filter(
            pk__in=settled(list(self.requirements), selection.order_by().values("pk"))
        ).values("pk")
        self.led = self.selection
        if self.team_ids is not None:
            led = [pk for pk, row in self.requirements.items() if self.is_led(row)]
            self.led = Requirement.objects.filter(
                pk__in=settled(led, selection.filter(lead_team__in=self.team_ids).values("pk"))
            ).values("pk")
        # Rows one rule loads and another reuses, by name.
        self.shared: dict[str, Any] = {}

    def is_led(self, requirement: RequirementRow) -> bool:
        """Whether the requirement is led by one of the scope's teams (always, without one)."""
        return self.team_ids is None or requirement.lead_team_id in self.team_ids

    def current_revisions(self, *, led: bool = False) -> Collection[int] | QuerySet[Any]:
        """The current revisions of the selected requirements' plans (only of those the scope
        leads, with `led`), for `revision__in`."""
        ids = [
            row.current_revision_id
            for row in self.requirements.values()
            if row.current_revision_id is not None and (not led or self.is_led(row))
        ]
        plans = Plan.objects.filter(requirement__in=self.led if led else self.selection)
        return settled(ids, plans.values("current_revision_id"))

    @cached_property
    def holders(self) -> dict[tuple[int, str], set[int]]:
        """(team, role) -> the users holding the role in the team, for the whole organisation."""
        users: dict[tuple[int, str], set[int]] = defaultdict(set)
        for user_id, team_id, role in Membership.objects.values_list("user_id", "team_id", "role"):
            users[(team_id, role)].add(user_id)
        return dict(users)

    @cached_property
    def workdays(self) -> WorkingDays:
        """Working days by the company calendar, loaded once for every rule of the run."""
        return WorkingDays()

    @cached_property
    def teams(self) -> dict[int, Team]:
        return {team.pk: team for team in Team.objects.all()}

    @cached_property
    def _user_names(self) -> dict[int, str]:
        return {
            pk: display_name or username
            for pk, username, display_name in User.objects.values_list(
                "pk", "username", "display_name"
            )
        }

    def user(self, user_id: int | None) -> str:
        return self._user_names.get(user_id, "?") if user_id else "?"

    def team(self, team_id: int) -> str:
        team = self.teams.get(team_id)
        return team.name if team else "?"

    def holds(self, user_id: int, team_id: int, *roles: str) -> bool:
        return any(user_id in self.holders.get((team_id, role), ()) for role in roles)

    def is_pm_not_dev(self, user_id: int, requirement: RequirementRow) -> bool:
        """The requirement's owning PM, or a PM of the lead team who is not also its DEV."""
        team = requirement.lead_team_id
        return user_id == requirement.owner_id or (
            self.holds(user_id, team, Role.PM) and not self.holds(user_id, team, Role.DEV)
        )

    def finding(
        self,
        rule: str,
        requirement_id: int,
        *,
        at: dt.datetime,
        severity: Severity,
        variant: str = "default",
        subject: str = "",
        teams: Iterable[int] = (),
        **details: Any,
    ) -> Finding:
        requirement = self.requirements[requirement_id]
        return Finding(
            code=rule,
            severity=severity,
            variant=variant,
            requirement_id=requirement_id,
            requirement_key=requirement.key,
            teams=frozenset({requirement.lead_team_id, *teams}),
            at=at,
            subject=subject,
            details=details,
        )


def start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))
