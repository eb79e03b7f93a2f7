"""Process reports per team, department and period: each a table (also CSV) and SVG charts.

Every figure comes from what happened: reviews and the revision content they approved,
baselines, change requests, and the audit log's timestamps. A requirement belongs to the
scope of its lead team; the findings report, like `lint`, also counts the requirements a team
is a related party to. Definitions are in docs/health-reports.md and on each page.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.health.base import Severity, Text, start_of_day
from techalign.health.charts import Series, column_chart, line_chart
from techalign.health.rules import PHASE_NAMES, PHASE_ORDER, RULES
from techalign.health.selectors import Scope, evaluate
from techalign.org.models import DEFAULT_COST_CURVE, OrgPolicy
from techalign.plans.models import ChangeRequest, Phase, Review, RootCause, Verdict
from techalign.requirements.models import Requirement


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included; reported month by month."""

    start: dt.date
    end: dt.date

    @classmethod
    def last_months(cls, months: int = 12, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        first = today.replace(day=1)
        for _ in range(months - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        return cls(first, today)

    @property
    def since(self) -> dt.datetime:
        return start_of_day(self.start)

    @property
    def until(self) -> dt.datetime:
        """The first moment after the period."""
        return start_of_day(self.end + dt.timedelta(days=1))

    def months(self) -> list[dt.date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months

    def contains(self, moment: dt.datetime | dt.date) -> bool:
        day = timezone.localtime(moment).date() if isinstance(moment, dt.datetime) else moment
        return self.start <= day <= self.end


def month_of(moment: dt.datetime | dt.date) -> dt.date:
    day = timezone.localtime(moment).date() if isinstance(moment, dt.datetime) else moment
    return day.replace(day=1)


def month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def p90(values: list[float]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value at or above 90% of them."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header: stable, English
    label: Text  # the page's table header
    # A stable code for machines (hand_off, testing): in the CSV, not in the page's table,
    # where the translated name beside it says the same.
    is_csv_only: bool = False


@dataclass
class Report:
    slug: str
    title: str
    definition: str
    scope: str
    period: Period
    columns: list[Column]
    rows: list[list[Any]]
    charts: list[str] = field(default_factory=list)
    headline: list[tuple[str, str]] = field(default_factory=list)
    # Requirements behind the figures, where a list helps act on them.
    detail_columns: list[Column] = field(default_factory=list)
    details: list[list[Any]] = field(default_factory=list)

    @property
    def shown_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.is_csv_only]

    @property
    def shown_rows(self) -> list[list[Any]]:
        """The rows as the page shows them: without CSV-only codes; a total row whose name
        cell is empty keeps its "total" marker there (the template names it)."""
        hidden = {i for i, c in enumerate(self.columns) if c.is_csv_only}
        shown = []
        for row in self.rows:
            cells = [v for i, v in enumerate(row) if i not in hidden]
            if row and row[0] == "total" and 0 in hidden and cells and cells[0] in ("", None):
                cells[0] = "total"
            shown.append(cells)
        return shown

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.key for c in self.columns])
        writer.writerows([_csv_value(v) for v in row] for row in self.rows)
        return out.getvalue()


def _csv_value(value: Any) -> Any:
    return "" if value is None else value


@dataclass(frozen=True)
class ReportKind:
    slug: str
    title: Text
    definition: Text
    build: Callable[[Scope, Period, Any], Report]


REPORTS: dict[str, ReportKind] = {}
MONTH = Column("month", Text("Month", "月份"))


def report(
    slug: str, title: Text, definition: Text
) -> Callable[[Callable[..., Report]], Callable[..., Report]]:
    def register(build: Callable[..., Report]) -> Callable[..., Report]:
        REPORTS[slug] = ReportKind(slug, title, definition, build)
        return build

    return register


def build_report(slug: str, scope: Scope, period: Period, *, user: Any = None) -> Report:
    """The report `slug` for `scope` and `period`, over the requirements `user` may see."""
    return REPORTS[slug].build(scope, period, user)


def _new(slug: str, scope: Scope, period: Period, columns: list[Column]) -> Report:
    kind = REPORTS[slug]
    return Report(
        slug=slug,
        title=str(kind.title),
        definition=str(kind.definition),
        scope=scope.label,
        period=period,
        columns=columns,
        rows=[],
    )


def _led(scope: Scope, user: Any) -> QuerySet[Requirement]:
    return scope.requirements(user=user, led_only=True)


@report(
    "coverage",
    Text("Scenario coverage at approval", "评审通过时的场景覆盖率"),
    Text(
        "For each approved revision: the share of its scenarios covered by at least one item, "
        "the share marked out of scope, and the rest (uncovered), by month of approval.",
        "每次评审通过的修订中：被至少一个条目覆盖的场景占比、标记为不在范围内的占比及其余"
        "（未覆盖）占比，按通过月份统计。",
    ),
)
def coverage(scope: Scope, period: Period, user: Any) -> Report:
    result = _new(
        "coverage",
        scope,
        period,
        [
            MONTH,
            Column("approvals", Text("Approvals", "评审通过数")),
            Column("scenarios", Text("Scenarios", "场景数")),
            Column("covered", Text("Covered", "已覆盖")),
            Column("out_of_scope", Text("Out of scope", "不在范围内")),
            Column("uncovered", Text("Uncovered", "未覆盖")),
            Column("coverage_pct", Text("Coverage %", "覆盖率 %")),
        ],
    )
    approvals = Review.objects.filter(
        revision__plan__requirement__in=_led(scope, user),
        verdict=Verdict.APPROVED,
        created_at__gte=period.since,
        created_at__lt=period.until,
    ).values_list("created_at", "revision__content")
    counts: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for created_at, content in approvals:
        covered_keys = {key for item in content.get("items", []) for key in item["scenarios"]}
        month = counts[month_of(created_at)]
        month[0] += 1
        for scenario in content.get("scenarios", []):
            month[1] += 1
            if scenario["key"] in covered_keys:
                month[2] += 1
            elif scenario.get("out_of_scope_reason"):
                month[3] += 1
            else:
                month[4] += 1
    months = period.months()
    for first_day in months:
        n, total, covered, out, uncovered = counts.get(first_day, [0, 0, 0, 0, 0])
        result.rows.append(
            [month_label(first_day), n, total, covered, out, uncovered, percent(covered, total)]
        )
    totals = [sum(c[i] for c in counts.values()) for i in range(5)]
    result.rows.append(["total", *totals, percent(totals[2], totals[1])])
    labels = [month_label(m) for m in months]
    rows = result.rows[:-1]
    result.charts.append(
        column_chart(
            result.title,
            labels,
            [
                Series(str(Text("Covered", "已覆盖")), [percent(r[3], r[2]) for r in rows]),
                Series(
                    str(Text("Out of scope", "不在范围内")), [percent(r[4], r[2]) for r in rows]
                ),
                Series(
                    str(Text("Uncovered", "未覆盖")), [percent(r[5], r[2]) for r in rows], "#D55E00"
                ),
            ],
            stacked=True,
            unit="%",
            top=100,
        )
    )
    result.headline = [
        (str(Text("Approvals", "评审通过数")), str(totals[0])),
        (str(Text("Coverage", "覆盖率")), _pct(percent(totals[2], totals[1]))),
        (str(Text("Out of scope", "不在范围内")), _pct(percent(totals[3], totals[1]))),
    ]
    return result


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g} d"


# The steps of the process, each from the first time one audit action happened to the first
# time another did. Alignment starts at the meeting's scheduling, or at approval without one.
STEPS = [
    (
        "hand_off",
        Text("Hand-off", "需求传达"),
        ("requirement.handed_off",),
        "requirement.hand_off_completed",
    ),
    (
        "plan",
        Text("Own-side plan", "我方方案"),
        ("requirement.hand_off_completed",),
        "plan.submitted",
    ),
    ("review", Text("Review", "评审"), ("plan.submitted",), "plan.approved"),
    ("meeting", Text("Meeting set-up", "会议安排"), ("plan.approved",), "meeting.scheduled"),
    (
        "alignment",
        Text("Alignment and sign-off", "对齐与签认"),
        ("meeting.scheduled", "plan.approved"),
        "plan.finalized",
    ),
    (
        "total",
        Text("Hand-off to baseline", "传达到基线"),
        ("requirement.handed_off",),
        "plan.finalized",
    ),
]


@report(
    "lead-time",
    Text("Lead time per step", "各步骤耗时"),
    Text(
        "Calendar days each step took, from the audit log: from the first time the step began "
        "to the first time it ended (so the first baseline, not later change requests); "
        "counted in the period when the step ended. Median, and 90th percentile by nearest "
        "rank.",
        "依据审计日志计算各步骤的自然日耗时：从该步骤首次开始到首次结束（即首个基线，"
        "不含后续变更）；"
        "按步骤结束所在的时间段统计。给出中位数和 90 分位数（最近秩法）。",
    ),
)
def lead_time(scope: Scope, period: Period, user: Any) -> Report:
    result = _new(
        "lead-time",
        scope,
        period,
        [
            Column("step", Text("Key", "键"), is_csv_only=True),
            Column("name", Text("Step", "步骤")),
            Column("requirements", Text("Requirements", "需求数")),
            Column("median_days", Text("Median (days)", "中位数（天）")),
            Column("p90_days", Text("90th percentile (days)", "90 分位（天）")),
        ],
    )
    actions = {a for _k, _l, starts, end in STEPS for a in (*starts, end)}
    first: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    for requirement_id, action, at in (
        AuditEvent.objects.filter(
            requirement__in=_led(scope, user), action__in=actions, outcome=AuditEvent.Outcome.DONE
        )
        .order_by()
        .values("requirement_id", "action")
        .annotate(at=Min("occurred_at"))
        .values_list("requirement_id", "action", "at")
    ):
        first[requirement_id][action] = at
    medians, p90s = [], []
    for key, label, starts, end in STEPS:
        durations = []
        for times in first.values():
            began = next((times[a] for a in starts if a in times), None)
            ended = times.get(end)
            if began and ended and ended >= began and period.contains(ended):
                durations.append((ended - began).total_seconds() / 86400)
        medians.append(median(durations))
        p90s.append(p90(durations))
        result.rows.append([key, str(label), len(durations), medians[-1], p90s[-1]])
    labels = [str(label) for _k, label, _s, _e in STEPS]
    result.charts.append(
        column_chart(
            result.title,
            labels,
            [
                Series(str(Text("Median", "中位数")), medians),
                Series(str(Text("90th percentile", "90 分位")), p90s),
            ],
            unit="d",
        )
    )
    result.headline = [
        (str(Text("Hand-off to baseline, median", "传达到基线中位数")), _days(medians[-1])),
        (str(Text("90th percentile", "90 分位")), _days(p90s[-1])),
        (str(Text("Baselines", "基线数")), str(result.rows[-1][2])),
    ]
    return result


def _monthly_share(
    result: Report, period: Period, counts: dict[dt.date, list[int]], series: Text, colour: str
) -> list[int]:
    """Rows month by month (how many, how many of them hit, the share %), a total row and the
    share as a chart; `counts` holds [how many, hits] per month. Returns the totals."""
    months = period.months()
    for month in months:
        n, hits = counts.get(month, [0, 0])
        result.rows.append([month_label(month), n, hits, percent(hits, n)])
    total = [sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())]
    result.rows.append(["total", *total, percent(total[1], total[0])])
    shares = [row[3] for row in result.rows[:-1]]
    result.charts.append(
        column_chart(
            result.title,
            [month_label(m) for m in months],
            [Series(str(series), shares, colour)],
            unit="%",
            top=100,
        )
    )
    return total


@report(
    "finalized-before-dev",
    Text("Finalized before development started", "开发开始前已敲定"),
    Text(
        "Requirements whose planned development start falls in the period (up to today): the "
        "share whose first baseline was finalized before that day, by month of the planned "
        "start.",
        "计划开发开始日期在该时间段内（截至今天）的需求中，首个基线在该日期之前敲定的占比，"
        "按计划开始月份统计。",
    ),
)
def finalized_before_dev(scope: Scope, period: Period, user: Any) -> Report:
    result = _new(
        "finalized-before-dev",
        scope,
        period,
        [
            MONTH,
            Column("requirements", Text("Requirements", "需求数")),
            Column("finalized_before", Text("Finalized before", "开发前敲定")),
            Column("share_pct", Text("Share %", "占比 %")),
        ],
    )
    result.detail_columns = [
        Column("requirement", Text("Requirement", "需求")),
        Column("planned_dev_start", Text("Planned development start", "计划开发开始")),
        Column("finalized_on", Text("First baseline", "首个基线")),
    ]
    last = min(period.end, timezone.localdate())
    rows = (
        _led(scope, user)
        .filter(planned_dev_start_on__gte=period.start, planned_dev_start_on__lte=last)
        .annotate(first_baseline=Min("baselines__finalized_at"))
        .order_by("planned_dev_start_on", "number")
        .values_list("number", "planned_dev_start_on", "first_baseline")
    )
    counts: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for number, planned, finalized_at in rows:
        assert planned is not None  # the filter keeps requirements with a planned start
        finalized_on = timezone.localtime(finalized_at).date() if finalized_at else None
        on_time = finalized_on is not None and finalized_on < planned
        counts[month_of(planned)][0] += 1
        counts[month_of(planned)][1] += on_time
        if not on_time:
            result.details.append([Requirement.key_of(number), planned, finalized_on])
    total = _monthly_share(
        result, period, counts, Text("Finalized before development", "开发前敲定"), "#009E73"
    )
    result.headline = [
        (
            str(Text("Share finalized before development", "开发前敲定占比")),
            _pct(percent(total[1], total[0])),
        ),
        (str(Text("Requirements", "需求数")), str(total[0])),
    ]
    return result


@report(
    "realignment",
    Text("Re-alignment rate", "重新对齐率"),
    Text(
        "Requirements first baselined in the period: the share that had to be aligned again "
        "through at least one change request (withdrawn ones not counted), by month of the "
        "first baseline.",
        "在该时间段内首次形成基线的需求中，至少经历一次变更"
        "（不含撤回的变更）而需要重新对齐的占比，按首个基线月份统计。",
    ),
)
def realignment(scope: Scope, period: Period, user: Any) -> Report:
    result = _new(
        "realignment",
        scope,
        period,
        [
            MONTH,
            Column("baselined", Text("Baselined", "形成基线")),
            Column("realigned", Text("Re-aligned", "重新对齐")),
            Column("rate_pct", Text("Rate %", "比率 %")),
        ],
    )
    result.detail_columns = [
        Column("requirement", Text("Requirement", "需求")),
        Column("first_baseline", Text("First baseline", "首个基线")),
        Column("change_requests", Text("Change requests", "变更数")),
    ]
    rows = (
        _led(scope, user)
        .annotate(
            first_baseline=Min("baselines__finalized_at"),
            changes=Count(
                "change_requests",
                distinct=True,
                filter=~Q(change_requests__status=ChangeRequest.Status.WITHDRAWN),
            ),
        )
        .filter(first_baseline__gte=period.since, first_baseline__lt=period.until)
        .order_by("first_baseline")
        .values_list("number", "first_baseline", "changes")
    )
    counts: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for number, first_baseline, changes in rows:
        counts[month_of(first_baseline)][0] += 1
        counts[month_of(first_baseline)][1] += changes > 0
        if changes:
            result.details.append(
                [Requirement.key_of(number), timezone.localtime(first_baseline).date(), changes]
            )
    total = _monthly_share(result, period, counts, Text("Re-aligned", "重新对齐"), "#E69F00")
    result.headline = [
        (str(Text("Re-alignment rate", "重新对齐率")), _pct(percent(total[1], total[0]))),
        (str(Text("Baselined", "形成基线")), str(total[0])),
    ]
    return result


def _changes_in(scope: Scope, period: Period, user: Any) -> QuerySet[ChangeRequest]:
    """Change requests opened in the period on requirements the scope leads, withdrawn ones
    left out."""
    return ChangeRequest.objects.filter(
        requirement__in=_led(scope, user),
        opened_at__gte=period.since,
        opened_at__lt=period.until,
    ).exclude(status=ChangeRequest.Status.WITHDRAWN)


def _count_and_cost(rows: Any) -> dict[str, list[int]]:
    """key -> [changes, weighted cost] from (key, cost weight) rows."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, weight in rows:
        counts[key][0] += 1
        counts[key][1] += weight
    return counts


@report(
    "change-cost",
    Text("Changes by phase found, and their cost", "按发现阶段统计的变更及其成本"),
    Text(
        "Change requests opened in the period (withdrawn ones not counted), by the phase in "
        "which the gap was found, with the cost weight each carried from the organisation's "
        "cost-of-change curve. The weighted cost by phase is the curve the organisation paid.",
        "在该时间段内提出的变更（不含撤回的），按发现缺口的阶段统计，"
        "并给出每个变更按组织的变更成本曲线所计的成本权重。"
        "各阶段的加权成本就是组织实际付出的成本曲线。",
    ),
)
def change_cost(scope: Scope, period: Period, user: Any) -> Report:
    result = _new(
        "change-cost",
        scope,
        period,
        [
            Column("phase", Text("Key", "键"), is_csv_only=True),
            Column("name", Text("Phase found", "发现阶段")),
            Column("changes", Text("Changes", "变更数")),
            Column("weight", Text("Weight per change", "单个权重")),
            Column("weighted_cost", Text("Weighted cost", "加权成本")),
            Column("cost_share_pct", Text("Share of cost %", "成本占比 %")),
        ],
    )
    policy = OrgPolicy.objects.filter(pk=1).first()
    curve = {**DEFAULT_COST_CURVE, **((policy.cost_curve or {}) if policy else {})}
    counts = _count_and_cost(
        _changes_in(scope, period, user).values_list("phase_found", "cost_weight")
    )
    total_cost = sum(c[1] for c in counts.values())
    for phase in PHASE_ORDER:
        n, cost = counts.get(phase, [0, 0])
        name = str(PHASE_NAMES[Phase(phase)])
        result.rows.append([phase, name, n, int(curve[phase]), cost, percent(cost, total_cost)])
    total_changes = sum(c[0] for c in counts.values())
    result.rows.append(
        ["total", "", total_changes, None, total_cost, 100.0 if total_cost else None]
    )
    labels = [str(PHASE_NAMES[Phase(p)]) for p in PHASE_ORDER]
    rows = result.rows[:-1]
    result.charts.append(
        line_chart(
            str(
                Text(
                    "Cost-of-change curve: weighted cost by phase found",
                    "变更成本曲线：按发现阶段的加权成本",
                )
            ),
            labels,
            [Series(str(Text("Weighted cost", "加权成本")), [r[4] for r in rows], "#D55E00")],
        )
    )
    result.charts.append(
        column_chart(
            str(Text("Changes by phase found", "按发现阶段的变更数")),
            labels,
            [Series(str(Text("Changes", "变更数")), [r[2] for r in rows])],
        )
    )
    late = sum(r[4] for r in rows if PHASE_ORDER.index(r[0]) >= PHASE_ORDER.index("testing"))
    result.headline = [
        (str(Text("Changes", "变更数")), str(total_changes)),
        (str(Text("Weighted cost", "加权成本")), str(total_cost)),
        (
            str(Text("Cost found in testing or later", "测试及之后发现的成本占比")),
            _pct(percent(late, total_cost)),
        ),
    ]
    return result


@report(
    "change-causes",
    Text("Cost of change by root cause", "按根因统计的变更成本"),
    Text(
        "Change requests opened in the period (withdrawn ones not counted), by the root cause "
        "recorded when each was opened: why the alignment missed the gap. Their weighted cost "
        "shows which kind of miss costs the organisation most. Change requests opened before "
        "root causes were asked for count as not recorded.",
        "在该时间段内提出的变更（不含撤回的），按提出时记录的根因（对齐为何漏掉该缺口）统计，"
        "加权成本显示哪类遗漏让组织付出最多。在要求记录根因之前提出的变更计为“未记录”。",
    ),
)
def change_causes(scope: Scope, period: Period, user: Any) -> Report:
    result = _new(
        "change-causes",
        scope,
        period,
        [
            Column("root_cause", Text("Key", "键"), is_csv_only=True),
            Column("name", Text("Root cause", "根因")),
            Column("changes", Text("Changes", "变更数")),
            Column("weighted_cost", Text("Weighted cost", "加权成本")),
            Column("cost_share_pct", Text("Share of cost %", "成本占比 %")),
        ],
    )
    counts = _count_and_cost(
        _changes_in(scope, period, user).values_list("root_cause", "cost_weight")
    )
    total_cost = sum(c[1] for c in counts.values())
    for cause, label in RootCause.choices:
        n, cost = counts.get(cause, [0, 0])
        result.rows.append([cause, str(label), n, cost, percent(cost, total_cost)])
    total_changes = sum(c[0] for c in counts.values())
    result.rows.append(["total", "", total_changes, total_cost, 100.0 if total_cost else None])
    rows = result.rows[:-1]
    result.charts.append(
        column_chart(
            str(result.title),
            [r[1] for r in rows],
            [Series(str(Text("Weighted cost", "加权成本")), [r[3] for r in rows], "#D55E00")],
        )
    )
    top = max(rows, key=lambda r: r[3])
    result.headline = [
        (str(Text("Changes", "变更数")), str(total_changes)),
        (str(Text("Weighted cost", "加权成本")), str(total_cost)),
        (str(Text("Costliest root cause", "成本最高的根因")), top[1] if top[3] else "—"),
    ]
    return result


@report(
    "realignment-pairs",
    Text("Re-alignment per lead team and party", "按主导方与关联方统计的重新对齐"),
    Text(
        "Change requests opened in the period (withdrawn ones not counted) on requirements the "
        "scope leads, per pair of the lead team and an affected party (other than the lead "
        "team): how many requirements had to be aligned again with that party, through how "
        "many change requests, at what weighted cost.",
        "在该时间段内、该范围主导的需求上提出的变更（不含撤回的），按主导方与受影响的关联方"
        "（主导方自身除外）成对统计：有多少需求需要与该关联方重新对齐、经过多少个变更、"
        "加权成本多少。",
    ),
)
def realignment_pairs(scope: Scope, period: Period, user: Any) -> Report:
    result = _new(
        "realignment-pairs",
        scope,
        period,
        [
            Column("lead_team", Text("Lead team", "主导方")),
            Column("party", Text("Party", "关联方")),
            Column("requirements", Text("Requirements", "需求数")),
            Column("changes", Text("Changes", "变更数")),
            Column("weighted_cost", Text("Weighted cost", "加权成本")),
        ],
    )
    pairs: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [set(), 0, 0])
    for requirement_id, lead, party, weight in (
        ChangeRequest.affected_teams.through.objects.filter(
            changerequest__in=_changes_in(scope, period, user)
        )
        .exclude(team=F("changerequest__requirement__lead_team"))
        .values_list(
            "changerequest__requirement_id",
            "changerequest__requirement__lead_team__name",
            "team__name",
            "changerequest__cost_weight",
        )
    ):
        pair = pairs[(lead, party)]
        pair[0].add(requirement_id)
        pair[1] += 1
        pair[2] += weight
    ordered = sorted(pairs.items(), key=lambda p: (-p[1][2], p[0]))
    for (lead, party), (requirements, changes, cost) in ordered:
        result.rows.append([lead, party, len(requirements), changes, cost])
    result.rows.append(
        [
            "total",
            "",
            len(set().union(*(p[0] for p in pairs.values()))) if pairs else 0,
            sum(p[1] for p in pairs.values()),
            sum(p[2] for p in pairs.values()),
        ]
    )
    if ordered:
        result.charts.append(
            column_chart(
                str(result.title),
                [f"{lead} → {party}" for (lead, party), _counts in ordered[:12]],
                [Series(str(Text("Weighted cost", "加权成本")), [c[2] for _p, c in ordered[:12]])],
            )
        )
    result.headline = [
        (str(Text("Pairs", "对数")), str(len(ordered))),
        (
            str(Text("Costliest pair", "成本最高的一对")),
            f"{ordered[0][0][0]} → {ordered[0][0][1]}" if ordered else "—",
        ),
    ]
    return result


@report(
    "findings",
    Text("Health findings over time", "流程健康问题趋势"),
    Text(
        "Findings of the process-health rules (the same as `techalign lint`), by the month in "
        "which the departure happened, errors and warnings, and per rule. A team's findings "
        "include those on requirements it is a related party to.",
        "流程健康规则发现的问题（与 techalign lint 相同），按问题发生的月份统计错误和警告数，"
        "并按规则细分。"
        "小组的问题包括其作为关联方参与的需求。",
    ),
)
def findings(scope: Scope, period: Period, user: Any) -> Report:
    codes = list(RULES)
    result = _new(
        "findings",
        scope,
        period,
        [
            MONTH,
            Column("errors", Text("Errors", "错误")),
            Column("warnings", Text("Warnings", "警告")),
            *[Column(code, Text(code, code)) for code in codes],
        ],
    )
    counts: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    found = [
        f
        for f in evaluate(scope.requirements(user=user), team_ids=scope.team_ids)
        if period.contains(f.at)
    ]
    for finding in found:
        month = counts[month_of(finding.at)]
        month[str(finding.severity)] += 1
        month[finding.code] += 1
    months = period.months()
    for first_day in months:
        row = counts.get(first_day, {})
        result.rows.append(
            [
                month_label(first_day),
                row.get("error", 0),
                row.get("warning", 0),
                *[row.get(code, 0) for code in codes],
            ]
        )
    result.rows.append(
        ["total", *[sum(r[i] for r in result.rows) for i in range(1, len(codes) + 3)]]
    )
    result.charts.append(
        column_chart(
            result.title,
            [month_label(m) for m in months],
            [
                Series(str(Text("Errors", "错误")), [r[1] for r in result.rows[:-1]], "#D55E00"),
                Series(str(Text("Warnings", "警告")), [r[2] for r in result.rows[:-1]], "#E69F00"),
            ],
            stacked=True,
        )
    )
    errors = sum(1 for f in found if f.severity == Severity.ERROR)
    result.headline = [
        (str(Text("Errors", "错误")), str(errors)),
        (str(Text("Warnings", "警告")), str(len(found) - errors)),
    ]
    return result
