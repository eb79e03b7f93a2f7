"""A year of history for the demo, so every process report shows something real.

Forty-odd requirements across the demo's teams, created over the last twelve months and walked
through the real services at the moments they happened (see `clock`): most run well, some are
aligned a day before development starts, some hold the meeting without a party's developer,
some start the plan before the hand-off is done or let the PM write it, and some meet their
gaps as change requests in testing or in production. The six most recent are still under way
(one in review with a scenario nobody covers, one with a blocking question left open, one
whose parties signed a revision that has since changed, one not aligned days before
development). Deterministic: the same day gives the same history.

Needs the demo organisation (its teams, people and components); `techalign demo` calls
`load_history` after building it and before its own requirements, so those stay the newest.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from techalign.audit.services import batch
from techalign.demo.org import SHANGHAI
from techalign.demo.steps import at, current_revision
from techalign.health.clock import Clock, clock_at
from techalign.meetings import services as meetings
from techalign.meetings.models import Meeting
from techalign.org.models import Component, Membership, Role, Team, User
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.plans.models import Milestone, Plan, Revision, RootCause
from techalign.requirements import services as requirements
from techalign.requirements.models import Requirement

SEED = 2024
FINISHED = 36
# The one PM who also codes: the cart team is small, so its PM holds the DEV role too. That
# is what lets history show a PM-written plan (TA101) and a PM presenting (TA106).
PM_WHO_CODES = ("zhaoxue", "cart")


class ItemPlan(NamedTuple):
    component: str
    kind: str
    title: str
    scenarios: tuple[int, ...]


class Template(NamedTuple):
    team: str
    title: str
    scenarios: tuple[str, ...]
    items: tuple[ItemPlan, ...]


T, It = Template, ItemPlan
# fmt: off
TEMPLATES = (
    T("order", "订单导出对账单", ("按月导出订单明细", "导出包含退款记录", "大批量导出异步生成"),
      (It("order-service", "new_api", "订单导出接口", (1, 3)),
       It("order-db", "data", "导出任务表", (1,)),
       It("ledger", "api_change", "总账提供退款分录查询", (2,)))),
    T("cart", "购物车跨店凑单提示", ("凑单进度实时计算", "跨店满减叠加", "价格试算超时降级"),
      (It("cart-service", "api_change", "凑单进度计算", (1, 3)),
       It("coupon-service", "api_change", "跨店满减试算", (2,)),
       It("checkout-web", "ui", "凑单提示条", (1,)))),
    T("payments", "支付渠道智能路由", ("按成功率选择渠道", "渠道故障自动切换", "路由结果可追溯"),
      (It("pay-gateway", "api_change", "渠道路由策略", (1, 2)),
       It("ledger", "data", "流水记录路由渠道", (3,)))),
    T("finance", "退款差异自动对账", ("渠道退款流水逐笔核对", "差异单自动生成", "差异超阈值告警"),
      (It("reconcile-job", "job", "退款对账任务", (1, 2)),
       It("refund-api", "new_api", "退款流水下载接口", (1,)),
       It("ledger", "api_change", "差异告警阈值", (3,)))),
    T("membership", "积分抵扣现金", ("下单时积分抵扣", "退款时积分返还", "积分抵扣上限"),
      (It("points-service", "api_change", "积分冻结与抵扣", (1, 3)),
       It("order-service", "api_change", "订单记录积分抵扣额", (1,)),
       It("refund-api", "api_change", "退款时返还积分", (2,)))),
    T("marketing", "新人专享券", ("注册即发券", "券仅限首单使用", "领券页展示"),
      (It("coupon-service", "new_api", "新人券发放", (1, 2)),
       It("campaign-web", "ui", "新人领券页", (3,)),
       It("order-service", "api_change", "首单校验", (2,)))),
    T("order", "订单取消原因统计", ("取消时选择原因", "按原因出统计报表"),
      (It("order-service", "api_change", "取消原因字段", (1,)),
       It("order-db", "data", "取消原因统计表", (2,)))),
    T("cart", "结算页支持分期付款", ("展示分期选项", "分期手续费计算", "分期失败回退全额支付"),
      (It("checkout-web", "ui", "分期选择组件", (1,)),
       It("pay-gateway", "new_api", "分期支付下单", (2, 3)),
       It("cart-service", "api_change", "分期价格试算", (1,)))),
    T("payments", "支付结果通知重试", ("通知失败指数退避", "超过次数转人工", "订单侧幂等处理"),
      (It("pay-gateway", "api_change", "通知重试队列", (1, 2)),
       It("order-service", "api_change", "支付通知幂等", (3,)))),
    T("finance", "营销成本分摊入账", ("优惠券成本按活动分摊", "月末营销成本报表"),
      (It("ledger", "api_change", "营销成本分录", (1, 2)),
       It("coupon-service", "api_change", "核销记录带活动号", (1,)))),
    T("membership", "会员等级权益调整", ("等级计算规则更新", "权益自动发放", "降级提前通知"),
      (It("points-service", "api_change", "等级规则引擎", (1, 2, 3)),
       It("campaign-web", "ui", "等级权益页", (3,)))),
    T("marketing", "大促预约提醒", ("活动预约", "开始前推送提醒", "预约转化统计"),
      (It("campaign-web", "ui", "预约按钮", (1, 3)),
       It("coupon-service", "api_change", "预约用户发券", (2,)))),
    T("order", "发货前修改收货地址", ("发货前改地址", "改址后运费重算", "改址记录可查"),
      (It("order-service", "new_api", "修改地址接口", (1, 3)),
       It("cart-service", "api_change", "运费重算", (2,)))),
    T("payments", "原路退款失败转余额", ("识别原路退款失败", "失败金额转入余额", "通知用户"),
      (It("refund-api", "api_change", "失败转余额", (1, 2)),
       It("ledger", "api_change", "余额退款分录", (2,)),
       It("order-service", "api_change", "退款结果通知", (3,)))),
)
# fmt: on
PHASES_OF_PROFILE = {
    "good": None,
    "good_cr": "development",
    "design_cr": "design",
    "late": "testing",
    "very_late": "release",
    "absent": "testing",
    "rushed": "testing",
    "pm_plan": "production",
    "pm_presenter": None,
    "prod_cr": "production",
}
OVERSEAS = "海外用户"
# The requirements still under way: their state, and a template whose teams are not the order
# team, whose people walk the demo's main requirement.
ONGOING = (
    ("finalized", 2),
    ("aligning", 11),
    ("unaligned", 10),
    ("stale_signoff", 1),
    ("blocked", 9),
    ("uncovered", 3),
)
# The profile of each finished requirement, by its position (template index + cycle).
PROFILES = (
    "good",
    "late",
    "good",
    "absent",
    "good_cr",
    "rushed",
    "good",
    "prod_cr",
    "absent",
    "design_cr",
    "very_late",
    "good",
    "late",
    "good",
)


@dataclass
class People:
    users: dict[str, User]
    pm: dict[str, User]
    dev: dict[str, User]
    lead: dict[str, User]
    teams: dict[str, Team]
    components: dict[str, Component]


def _people() -> People:
    teams = {t.code: t for t in Team.objects.all()}
    users = {u.username: u for u in User.objects.all()}
    firsts: dict[str, dict[str, User]] = {Role.PM: {}, Role.DEV: {}, Role.TECH_LEAD: {}}
    for membership in Membership.objects.select_related("user", "team").order_by("user__username"):
        if membership.role in firsts:
            firsts[membership.role].setdefault(membership.team.code, membership.user)
    needed = {t.team for t in TEMPLATES}
    missing = [code for code in needed if code not in teams or code not in firsts[Role.DEV]]
    if missing:
        raise LookupError(f"load the demo organisation first (missing teams {missing})")
    return People(
        users,
        firsts[Role.PM],
        firsts[Role.DEV],
        firsts[Role.TECH_LEAD],
        teams,
        {c.key: c for c in Component.objects.all()},
    )


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def load_history(*, today: dt.date | None = None, finished: int = FINISHED) -> int:
    """Load the year of history into the demo organisation; returns how many requirements.

    `finished` requirements reach a baseline (one every nine days or so, starting a year
    before `today`), then six recent ones are left under way.

    Runs in one transaction. Past events notify nobody: the notifications the services queue
    for after the commit are dropped, since they would announce meetings held months ago.
    """
    today = today or timezone.localdate(timezone=SHANGHAI)
    with batch():
        queued = len(connection.run_on_commit)
        people = _people()
        user, team = PM_WHO_CODES
        Membership.objects.get_or_create(
            user=people.users[user], team=people.teams[team], role=Role.DEV
        )
        rng = random.Random(SEED)
        start = today - dt.timedelta(days=365)
        count = 0
        with clock_at(at(start, 9)) as clock:
            for n in range(finished):
                template = TEMPLATES[n % len(TEMPLATES)]
                cycle = n // len(TEMPLATES)
                profile = PROFILES[(n + 5 * cycle) % len(PROFILES)]
                if template.team == "cart" and cycle:
                    # The cart team's two templates take turns at the PM's two failures.
                    first = n % len(TEMPLATES) == 1
                    profile = "pm_plan" if first == (cycle == 1) else "pm_presenter"
                day0 = start + dt.timedelta(days=n * 9 + rng.randint(0, 3))
                _finished(
                    people,
                    clock,
                    rng,
                    template,
                    cycle,
                    profile,
                    day0,
                    today,
                    out_of_scope=n % 3 == 2,
                )
                count += 1
            for n, (state, template_index) in enumerate(ONGOING):
                template = TEMPLATES[template_index]
                _ongoing(
                    people,
                    clock,
                    template,
                    state,
                    today - dt.timedelta(days=30 - 4 * n),
                    today,
                )
                count += 1
        del connection.run_on_commit[queued:]
    return count


# --- walking one requirement -----------------------------------------------------------------


@dataclass
class Walk:
    """One requirement on its way through the steps, and the clock it runs on."""

    people: People
    clock: Clock
    requirement: Requirement

    @property
    def lead(self) -> str:
        return self.requirement.lead_team.code

    def at(self, moment: dt.datetime) -> None:
        self.clock.set(moment)

    def revision(self) -> Revision:
        return current_revision(self.requirement)

    def current_number(self) -> int:
        plan = Plan.objects.filter(requirement=self.requirement).first()
        return plan.current_number if plan else 0

    def author(self, pm_writes: bool) -> User:
        return self.people.pm[self.lead] if pm_writes else self.people.dev[self.lead]

    def write_items(
        self, template: Template, *, pm_writes: bool = False, due: dt.date | None = None
    ) -> None:
        for item in template.items:
            component = self.people.components[item.component]
            is_other = component.owner_team.code != self.lead
            plans.add_item(
                confirm=True,
                requirement=self.requirement,
                actor=self.author(pm_writes),
                based_on=self.current_number(),
                component=component,
                kind=item.kind,
                title=item.title,
                description=f"{item.title}：按场景 "
                + "、".join(f"S-{s}" for s in item.scenarios)
                + " 实现。",
                ask=f"请 {component.owner_team.name} 支持：{item.title}" if is_other else "",
                due_on=due if is_other else None,
                scenario_keys=[f"S-{s}" for s in item.scenarios],
            )
            self.clock.advance(minutes=40)

    def acknowledge(self) -> None:
        for scenario in self.requirement.scenarios.filter(acknowledged_at__isnull=True):
            requirements.acknowledge_scenario(scenario=scenario, actor=self.people.dev[self.lead])
            self.clock.advance(minutes=10)

    def submit_and_approve(self, review_at: dt.datetime) -> Revision:
        revision = self.revision()
        plans.submit_for_review(
            confirm=True,
            requirement=self.requirement,
            actor=self.people.dev[self.lead],
            revision_number=revision.number,
        )
        self.at(review_at)
        plans.approve_revision(
            revision=revision, actor=self.people.lead[self.lead], content_hash=revision.content_hash
        )
        return revision

    def sign_missing(self, meeting: Meeting | None = None) -> None:
        revision = self.revision()
        state = selectors.signoff_state(self.requirement, revision)
        for party in state.parties:
            # The lead team signs through its PM and lead DEV, a related party through a DEV.
            for role in party.missing_roles:
                people = self.people.pm if role == "PM" else self.people.dev
                plans.sign_off(
                    requirement=self.requirement,
                    actor=people[party.team.code],
                    team=party.team,
                    revision_number=revision.number,
                    content_hash=revision.content_hash,
                    meeting=meeting,
                    as_role=role,
                )
                self.clock.advance(minutes=20)

    def finalize(self) -> None:
        revision = self.revision()
        plans.finalize(
            requirement=self.requirement,
            actor=self.people.pm[self.lead],
            revision_number=revision.number,
            content_hash=revision.content_hash,
        )

    def milestones(self, dev_start: dt.date, launch: dt.date, today: dt.date) -> None:
        """Every party plans its part of the schedule, so no history is left as work for
        anyone: joint debugging for the parties, the launch for the lead team."""
        lead = self.people.teams[self.lead]
        for party in [lead, *selectors.related_parties(self.requirement)]:
            kind, due = (
                (Milestone.Kind.LAUNCH, launch)
                if party == lead
                else (Milestone.Kind.JOINT_DEBUGGING, dev_start + dt.timedelta(days=18))
            )
            plans.set_milestone(
                requirement=self.requirement,
                actor=self.people.dev[party.code],
                team=party,
                kind=kind,
                due_on=due,
                done_on=due if due < today else None,
            )

    def meeting(self, day: dt.date, *, presenter: User | None = None) -> Meeting:
        starts_at = at(day, 14)
        return meetings.schedule_meeting(
            requirement=self.requirement,
            actor=self.people.pm[self.lead],
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=1),
            presenter=presenter,
            location="线上会议",
        )

    def hold(self, meeting: Meeting, *, absent: tuple[str, ...] = ()) -> None:
        """The meeting takes place with everyone's attendance recorded; the DEVs of the teams
        in `absent` stayed away."""
        self.at(meeting.ends_at)
        organiser = self.people.pm[self.lead]
        for invitee in meeting.invitees.select_related("user", "team"):
            meetings.record_attendance(
                meeting=meeting,
                actor=organiser,
                user=invitee.user,
                attended=not (invitee.team.code in absent and invitee.role == Role.DEV),
            )
        meetings.mark_held(meeting=meeting, actor=organiser)

    def waive(self, team_code: str) -> None:
        """The lead team's tech lead excuses a party that missed the meeting (TA116)."""
        meetings.waive_attendance(
            requirement=self.requirement,
            actor=self.people.lead[self.lead],
            team=self.people.teams[team_code],
            reason="开发当天在处理线上故障，会后单独过了一遍其负责的部分。",
        )
        self.clock.advance(minutes=15)


def _create(
    people: People,
    clock: Clock,
    template: Template,
    cycle: int,
    day0: dt.date,
    dev_start: dt.date,
    launch: dt.date,
    *,
    out_of_scope: bool = False,
) -> Walk:
    """Draft, scenarios and hand-off; with `out_of_scope`, one more scenario the PM will take
    out of this plan's scope once the DEV has acknowledged it."""
    clock.set(at(day0, 10))
    suffix = ("", "（二期）", "（三期）", "（四期）")[cycle % 4]
    lead = template.team
    requirement = requirements.create_requirement(
        actor=people.pm[lead],
        lead_team=people.teams[lead],
        title=template.title + suffix,
        lead_dev=people.dev[lead],
        planned_dev_start_on=dev_start,
        planned_launch_on=launch,
        user_stories=f"- 作为用户，我希望{template.title}。",
    )
    for title in (*template.scenarios, *([OVERSEAS] if out_of_scope else [])):
        requirements.add_scenario(
            requirement=requirement,
            actor=people.pm[lead],
            title=title,
            acceptance_criteria=f"- {title}：行为符合预期",
        )
    requirements.hand_off(requirement=requirement, actor=people.pm[lead])
    return Walk(people, clock, requirement)


def _finished(
    people: People,
    clock: Clock,
    rng: random.Random,
    template: Template,
    cycle: int,
    profile: str,
    day0: dt.date,
    today: dt.date,
    *,
    out_of_scope: bool = False,
) -> None:
    """A requirement that reached its baseline, shaped by `profile`."""
    ack_on = day0 + dt.timedelta(days=rng.randint(1, 3))
    submit_on = ack_on + dt.timedelta(days=rng.randint(2, 5))
    approve_on = submit_on + dt.timedelta(days=rng.randint(1, 2))
    meeting_on = _weekday_on_or_after(approve_on + dt.timedelta(days=rng.randint(3, 6)))
    lead_days = {"late": 2, "very_late": -2}.get(profile, rng.randint(13, 20))
    dev_start = meeting_on + dt.timedelta(days=lead_days)
    # A very late alignment squeezes the launch too (TA112).
    launch = dev_start + dt.timedelta(days=12 if profile == "very_late" else rng.randint(30, 45))
    walk = _create(
        people, clock, template, cycle, day0, dev_start, launch, out_of_scope=out_of_scope
    )
    pm_writes = profile == "pm_plan"
    if profile == "rushed":
        walk.at(at(day0 + dt.timedelta(days=1), 9))
        walk.write_items(template, due=dev_start + dt.timedelta(days=14))
    walk.at(at(ack_on, 11))
    if profile == "good" and cycle == 1:
        first = walk.requirement.scenarios.order_by("number")[0]
        question = requirements.raise_question(
            requirement=walk.requirement,
            actor=people.dev[walk.lead],
            scenario=first,
            body=f"「{first.title}」的边界情况怎么处理？",
        )
        walk.clock.advance(hours=3)
        requirements.propose_answered(
            question=question,
            actor=people.pm[walk.lead],
            body="按现有规则处理，超出部分提示用户。",
        )
        walk.clock.advance(hours=1)
        requirements.accept_answer(question=question, actor=people.dev[walk.lead])
    walk.acknowledge()
    if out_of_scope:
        requirements.mark_out_of_scope(
            scenario=walk.requirement.scenarios.get(title=OVERSEAS),
            actor=people.pm[walk.lead],
            reason="海外用户本期不支持，放到下一期。",
        )
    if profile != "rushed":
        walk.at(at(ack_on + dt.timedelta(days=1), 9, 30))
        walk.write_items(template, pm_writes=pm_writes, due=dev_start + dt.timedelta(days=14))
    walk.at(at(submit_on, 17))
    if profile == "good" and cycle == 2:
        revision = walk.revision()
        plans.submit_for_review(
            confirm=True,
            requirement=walk.requirement,
            actor=people.dev[walk.lead],
            revision_number=revision.number,
        )
        walk.at(at(submit_on + dt.timedelta(days=1), 10))
        plans.request_changes(
            revision=revision,
            actor=people.lead[walk.lead],
            comment="补充失败场景的处理和监控指标。",
            content_hash=revision.content_hash,
        )
        walk.clock.advance(hours=4)
        plans.update_item(
            confirm=True,
            requirement=walk.requirement,
            actor=people.dev[walk.lead],
            based_on=revision.number,
            item_key="I-1",
            description="补充：失败时告警，并记录监控指标。",
        )
    walk.submit_and_approve(at(approve_on, 15))
    walk.at(at(approve_on + dt.timedelta(days=1), 10))
    presenter = people.pm[walk.lead] if profile == "pm_presenter" else None
    meeting = walk.meeting(meeting_on, presenter=presenter)
    parties = sorted(
        {people.components[i.component].owner_team.code for i in template.items} - {walk.lead}
    )
    absent = (parties[-1],) if profile == "absent" and parties else ()
    walk.hold(meeting, absent=absent)
    for code in absent:
        walk.waive(code)
    walk.sign_missing(meeting)
    final_on = meeting_on + dt.timedelta(days=5 if profile in {"late", "very_late"} else 1)
    walk.at(at(final_on, 11))
    walk.finalize()
    walk.milestones(dev_start, launch, today)
    phase = PHASES_OF_PROFILE[profile]
    if phase is not None:
        found_on = {
            "design": final_on + dt.timedelta(days=2),
            "development": dev_start + dt.timedelta(days=5),
            "testing": dev_start + dt.timedelta(days=18),
            "release": launch - dt.timedelta(days=1),
            "production": launch + dt.timedelta(days=6),
        }[phase]
        if found_on < today - dt.timedelta(days=2):
            _change(walk, template, phase, found_on)


# Why the generated gaps were missed: early ones were changes of mind or discoveries; those
# found in testing and production, the owner of the component not heard on the case.
CAUSE_OF_PHASE = {
    "design": RootCause.REQUIREMENT_CHANGED,
    "development": RootCause.TECHNICAL_DISCOVERY,
    "testing": RootCause.PARTY_MISSING,
    "release": RootCause.EXTERNAL,
    "production": RootCause.PARTY_MISSING,
}


def _change(walk: Walk, template: Template, phase: str, found_on: dt.date) -> None:
    """A gap found in `phase`: the change request, the edited item, review, sign-off and the
    next baseline, over two days."""
    people = walk.people
    item = template.items[-1]
    owner = people.components[item.component].owner_team
    walk.at(at(found_on, 10))
    plans.open_change_request(
        requirement=walk.requirement,
        actor=people.pm[walk.lead],
        title=f"补充：{item.title}的异常处理",
        reason=f"{phase} 阶段发现遗漏的异常分支。",
        phase_found=phase,
        affected_teams=[owner],
        root_cause=CAUSE_OF_PHASE[phase],
        cause_item_key=f"I-{len(template.items)}",
        cause_team=owner,
    )
    walk.clock.advance(hours=3)
    revision = walk.revision()
    plans.update_item(
        confirm=True,
        requirement=walk.requirement,
        actor=people.dev[walk.lead],
        based_on=revision.number,
        item_key=f"I-{len(template.items)}",
        description=f"{item.title}：补充异常分支与重试。",
    )
    walk.at(at(found_on + dt.timedelta(days=1), 11))
    walk.submit_and_approve(at(found_on + dt.timedelta(days=1), 16))
    walk.at(at(found_on + dt.timedelta(days=2), 10))
    walk.sign_missing()
    walk.finalize()


def _ongoing(
    people: People,
    clock: Clock,
    template: Template,
    state: str,
    day0: dt.date,
    today: dt.date,
) -> None:
    """A recent requirement, left in `state`."""
    dev_start = today + dt.timedelta(days=3 if state == "unaligned" else 21)
    walk = _create(people, clock, template, 3, day0, dev_start, dev_start + dt.timedelta(days=40))
    walk.at(at(day0 + dt.timedelta(days=1), 11))
    walk.acknowledge()
    walk.at(at(day0 + dt.timedelta(days=2), 10))
    if state == "uncovered":
        # A scenario added after the plan was written, and submitted without an item for it.
        walk.write_items(template, due=dev_start + dt.timedelta(days=14))
        walk.at(at(day0 + dt.timedelta(days=3), 10))
        requirements.add_scenario(
            requirement=walk.requirement, actor=people.pm[walk.lead], title="服务降级时的用户提示"
        )
        revision = walk.revision()
        walk.at(at(day0 + dt.timedelta(days=3), 17))
        plans.submit_for_review(
            confirm=True,
            requirement=walk.requirement,
            actor=people.dev[walk.lead],
            revision_number=revision.number,
        )
        return
    walk.write_items(template, due=dev_start + dt.timedelta(days=14))
    if state == "unaligned":
        return
    walk.at(at(day0 + dt.timedelta(days=3), 17))
    walk.submit_and_approve(at(day0 + dt.timedelta(days=4), 15))
    walk.at(at(day0 + dt.timedelta(days=5), 10))
    meeting_on = _weekday_on_or_after(day0 + dt.timedelta(days=7))
    if state == "aligning":
        meeting_on = _weekday_on_or_after(today + dt.timedelta(days=2))
    meeting = walk.meeting(meeting_on)
    if state == "aligning":
        return
    walk.hold(meeting)
    if state == "blocked":
        parties = selectors.related_parties(walk.requirement)
        asker = people.pm[parties[0].code] if parties else people.pm[walk.lead]
        requirements.raise_question(
            requirement=walk.requirement,
            actor=asker,
            meeting=meeting,
            is_blocking=True,
            body="异常情况下的资金兜底方案还没有定，谁来负责？",
        )
        walk.sign_missing(meeting)
        return
    walk.sign_missing(meeting)
    if state == "stale_signoff":
        walk.at(at(meeting_on + dt.timedelta(days=1), 10))
        revision = walk.revision()
        plans.update_item(
            confirm=True,
            requirement=walk.requirement,
            actor=people.dev[walk.lead],
            based_on=revision.number,
            item_key=f"I-{len(template.items)}",
            ask=f"请 {people.components[template.items[-1].component].owner_team.name}"
            " 同时支持批量接口。",
        )
        return
    walk.at(at(meeting_on + dt.timedelta(days=1), 11))
    walk.finalize()
    walk.milestones(dev_start, dev_start + dt.timedelta(days=40), today)
