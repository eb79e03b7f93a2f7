"""Small builders and the named personas of the tests.

`world()` builds one organisation: the order team leads (PM ming, DEVs lei and fang, tech lead
qiang), the payments team (PM hua, DEV jun) and finance team (PM li, DEV wei) are the related
parties, an architect (arch) sits on the tech committee, and charlie is an outsider.
`advance(world, to=...)` walks a requirement through the real services to a given step.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.utils import timezone

from techalign.meetings import services as meetings
from techalign.meetings.models import Meeting
from techalign.meetings.selectors import held_meetings
from techalign.meetings.services import schedule_meeting
from techalign.org.models import Component, Department, Membership, Role, Team, User
from techalign.plans import selectors as plan_selectors
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from techalign.requirements.models import Requirement

_counter = itertools.count(1)


def make_user(username: str | None = None, **fields) -> User:
    username = username or f"user{next(_counter)}"
    fields.setdefault("language", "en")
    user = User.objects.create_user(username=username, password="pw-" + username, **fields)
    return user


def make_team(code: str, department: Department | None = None, **fields) -> Team:
    department = (
        department
        or Department.objects.get_or_create(code="dept-" + code, defaults={"name": "Dept " + code})[
            0
        ]
    )
    return Team.objects.create(
        code=code, name=fields.pop("name", code.title()), department=department, **fields
    )


def grant(user: User, team: Team, *roles: str) -> User:
    for role in roles:
        Membership.objects.get_or_create(user=user, team=team, role=role)
    user.__dict__.pop("_techalign_roles", None)
    return user


def make_component(key: str, owner: Team, **fields) -> Component:
    return Component.objects.create(
        key=key, name=fields.pop("name", key), owner_team=owner, **fields
    )


@dataclass
class World:
    order: Team
    payments: Team
    finance: Team
    committee: Team
    elsewhere: Team
    ming: User  # lead PM
    lei: User  # lead DEV
    fang: User  # second lead-team DEV
    qiang: User  # lead-team tech lead
    hua: User  # payments PM
    jun: User  # payments DEV
    li: User  # finance PM
    wei: User  # finance DEV
    arch: User  # committee architect
    charlie: User  # outsider in another department
    order_service: Component
    refund_api: Component
    ledger: Component
    extra: dict = field(default_factory=dict)

    def parties(self) -> list[Team]:
        return [self.payments, self.finance]


def world() -> World:
    trade = Department.objects.create(code="trade", name="交易部")
    fin = Department.objects.create(code="fin", name="金融部")
    other = Department.objects.create(code="growth", name="增长部")
    order = make_team("order", trade, name="订单组")
    payments = make_team("payments", fin, name="支付组")
    finance = make_team("finance", fin, name="财务组")
    committee = make_team("committee", trade, name="技术委员会", is_committee=True)
    elsewhere = make_team("marketing", other, name="营销组")
    people = {
        name: make_user(name)
        for name in ["ming", "lei", "fang", "qiang", "hua", "jun", "li", "wei", "arch", "charlie"]
    }
    grant(people["ming"], order, Role.PM)
    grant(people["lei"], order, Role.DEV)
    grant(people["fang"], order, Role.DEV)
    grant(people["qiang"], order, Role.TECH_LEAD)
    grant(people["hua"], payments, Role.PM)
    grant(people["jun"], payments, Role.DEV)
    grant(people["li"], finance, Role.PM)
    grant(people["wei"], finance, Role.DEV)
    grant(people["arch"], committee, Role.ARCHITECT)
    grant(people["charlie"], elsewhere, Role.PM, Role.DEV)
    return World(
        order=order,
        payments=payments,
        finance=finance,
        committee=committee,
        elsewhere=elsewhere,
        **people,
        order_service=make_component("order-service", order, name="订单服务"),
        refund_api=make_component("refund-api", payments, name="退款接口"),
        ledger=make_component("ledger", finance, name="总账"),
    )


STEPS = ["draft", "handed_off", "planning", "in_review", "approved", "aligning", "finalized"]


def advance(w: World, to: str, *, scenarios: int = 3) -> Requirement:
    """A requirement led by the order team, walked through the services up to step `to`.

    Its plan has one item per component: order-service covers S-1, refund-api S-2, ledger S-3.
    """
    stop = STEPS.index(to)
    req = requirements.create_requirement(
        actor=w.ming, lead_team=w.order, title="部分退款", lead_dev=w.lei
    )
    for n in range(1, scenarios + 1):
        requirements.add_scenario(requirement=req, actor=w.ming, title=f"场景 {n}")
    if stop >= 1:
        requirements.hand_off(requirement=req, actor=w.ming)
    if stop >= 2:
        for scenario in req.scenarios.all():
            requirements.acknowledge_scenario(scenario=scenario, actor=w.lei)
        due = dt.date.today() + dt.timedelta(days=30)
        for n, component in enumerate([w.order_service, w.refund_api, w.ledger], start=1):
            plans.add_item(
                requirement=req,
                actor=w.lei,
                based_on=n - 1,
                component=component,
                kind="api_change",
                title=f"改 {component.key}",
                ask="请支持部分退款",
                due_on=due,
                scenario_keys=[f"S-{k}" for k in range(n, scenarios + 1, 3)],
            )
    req.refresh_from_db()
    if stop >= 3:
        plans.submit_for_review(requirement=req, actor=w.lei, revision_number=3)
    if stop >= 4:
        plans.approve_revision(revision=plan_selectors.current_revision(req), actor=w.qiang)
    if stop >= 5:
        start = timezone.now() + dt.timedelta(days=2)
        schedule_meeting(
            requirement=req, actor=w.ming, starts_at=start, ends_at=start + dt.timedelta(hours=1)
        )
    if stop >= 6:
        sign_all(w, req)
        revision = plan_selectors.current_revision(req)
        plans.finalize(
            requirement=req,
            actor=w.ming,
            revision_number=revision.number,
            content_hash=revision.content_hash,
        )
    req.refresh_from_db()
    return req


def hold_meeting(w: World, req: Requirement, *, absent: tuple[User, ...] = ()) -> Meeting:
    """The requirement's latest scheduled meeting takes place now (see `meeting_taken_place`),
    and ming marks it held on the approved current revision."""
    return meetings.mark_held(meeting=meeting_taken_place(w, req, absent=absent), actor=w.ming)


def meeting_taken_place(w: World, req: Requirement, *, absent: tuple[User, ...] = ()) -> Meeting:
    """The requirement's latest scheduled meeting, ready to be marked held: one set for later
    is moved to have started an hour ago, and every invitee but `absent` is recorded present."""
    meeting = req.meetings.filter(status=Meeting.Status.SCHEDULED).order_by("-number").first()
    assert meeting is not None, f"{req.key} has no scheduled meeting to hold"
    start = timezone.now() - dt.timedelta(hours=1)
    if meeting.starts_at > start:
        meeting = meetings.reschedule_meeting(
            meeting=meeting, actor=w.ming, starts_at=start, ends_at=start + dt.timedelta(hours=2)
        )
    away = {u.pk for u in absent}
    for invitee in meeting.invitees.select_related("user"):
        if invitee.attended is None:
            meetings.record_attendance(
                meeting=meeting,
                actor=w.ming,
                user=invitee.user,
                attended=invitee.user_id not in away,
            )
    return meeting


def sign_all(w: World, req: Requirement, teams: list[Team] | None = None) -> None:
    """Each named team (default: the lead team and both parties) signs the current revision
    as the rule wants it: the lead team through its PM (ming) and lead DEV (lei), a related
    party through its DEV (jun, wei); after the alignment meeting: the scheduled one is held
    first when none was."""
    if not held_meetings(req).exists():
        hold_meeting(w, req)
    revision = plan_selectors.current_revision(req)
    signers = {w.order.pk: [w.ming, w.lei], w.payments.pk: [w.jun], w.finance.pk: [w.wei]}
    for team in teams or [w.order, w.payments, w.finance]:
        for signer in signers[team.pk]:
            plans.sign_off(
                requirement=req,
                actor=signer,
                team=team,
                revision_number=revision.number,
                content_hash=revision.content_hash,
            )


PLANNED_DEV_START_ON = dt.date(2026, 12, 21)
PLANNED_LAUNCH_ON = dt.date(2027, 1, 18)


def with_planned_dates(w: World, req: Requirement) -> Requirement:
    """The requirement with planned development start and launch dates, set by its PM."""
    requirements.update_requirement(
        requirement=req,
        actor=w.ming,
        version=req.version,
        planned_dev_start_on=PLANNED_DEV_START_ON,
        planned_launch_on=PLANNED_LAUNCH_ON,
    )
    req.refresh_from_db()
    return req


def rewrite_scenario(w: World, req: Requirement, key: str = "S-2", **changes) -> None:
    """The lead PM changes a scenario's text, by default S-2's acceptance criteria (after the
    hand-off, the items covering it become suspect), confirming what the new plan revision
    withdraws."""
    req.refresh_from_db()
    requirements.update_scenario(
        scenario=req.scenarios.get(number=int(key[2:])),
        actor=w.ming,
        version=req.version,
        confirm=True,
        **(changes or {"acceptance_criteria": "退款金额不超过实付金额"}),
    )


def review_current(w: World, req: Requirement) -> None:
    """The lead DEV submits the current revision and the tech lead approves it."""
    revision = plan_selectors.current_revision(req)
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=revision.number)
    plans.approve_revision(revision=plan_selectors.current_revision(req), actor=w.qiang)


def finalize_current(req: Requirement, actor: User):
    """`actor` finalizes the current revision as they read it."""
    revision = plan_selectors.current_revision(req)
    return plans.finalize(
        requirement=req,
        actor=actor,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )


def open_change(w: World, req: Requirement, *, affected: list[Team]):
    """The lead PM opens a change request found in testing, naming `affected` parties."""
    return plans.open_change_request(
        requirement=req,
        actor=w.ming,
        title="退款需要审批",
        reason="测试发现大额退款无审批",
        phase_found="testing",
        affected_teams=affected,
    )


def hand_to_test(w: World, req: Requirement, *, days_ago: int = 1) -> Requirement:
    """The payments party reports its part handed to test (提测) `days_ago` days ago: a change
    found now is proposed as found in testing."""
    on = timezone.localdate() - dt.timedelta(days=days_ago)
    plans.set_milestone(
        requirement=req, actor=w.jun, team=w.payments, kind="test", due_on=on, done_on=on
    )
    return req


def finance_waived(w):
    """Finance's DEV missed the held meeting; the tech lead excuses finance; all have signed."""
    req = advance(w, "aligning")
    hold_meeting(w, req, absent=(w.wei,))
    waiver = meetings.waive_attendance(
        requirement=req, actor=w.qiang, team=w.finance, reason="封账周"
    )
    sign_all(w, req)
    return req, waiver


def grow(w, req, *, scenarios: int, items: int):
    """Add scenarios, and items on every component covering them, through the services."""
    for n in range(scenarios):
        requirements.add_scenario(requirement=req, actor=w.ming, title=f"更多场景 {n}")
    keys = [s.key for s in req.scenarios.all()]
    due = dt.date.today() + dt.timedelta(days=20)
    components = [w.order_service, w.refund_api, w.ledger]
    for n in range(items):
        plans.add_item(
            requirement=req,
            actor=w.lei,
            based_on=plan_selectors.current_revision(req).number,
            component=components[n % 3],
            kind="api_change",
            title=f"条目 {n}",
            ask="请配合",
            due_on=due,
            scenario_keys=keys[n % len(keys) :: 3],
        )
    req.refresh_from_db()
    return req
