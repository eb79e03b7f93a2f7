"""A realistic organisation at scale S, written with bulk inserts into a fresh database.

At S=1: 20 departments, 200 teams, 2,000 users, 2,000 components, 20,000 requirements spread
over every step of the process, about 100,000 scenarios, 40,000 plan revisions, 200,000 items,
500,000 item-scenario links, 10,000 meetings with minutes, 30,000 sign-offs and 5,000 change
requests, with an audit chain that `techalign audit verify` accepts.

The rows are what the services would have written, only faster: statuses agree with revisions,
reviews, sign-offs and baselines; every revision's content and hash are what
`plans.selectors.canonical_content` and `content_hash` give for its items; approvals name a
reviewer who wrote none of the plan; finalized plans are covered and signed by every required
party. Everything follows from the seed: the same seed gives the same rows, ids included.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import json
import pickle
import random
import resource
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction

from techalign.audit.models import AuditEvent
from techalign.audit.services import GENESIS, audit_keys, event_hash
from techalign.core.db import refresh_planner_statistics
from techalign.meetings.models import ActionItem, Decision, Invitee, Meeting
from techalign.org.models import Component, Department, Membership, Role, Team, User
from techalign.plans.models import (
    Baseline,
    ChangeRequest,
    CurrentParty,
    Item,
    ItemKind,
    Milestone,
    Phase,
    Plan,
    Review,
    Revision,
    SignOff,
    Verdict,
)
from techalign.plans.sections import section_hash
from techalign.plans.selectors import content_hash
from techalign.requirements.models import Priority, Question, Requirement, Scenario, Status

# Every generated time is before this instant, so a seed gives the same rows on any day.
ANCHOR = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
BENCH_PASSWORD = "bench-password"
# Positions of the ten members of every team, and the roles they hold.
TEAM_SIZE = 10
TEAM_ROLES: list[tuple[str, ...]] = [
    (Role.PM,),
    (Role.PM,),
    (Role.DEV,),
    (Role.DEV,),
    (Role.DEV,),
    (Role.DEV,),
    (Role.DEV,),
    (Role.TECH_LEAD,),
    (Role.ARCHITECT,),
    (Role.DEV, Role.PM),
]
PM_SEATS, DEV_SEATS, TECH_LEAD_SEAT = (0, 1), (2, 3, 4, 5, 6), 7
# The share of requirements whose latest status is each step; finalized ones may later get a
# change request, which sends a few of them back to planning.
STATUS_WEIGHTS = {
    Status.DRAFT: 9,
    Status.HANDED_OFF: 9,
    Status.PLANNING: 14,
    Status.IN_REVIEW: 8,
    Status.APPROVED: 6,
    Status.ALIGNING: 8,
    Status.FINALIZED: 46,
}
CHANGE_REQUEST_SHARE = 0.55
# One requirement in this many has the large plan the coverage matrix is measured on.
LARGE_PLAN_EVERY = 2_000
LARGE_SCENARIOS, LARGE_ITEMS = 50, 100
CHUNK = 500

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲建林波斌宇浩凯健俊帆鑫鹤岚晨"
DOMAINS = [
    "交易",
    "支付",
    "会员",
    "营销",
    "搜索",
    "推荐",
    "物流",
    "仓储",
    "客服",
    "风控",
    "结算",
    "财务",
    "商品",
    "订单",
    "库存",
    "履约",
    "广告",
    "数据",
    "账号",
    "消息",
    "内容",
    "直播",
]
NOUNS = [
    "优惠券",
    "购物车",
    "退款",
    "发票",
    "积分",
    "签到",
    "拼团",
    "秒杀",
    "分账",
    "对账",
    "限购",
    "预售",
    "地址",
    "评价",
    "直播间",
    "工单",
    "保证金",
    "白名单",
    "配送时效",
    "价格保护",
]
VERBS = ["支持", "新增", "改造", "下线", "接入", "优化", "拆分", "迁移", "统一", "补充"]
EN_WORDS = [
    "order",
    "payment",
    "refund",
    "coupon",
    "cart",
    "invoice",
    "points",
    "settlement",
    "ledger",
    "stock",
    "shipment",
    "address",
    "review",
    "ticket",
    "risk",
    "quota",
    "price",
    "promotion",
    "campaign",
    "member",
    "account",
    "message",
    "search",
    "feed",
]
KINDS = list(ItemKind.values)
COMPONENT_KINDS = list(Component.Kind.values)
PHASE_WEIGHTS = {
    Phase.REQUIREMENTS: 10,
    Phase.DESIGN: 25,
    Phase.DEVELOPMENT: 30,
    Phase.TESTING: 20,
    Phase.RELEASE: 8,
    Phase.PRODUCTION: 7,
}
COST = {
    "requirements": 1,
    "design": 3,
    "development": 7,
    "testing": 15,
    "release": 30,
    "production": 100,
}


@dataclass(frozen=True)
class Sizes:
    """Row counts that follow from the scale; tiny scales keep enough of each to be a process."""

    departments: int
    teams: int
    users: int
    components: int
    requirements: int

    @classmethod
    def of(cls, scale: float) -> Sizes:
        if scale <= 0:
            raise ValueError("the scale must be positive")
        teams = max(6, round(200 * scale))
        return cls(
            departments=max(2, round(20 * scale)),
            teams=teams,
            users=teams * TEAM_SIZE,
            components=teams * 10,
            requirements=max(12, round(20_000 * scale)),
        )


class Progress:
    """A one-line progress bar on a terminal stream; silent when `stream` is None."""

    def __init__(self, stream: TextIO | None, label: str, total: int) -> None:
        self.stream, self.label, self.total = stream, label, max(total, 1)
        self.done = 0
        self.started = time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.stream is None:
            return
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * 30)
        elapsed = time.monotonic() - self.started
        self.stream.write(
            f"\r{self.label:<14} [{bar:<30}] {share:6.1%} {self.done}/{self.total} {elapsed:6.1f}s"
        )
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


@contextlib.contextmanager
def explicit_times() -> Iterator[None]:
    """Let the generator write its own creation times: auto_now(_add) would stamp them all now."""
    patched = []
    for model in (
        Requirement,
        Question,
        Plan,
        Revision,
        Review,
        SignOff,
        ChangeRequest,
        Baseline,
        Milestone,
        Meeting,
        Decision,
    ):
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                patched.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in patched:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class Rows:
    """Rows of one chunk, per model, in the order they are inserted."""

    by_model: dict[type[models.Model], list[models.Model]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, row: models.Model) -> models.Model:
        self.by_model[type(row)].append(row)
        return row

    def write(self, counts: dict[str, int]) -> None:
        for model, rows in self.by_model.items():
            model.objects.bulk_create(rows, batch_size=2_000)
            counts[model._meta.label] = counts.get(model._meta.label, 0) + len(rows)
        self.by_model.clear()


class Event(NamedTuple):
    """One audit event before the chain is ordered and hashed; its target already reduced to
    the type, id and label the chain stores, so no row object outlives its chunk."""

    at: dt.datetime
    requirement_id: int
    actor_id: int | None
    action: str
    target_type: str
    target_id: str
    target_label: str
    summary: dict[str, Any]


def _chain_order(event: Event) -> tuple[dt.datetime, int]:
    return event.at, event.requirement_id


class EventRuns:
    """The audit events of the whole organisation, out of memory: each chunk's events are
    sorted and pickled into a temporary file (a run), and the chain reads them back merged in
    time order. Memory stays that of one chunk however large the scale (at S=10 the events
    alone, held as objects, would take gigabytes)."""

    BLOCK = 256

    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="techalign-seed-events-")
        self.paths: list[Path] = []
        self.count = 0

    def spill(self, events: list[Event]) -> None:
        if not events:
            return
        # Events of one requirement all fall in one chunk, so a stable sort per chunk and a
        # merge that prefers earlier runs on ties give the order of one global stable sort.
        events.sort(key=_chain_order)
        path = Path(self.folder.name) / f"run-{len(self.paths):05d}.pickle"
        with path.open("wb") as out:
            for start in range(0, len(events), self.BLOCK):
                pickle.dump(events[start : start + self.BLOCK], out, pickle.HIGHEST_PROTOCOL)
        self.paths.append(path)
        self.count += len(events)

    @staticmethod
    def _read(path: Path) -> Iterator[Event]:
        with path.open("rb") as source:
            while True:
                try:
                    block = pickle.load(source)
                except EOFError:
                    return
                yield from block

    def merged(self) -> Iterator[Event]:
        return heapq.merge(*(self._read(p) for p in self.paths), key=_chain_order)

    def close(self) -> None:
        self.folder.cleanup()


@dataclass
class Org:
    """The organisation's people and catalog, as ids, for the requirement builder."""

    team_ids: list[int]
    team_codes: dict[int, str]
    team_names: dict[int, str]
    # team id -> user id by seat position (see TEAM_ROLES)
    seats: dict[int, list[int]]
    usernames: dict[int, str]
    components: dict[int, list[tuple[int, str]]]  # team id -> [(component id, key)]
    neighbours: dict[int, list[int]]


class Generator:
    """Builds and writes the organisation; `run()` returns the row counts per model."""

    def __init__(
        self,
        scale: float,
        seed: int,
        stream: TextIO | None = None,
        large_shape: tuple[int, int] = (LARGE_SCENARIOS, LARGE_ITEMS),
    ) -> None:
        self.sizes = Sizes.of(scale)
        self.large_scenarios, self.large_items = large_shape
        self.large_numbers = set(large_plan_numbers(scale))
        self.rng = random.Random(seed)
        self.stream = stream
        self.counts: dict[str, int] = {}
        self.ids: dict[type[models.Model], int] = defaultdict(int)
        # The current chunk's events; spilled to `runs` once the chunk's rows are written.
        self.events: list[Event] = []
        self.runs = EventRuns()

    def next_id(self, model: type[models.Model]) -> int:
        self.ids[model] += 1
        return self.ids[model]

    def run(self) -> dict[str, int]:
        if Requirement.objects.exists() or User.objects.exists():
            raise RuntimeError("the database is not empty: seed a fresh database")
        started, cpu_started = time.monotonic(), time.process_time()
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            # A generated database is thrown away on a crash: skip the fsyncs of every commit.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-500000")
        with explicit_times():
            with transaction.atomic():
                org = self.write_org()
            progress = Progress(self.stream, "requirements", self.sizes.requirements)
            numbers = list(range(1, self.sizes.requirements + 1))
            for start in range(0, len(numbers), CHUNK):
                rows = Rows()
                for number in numbers[start : start + CHUNK]:
                    RequirementBuilder(self, org, rows, number).build()
                with transaction.atomic():
                    rows.write(self.counts)
                self.runs.spill(self.events)
                self.events = []
                progress.advance(len(numbers[start : start + CHUNK]))
            with transaction.atomic():
                self.write_audit_chain()
        self.reset_sequences()
        # As `techalign worker` keeps them on a live installation.
        refresh_planner_statistics()
        self.counts["seconds"] = round(time.monotonic() - started, 1)
        # On a shared machine the wall time says more about the neighbours than the generator.
        self.counts["cpu_seconds"] = round(time.process_time() - cpu_started, 1)
        # The process's peak resident memory so far (kilobytes on Linux).
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.counts["peak_rss_mb"] = round(peak_kb / 1024)
        return self.counts

    # --- organisation ------------------------------------------------------------------------

    def write_org(self) -> Org:
        rng, sizes = self.rng, self.sizes
        rows = Rows()
        departments = [
            rows.add(
                Department(
                    id=self.next_id(Department),
                    code=f"d{d:02d}",
                    name=f"{DOMAINS[d % len(DOMAINS)]}事业部 {d}",
                )
            )
            for d in range(1, sizes.departments + 1)
        ]
        password = make_password(BENCH_PASSWORD)
        joined = ANCHOR - dt.timedelta(days=1500)
        org = Org([], {}, {}, {}, {}, {}, {})
        for t in range(1, sizes.teams + 1):
            department = departments[(t - 1) % len(departments)]
            team = rows.add(
                Team(
                    id=self.next_id(Team),
                    code=f"t{t:03d}",
                    department=department,
                    name=f"{DOMAINS[t % len(DOMAINS)]}{NOUNS[t % len(NOUNS)]}组 {t}",
                    is_committee=t == 1,
                )
            )
            org.team_ids.append(team.pk)
            org.team_codes[team.pk] = team.code
            org.team_names[team.pk] = team.name
            org.seats[team.pk] = []
            for position, roles in enumerate(TEAM_ROLES):
                user = rows.add(
                    User(
                        id=self.next_id(User),
                        username=f"u{team.pk:03d}{position}",
                        display_name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
                        email=f"u{team.pk:03d}{position}@example.com",
                        password=password,
                        language="en" if rng.random() < 0.2 else "zh-hans",
                        date_joined=joined,
                        is_active=True,
                    )
                )
                org.seats[team.pk].append(user.pk)
                org.usernames[user.pk] = user.username
                for role in roles:
                    rows.add(
                        Membership(
                            id=self.next_id(Membership), user_id=user.pk, team_id=team.pk, role=role
                        )
                    )
            org.components[team.pk] = []
            for c in range(10):
                key = f"{team.code}-{rng.choice(EN_WORDS)}-{c}"
                component = rows.add(
                    Component(
                        id=self.next_id(Component),
                        key=key,
                        name=f"{key} service",
                        kind=rng.choice(COMPONENT_KINDS),
                        owner_team_id=team.pk,
                        description=f"{team.name} 的 {rng.choice(EN_WORDS)} 服务",
                    )
                )
                org.components[team.pk].append((component.pk, component.key))
        # Most cross-team work goes to a few platform teams and a handful of neighbours.
        platform = org.team_ids[: max(2, len(org.team_ids) // 10)]
        for team_id in org.team_ids:
            others = [t for t in org.team_ids if t != team_id]
            near = rng.sample(others, min(4, len(others)))
            org.neighbours[team_id] = [*near, *(p for p in platform if p != team_id)]
        rows.write(self.counts)
        return org

    # --- audit chain -------------------------------------------------------------------------

    def write_audit_chain(self) -> None:
        """A reduced but valid chain: the main transition of every step, in time order."""
        progress = Progress(self.stream, "audit chain", self.runs.count)
        prev, batch = GENESIS, []
        key = audit_keys()[0]
        for seq, event in enumerate(self.runs.merged(), start=1):
            row = AuditEvent(
                id=seq,
                seq=seq,
                occurred_at=event.at,
                actor_id=event.actor_id,
                action=event.action,
                outcome=AuditEvent.Outcome.DONE,
                target_type=event.target_type,
                target_id=event.target_id,
                target_label=event.target_label,
                requirement_id=event.requirement_id,
                summary=event.summary,
                prev_hash=prev,
            )
            row.hash = prev = event_hash(row, key)
            batch.append(row)
            if len(batch) == 5_000:
                AuditEvent.objects.bulk_create(batch)
                progress.advance(len(batch))
                batch = []
        AuditEvent.objects.bulk_create(batch)
        progress.advance(len(batch))
        self.counts["audit.AuditEvent"] = self.runs.count
        self.runs.close()

    def reset_sequences(self) -> None:
        """Ids were given explicitly; PostgreSQL's sequences must move past them."""
        statements = connection.ops.sequence_reset_sql(no_style(), _all_models())
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


def _all_models() -> list[type[models.Model]]:
    return [
        Department,
        Team,
        User,
        Membership,
        Component,
        Requirement,
        Scenario,
        Question,
        Plan,
        Revision,
        Item,
        Item.scenarios.through,
        CurrentParty,
        Review,
        SignOff,
        ChangeRequest,
        ChangeRequest.affected_teams.through,
        Baseline,
        Milestone,
        Meeting,
        Invitee,
        Decision,
        ActionItem,
        AuditEvent,
    ]


def _text(rng: random.Random, words: int) -> str:
    return "，".join(
        rng.choice(VERBS) + rng.choice(DOMAINS) + rng.choice(NOUNS) + rng.choice(EN_WORDS)
        for _ in range(words)
    )


@dataclass
class ItemSpec:
    """An item as it stands in one revision, before it becomes a row."""

    number: int
    component_id: int
    component_key: str
    owner_team_id: int
    kind: str
    title: str
    description: str
    ask: str
    due_on: dt.date | None
    author_id: int
    scenario_numbers: list[int]

    def changed(self, rng: random.Random, author_id: int) -> ItemSpec:
        extra = f"（变更：{rng.choice(VERBS)}{rng.choice(NOUNS)}）"
        return ItemSpec(
            **{**self.__dict__, "description": self.description + extra, "author_id": author_id}
        )


class RequirementBuilder:
    """One requirement's life up to its generated status, as rows and audit events."""

    def __init__(self, gen: Generator, org: Org, rows: Rows, number: int) -> None:
        self.gen, self.org, self.rows, self.number = gen, org, rows, number
        self.rng = gen.rng
        self.is_large = number in gen.large_numbers

    # --- helpers -----------------------------------------------------------------------------

    def event(
        self,
        at: dt.datetime,
        actor_id: int | None,
        action: str,
        target: models.Model,
        **summary: Any,
    ) -> None:
        # The label as the chain stores it, taken now: the row objects go with their chunk.
        self.gen.events.append(
            Event(
                at,
                self.req.pk,
                actor_id,
                action,
                target._meta.label_lower,
                str(target.pk),
                str(target)[:200],
                summary,
            )
        )

    def later(self, at: dt.datetime, low_hours: float, high_hours: float) -> dt.datetime:
        moved = at + dt.timedelta(hours=self.rng.uniform(low_hours, high_hours) * self.pace)
        return min(moved, ANCHOR - dt.timedelta(minutes=1))

    def seat(self, team_id: int, position: int) -> int:
        return self.org.seats[team_id][position]

    # --- the life of one requirement ---------------------------------------------------------

    def build(self) -> None:
        rng, org, gen = self.rng, self.org, self.gen
        statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
        status = Status.ALIGNING if self.is_large else rng.choices(statuses, weights)[0]
        reached = list(STATUS_WEIGHTS).index(status)
        # Older requirements are further along; a year and more for most finalized ones.
        age_days = rng.uniform(1, 30) + reached * rng.uniform(10, 160)
        created = ANCHOR - dt.timedelta(days=age_days)
        # Steps are spread over the age, so even the newest requirement's times stay in the past.
        self.pace = max(age_days * 24 / 900, 0.05)
        team_id = rng.choice(org.team_ids)
        owner = self.seat(team_id, rng.choice(PM_SEATS))
        lead_dev = self.seat(team_id, rng.choice(DEV_SEATS))
        self.team_id, self.owner, self.lead_dev = team_id, owner, lead_dev
        dev_start = (created + dt.timedelta(days=rng.randint(20, 60))).date()
        self.req = req = self.rows.add(
            Requirement(
                id=gen.next_id(Requirement),
                number=self.number,
                title=f"{rng.choice(DOMAINS)}{rng.choice(VERBS)}{rng.choice(NOUNS)} #{self.number}",
                lead_team_id=team_id,
                owner_id=owner,
                lead_dev_id=lead_dev,
                user_stories=f"作为{rng.choice(DOMAINS)}用户，我希望{_text(rng, 2)}。",
                business_process=_text(rng, 3),
                status=status,
                is_private=rng.random() < 0.05,
                planned_dev_start_on=dev_start,
                planned_launch_on=dev_start + dt.timedelta(days=rng.randint(20, 90)),
                created_at=created,
            )
        )
        self.event(
            created,
            owner,
            "requirement.created",
            req,
            title=req.title,
            lead_team=org.team_codes[team_id],
        )
        count = gen.large_scenarios if self.is_large else rng.randint(2, 8)
        self.scenarios = [
            self.rows.add(
                Scenario(
                    id=gen.next_id(Scenario),
                    requirement_id=req.pk,
                    number=n,
                    title=f"S-{n} {rng.choice(NOUNS)}{rng.choice(VERBS)}",
                    description=_text(rng, 2),
                    priority=rng.choice(Priority.values),
                    acceptance_criteria=f"给定{rng.choice(NOUNS)}，当{rng.choice(VERBS)}时，应当成功",
                )
            )
            for n in range(1, count + 1)
        ]
        req.next_scenario_number = count + 1
        self.question_number = 0
        self.parties: set[int] = set()
        writes = 1 + count
        if status != Status.DRAFT:
            writes += self.hand_off(created, status)
        if reached >= list(STATUS_WEIGHTS).index(Status.PLANNING):
            writes += self.plan_and_beyond(status)
        req.version = writes
        for team_id in sorted(self.parties):
            self.rows.add(
                CurrentParty(id=gen.next_id(CurrentParty), requirement_id=req.pk, team_id=team_id)
            )

    def hand_off(self, created: dt.datetime, status: str) -> int:
        rng, req = self.rng, self.req
        at = req.handed_off_at = self.later(created, 4, 72)
        self.event(
            at, self.owner, "requirement.handed_off", req, to=self.org.usernames[self.lead_dev]
        )
        writes = 1
        pending = []
        if status == Status.HANDED_OFF:
            pending = [s for s in self.scenarios if rng.random() < 0.4]
        for s in self.scenarios:
            if s in pending:
                continue
            s.acknowledged_by_id, s.acknowledged_at = self.lead_dev, self.later(at, 1, 48)
            writes += 1
        if pending and rng.random() < 0.6:
            self.question(pending[0], Question.Stage.HAND_OFF, self.lead_dev, at, resolved=False)
        elif rng.random() < 0.3:
            self.question(
                self.scenarios[0], Question.Stage.HAND_OFF, self.lead_dev, at, resolved=True
            )
        if status == Status.HANDED_OFF:
            return writes
        self.at = req.hand_off_completed_at = self.later(at, 48, 120)
        self.event(self.at, self.lead_dev, "requirement.hand_off_completed", req)
        # The PM takes a few scenarios out of scope before the plan is written.
        if not self.is_large:
            for s in self.scenarios[1:]:
                if rng.random() < 0.03:
                    s.out_of_scope_reason = "本期不做：" + rng.choice(NOUNS)
                    s.out_of_scope_by_id, s.out_of_scope_at = self.owner, self.at
                    writes += 1
        return writes + 1

    def question(
        self,
        scenario: Scenario | None,
        stage: str,
        raised_by: int,
        at: dt.datetime,
        *,
        resolved: bool,
        meeting: Meeting | None = None,
        blocking: bool = False,
    ) -> Question:
        self.question_number += 1
        raised_at = self.later(at, 1, 24)
        question = self.rows.add(
            Question(
                id=self.gen.next_id(Question),
                requirement_id=self.req.pk,
                number=self.question_number,
                stage=stage,
                scenario=scenario,
                meeting=meeting,
                raised_by_id=raised_by,
                raised_at=raised_at,
                body=f"{rng_q(self.rng)}？",
                is_blocking=blocking,
            )
        )
        if resolved:
            # Accepted as answered, as old answers read after the thread migration.
            question.state = Question.State.ACCEPTED
            question.answer = "已确认：" + _text(self.rng, 1)
            question.resolved_by_id = self.owner
            question.resolved_at = self.later(raised_at, 1, 24)
        return question

    # --- step 2 onwards ----------------------------------------------------------------------

    def final_items(self, complete: bool) -> list[ItemSpec]:
        rng, org = self.rng, self.org
        in_scope = [s.number for s in self.scenarios if not s.out_of_scope_at]
        count = self.gen.large_items if self.is_large else rng.randint(3, 9)
        items = []
        for n in range(1, count + 1):
            if rng.random() < 0.32:
                owner = rng.choice(org.neighbours[self.team_id])
            else:
                owner = self.team_id
            component_id, component_key = rng.choice(org.components[owner])
            covers = {in_scope[(n - 1) % len(in_scope)]} if in_scope else set()
            for _ in range(rng.choice((1, 2, 2, 2, 3, 3))):
                covers.add(rng.choice(in_scope))
            cross = owner != self.team_id
            items.append(
                ItemSpec(
                    number=n,
                    component_id=component_id,
                    component_key=component_key,
                    owner_team_id=owner,
                    kind=rng.choice(KINDS),
                    title=f"{component_key} {rng.choice(VERBS)}{rng.choice(NOUNS)}",
                    description=_text(rng, 2),
                    ask=f"请{org.team_names[owner]}{rng.choice(VERBS)}{rng.choice(NOUNS)}接口"
                    if cross
                    else "",
                    due_on=(self.req.planned_dev_start_on + dt.timedelta(days=rng.randint(5, 40)))
                    if cross
                    else None,
                    author_id=self.lead_dev
                    if rng.random() < 0.8
                    else self.seat(self.team_id, rng.choice(DEV_SEATS)),
                    scenario_numbers=sorted(covers),
                )
            )
        covered = {n for item in items for n in item.scenario_numbers}
        for number in in_scope:
            if number not in covered:
                rng.choice(items).scenario_numbers.append(number)
        if not complete and len(in_scope) > 1:
            # A plan still being written: one scenario nobody has covered yet.
            gap = rng.choice(in_scope)
            for item in items:
                item.scenario_numbers = [n for n in item.scenario_numbers if n != gap] or (
                    [n for n in in_scope if n != gap][:1]
                )
        for item in items:
            item.scenario_numbers = sorted(set(item.scenario_numbers))
        return items

    def content(self, items: list[ItemSpec]) -> dict[str, Any]:
        """`plans.selectors.canonical_content` of these items, without reading them back."""
        req = self.req
        return {
            "requirement": {
                "key": f"REQ-{req.number}",
                "title": req.title,
                "user_stories": req.user_stories,
                "business_process": req.business_process,
            },
            "scenarios": [
                {
                    "key": f"S-{s.number}",
                    "title": s.title,
                    "description": s.description,
                    "priority": s.priority,
                    "acceptance_criteria": s.acceptance_criteria,
                    "out_of_scope_reason": s.out_of_scope_reason,
                }
                for s in self.scenarios
                if not s.is_withdrawn
            ],
            "items": [
                {
                    "key": f"I-{i.number}",
                    "component": i.component_key,
                    "owner_team": self.org.team_codes[i.owner_team_id],
                    "kind": i.kind,
                    "title": i.title,
                    "description": i.description,
                    "ask": i.ask,
                    "due_on": i.due_on.isoformat() if i.due_on else None,
                    "scenarios": sorted(f"S-{n}" for n in i.scenario_numbers),
                }
                for i in sorted(items, key=lambda i: i.number)
            ],
        }

    def revision(
        self,
        items: list[ItemSpec],
        summary: str,
        author: int,
        change_request: ChangeRequest | None = None,
    ) -> Revision:
        gen, rows = self.gen, self.rows
        self.at = self.later(self.at, 2, 96)
        self.revision_number += 1
        content = self.content(items)
        revision = rows.add(
            Revision(
                id=gen.next_id(Revision),
                plan_id=self.plan.pk,
                number=self.revision_number,
                author_id=author,
                created_at=self.at,
                change_kind=Revision.ChangeKind.ITEMS,
                summary=summary,
                content=content,
                content_hash=content_hash(content),
                change_request=change_request,
            )
        )
        scenario_ids = {s.number: s.pk for s in self.scenarios}
        link = Item.scenarios.through
        for spec in items:
            item = rows.add(
                Item(
                    id=gen.next_id(Item),
                    revision_id=revision.pk,
                    number=spec.number,
                    component_id=spec.component_id,
                    owner_team_id=spec.owner_team_id,
                    kind=spec.kind,
                    title=spec.title,
                    description=spec.description,
                    ask=spec.ask,
                    due_on=spec.due_on,
                    author_id=spec.author_id,
                )
            )
            for n in spec.scenario_numbers:
                rows.add(link(id=gen.next_id(link), item_id=item.pk, scenario_id=scenario_ids[n]))
        self.plan.current_revision_id = revision.pk
        self.parties = {spec.owner_team_id for spec in items}
        self.plan.next_item_number = max([i.number for i in items], default=0) + 1
        self.event(
            self.at,
            author,
            "plan.revised",
            revision,
            revision=revision.number,
            kind="items",
            change=summary,
            hash=revision.content_hash,
        )
        return revision

    def review(self, revision: Revision, verdict: str) -> None:
        self.at = self.later(self.at, 2, 48)
        reviewer = self.seat(self.team_id, TECH_LEAD_SEAT)
        self.rows.add(
            Review(
                id=self.gen.next_id(Review),
                revision_id=revision.pk,
                reviewer_id=reviewer,
                verdict=verdict,
                created_at=self.at,
                content_hash=revision.content_hash,
                comment="" if verdict == Verdict.APPROVED else "请补充" + self.rng.choice(NOUNS),
            )
        )
        action = "plan.approved" if verdict == Verdict.APPROVED else "plan.changes_requested"
        self.event(self.at, reviewer, action, revision, revision=revision.number)

    def submit(self, revision: Revision) -> None:
        self.at = self.later(self.at, 1, 24)
        revision.submitted_at, revision.submitted_by_id = self.at, self.lead_dev
        self.event(self.at, self.lead_dev, "plan.submitted", revision, revision=revision.number)

    def plan_and_beyond(self, status: str) -> int:
        rng, gen = self.rng, self.gen
        self.plan = self.rows.add(
            Plan(
                id=gen.next_id(Plan),
                requirement_id=self.req.pk,
                created_at=self.later(self.at, 1, 24),
            )
        )
        self.revision_number = 0
        complete = status != Status.PLANNING or rng.random() < 0.6
        final = self.final_items(complete)
        rounds = 3 if self.is_large else rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
        # Earlier revisions hold a growing prefix of the final items.
        revision = None
        for r in range(1, rounds + 1):
            upto = max(1, -(-len(final) * r // rounds))
            author = final[upto - 1].author_id
            revision = self.revision(final[:upto], f"I-{upto} added", author)
            if r == rounds - 1 and status != Status.PLANNING and rng.random() < 0.5:
                self.submit(revision)
                self.review(revision, Verdict.CHANGES_REQUESTED)
        assert revision is not None
        writes = rounds
        if status == Status.PLANNING:
            return writes
        self.submit(revision)
        if status == Status.IN_REVIEW:
            return writes + 1
        self.review(revision, Verdict.APPROVED)
        if status == Status.APPROVED:
            return writes + 2
        parties = sorted({i.owner_team_id for i in final} - {self.team_id})
        # Finalizing needs a held meeting where every party's PM and DEV came; the large plan
        # is always just out of its meeting with nobody signed yet: the same state at every
        # scale, so its pages do the same work whatever its size.
        finalized = status == Status.FINALIZED
        held = finalized or self.is_large or rng.random() < 0.5
        meeting = self.meeting(revision, parties, held=held, all_present=finalized)
        signers = [self.team_id, *parties]
        if status == Status.ALIGNING:
            signed = [
                t
                for t in signers
                if meeting
                and meeting.status == Meeting.Status.HELD
                and not self.is_large
                and rng.random() < 0.5
            ]
            self.sign(revision, signed, meeting)
            return writes + 3 + len(signed)
        self.sign(revision, signers, meeting)
        baseline = self.baseline(revision, version=1)
        self.milestones(signers)
        writes += 4 + len(signers)
        if rng.random() < CHANGE_REQUEST_SHARE:
            writes += self.change_request(final, baseline, parties)
        return writes

    def meeting(
        self, revision: Revision, parties: list[int], *, held: bool, all_present: bool = False
    ) -> Meeting:
        rng, gen, rows = self.rng, self.gen, self.rows
        number = 1
        if not self.is_large and rng.random() < 0.04:
            # An earlier slot that was cancelled and replaced.
            self.new_meeting(revision, number, Meeting.Status.CANCELLED, parties)
            number += 1
        status = Meeting.Status.HELD if held else Meeting.Status.SCHEDULED
        meeting = self.new_meeting(revision, number, status, parties, all_present=all_present)
        if held:
            for _ in range(rng.randint(1, 3)):
                rows.add(
                    Decision(
                        id=gen.next_id(Decision),
                        meeting_id=meeting.pk,
                        text="决定：" + _text(rng, 1),
                        recorded_by_id=self.owner,
                        recorded_at=meeting.ends_at,
                    )
                )
            for _ in range(rng.randint(0, 2)):
                rows.add(
                    ActionItem(
                        id=gen.next_id(ActionItem),
                        meeting_id=meeting.pk,
                        text="跟进：" + _text(rng, 1),
                        owner_id=self.lead_dev,
                        due_on=(meeting.ends_at + dt.timedelta(days=7)).date(),
                        done_at=self.later(meeting.ends_at, 24, 120)
                        if rng.random() < 0.7
                        else None,
                        recorded_by_id=self.owner,
                    )
                )
            if parties and rng.random() < 0.3:
                asker = self.seat(parties[0], PM_SEATS[0])
                self.question(
                    rng.choice(self.scenarios),
                    Question.Stage.MEETING,
                    asker,
                    meeting.starts_at,
                    resolved=True,
                    meeting=meeting,
                    blocking=rng.random() < 0.3,
                )
            self.at = meeting.ends_at
        return meeting

    def new_meeting(
        self,
        revision: Revision,
        number: int,
        status: str,
        parties: list[int],
        *,
        all_present: bool = False,
    ) -> Meeting:
        rng, gen = self.rng, self.gen
        created = self.later(self.at, 1, 24)
        starts = created + dt.timedelta(days=rng.randint(1, 7), hours=rng.randint(0, 8))
        if status == Meeting.Status.HELD:
            starts = min(starts, ANCHOR - dt.timedelta(hours=3))
        meeting = self.rows.add(
            Meeting(
                id=gen.next_id(Meeting),
                requirement_id=self.req.pk,
                number=number,
                uid=uuid.UUID(int=rng.getrandbits(128), version=4),
                revision_id=revision.pk,
                title=f"REQ-{self.req.number} {self.req.title}",
                presenter_id=self.lead_dev,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1),
                location=f"会议室 {rng.randint(1, 40)}F-{rng.randint(1, 20)}",
                status=status,
                sequence=1 if status == Meeting.Status.CANCELLED else 0,
                version=1,
                scheduled_by_id=self.owner,
                created_at=created,
                held_at=starts + dt.timedelta(hours=1) if status == Meeting.Status.HELD else None,
                held_revision_id=revision.pk if status == Meeting.Status.HELD else None,
            )
        )
        seats = [(self.owner, self.team_id, Role.PM), (self.lead_dev, self.team_id, Role.DEV)]
        for party in parties:
            seats += [
                (self.seat(party, PM_SEATS[0]), party, Role.PM),
                (self.seat(party, DEV_SEATS[0]), party, Role.DEV),
            ]
        for user_id, team_id, role in seats:
            self.rows.add(
                Invitee(
                    id=gen.next_id(Invitee),
                    meeting_id=meeting.pk,
                    user_id=user_id,
                    team_id=team_id,
                    role=role,
                    is_required=True,
                    attended=(all_present or rng.random() < 0.95)
                    if status == Meeting.Status.HELD
                    else None,
                )
            )
        self.event(
            created,
            self.owner,
            "meeting.scheduled",
            meeting,
            key=f"M-{number}",
            revision=self.revision_number,
        )
        return meeting

    def sign(self, revision: Revision, teams: list[int], meeting: Meeting | None) -> None:
        """Each team signs as the rule wants: the lead team through its PM and lead DEV, a
        related party through a DEV; each sign-off pinned to its party's section hash."""
        for team_id in teams:
            is_lead = team_id == self.team_id
            code = self.org.team_codes[team_id]
            signers = (
                [(self.owner, Role.PM), (self.lead_dev, Role.DEV)]
                if is_lead
                else [(self.seat(team_id, DEV_SEATS[0]), Role.DEV)]
            )
            for signer, role in signers:
                self.at = self.later(self.at, 1, 24)
                self.rows.add(
                    SignOff(
                        id=self.gen.next_id(SignOff),
                        revision_id=revision.pk,
                        team_id=team_id,
                        signer_id=signer,
                        role=role,
                        section_hash=section_hash(revision.content, code, is_lead=is_lead),
                        decision=SignOff.Decision.APPROVE,
                        content_hash=revision.content_hash,
                        meeting=meeting,
                        created_at=self.at,
                    )
                )
                self.event(
                    self.at,
                    signer,
                    "plan.signed_off",
                    revision,
                    team=code,
                    revision=revision.number,
                    role=role,
                )

    def baseline(
        self, revision: Revision, *, version: int, change: ChangeRequest | None = None
    ) -> Baseline:
        self.at = self.later(self.at, 1, 24)
        baseline = self.rows.add(
            Baseline(
                id=self.gen.next_id(Baseline),
                requirement_id=self.req.pk,
                version=version,
                revision_id=revision.pk,
                content_hash=revision.content_hash,
                finalized_by_id=self.lead_dev,
                finalized_at=self.at,
                change_request=change,
            )
        )
        self.req.finalized_at = self.at
        baseline.requirement = self.req
        self.event(
            self.at,
            self.lead_dev,
            "plan.finalized",
            baseline,
            version=version,
            revision=revision.number,
            hash=revision.content_hash,
        )
        return baseline

    def milestones(self, teams: list[int]) -> None:
        start = self.req.planned_dev_start_on
        for offset, team_id in enumerate(teams):
            for step, kind in enumerate(Milestone.Kind.values):
                due = start + dt.timedelta(days=10 * (step + 1) + offset)
                self.rows.add(
                    Milestone(
                        id=self.gen.next_id(Milestone),
                        requirement_id=self.req.pk,
                        team_id=team_id,
                        kind=kind,
                        due_on=due,
                        done_on=due if due < ANCHOR.date() and self.rng.random() < 0.8 else None,
                        updated_by_id=self.seat(team_id, PM_SEATS[0]),
                        updated_at=self.at,
                    )
                )

    def change_request(self, final: list[ItemSpec], base: Baseline, parties: list[int]) -> int:
        """A gap found after the baseline: most are baselined again, a few still open."""
        rng, gen, req = self.rng, self.gen, self.req
        self.at = self.later(self.at, 24, 400)
        phase = rng.choices(list(PHASE_WEIGHTS), list(PHASE_WEIGHTS.values()))[0]
        outcome = rng.choices(["done", "open", "withdrawn"], [80, 10, 10])[0]
        target = rng.choice(final)
        affected = [target.owner_team_id] if target.owner_team_id in parties else []
        change = self.rows.add(
            ChangeRequest(
                id=gen.next_id(ChangeRequest),
                requirement_id=req.pk,
                number=1,
                title=f"{rng.choice(VERBS)}{rng.choice(NOUNS)}",
                reason=_text(rng, 1),
                phase_found=phase,
                cost_weight=COST[phase],
                opened_by_id=self.owner,
                opened_at=self.at,
                base_baseline_id=base.pk,
                status={
                    "done": ChangeRequest.Status.DONE,
                    "open": ChangeRequest.Status.OPEN,
                    "withdrawn": ChangeRequest.Status.WITHDRAWN,
                }[outcome],
            )
        )
        link = ChangeRequest.affected_teams.through
        for team_id in affected:
            self.rows.add(link(id=gen.next_id(link), changerequest_id=change.pk, team_id=team_id))
        self.event(
            self.at,
            self.owner,
            "change.opened",
            change,
            key="CR-1",
            phase_found=phase,
            cost_weight=COST[phase],
        )
        if outcome == "withdrawn":
            change.closed_at = self.at = self.later(self.at, 2, 48)
            self.event(self.at, self.owner, "change.withdrawn", change, key="CR-1")
            return 2
        items = [i.changed(rng, self.lead_dev) if i is target else i for i in final]
        revision = self.revision(items, f"I-{target.number} changed", self.lead_dev, change)
        if outcome == "open":
            req.status = Status.PLANNING
            return 3
        self.submit(revision)
        self.review(revision, Verdict.APPROVED)
        # Unchanged parties' earlier signatures stand; the lead team and the changed part sign.
        self.sign(revision, sorted({self.team_id, target.owner_team_id}), None)
        change.closed_at = self.at
        self.baseline(revision, version=2, change=change)
        return 8


def large_plan_numbers(scale: float) -> list[int]:
    """Numbers of the requirements that carry the large plan (REQ-2000, REQ-4000, … at S=1)."""
    total = Sizes.of(scale).requirements
    every = min(LARGE_PLAN_EVERY, total)
    return list(range(every, total + 1, every))


def rng_q(rng: random.Random) -> str:
    return f"{rng.choice(NOUNS)}在{rng.choice(DOMAINS)}场景下如何{rng.choice(VERBS)}"


def seed(
    scale: float,
    seed: int = 1,
    stream: TextIO | None = sys.stderr,
    large_shape: tuple[int, int] = (LARGE_SCENARIOS, LARGE_ITEMS),
) -> dict[str, int]:
    """Fill the (fresh, migrated) database with an organisation of the given scale.

    `large_shape` is (scenarios, items) of the large plans, one per LARGE_PLAN_EVERY requirements
    (at least one), whose coverage matrix the suite measures."""
    return Generator(scale, seed, stream, large_shape).run()


def json_counts(counts: dict[str, int]) -> str:
    return json.dumps(counts, indent=2, sort_keys=True)
