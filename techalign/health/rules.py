"""The process-health rules: what the article warns about, detected in what happened.

Each rule reads the models and the audit trail for the whole selection with one or two queries,
never one per requirement, and never refuses anything: the gates live in the services. Codes
are stable; a retired rule keeps its code unused.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, F, Min, OuterRef, Q, Subquery
from django.utils import timezone

# Importing RULES from here (as callers do) also loads the rules that fill it.
from techalign.health.base import (
    RULES as RULES,
)
from techalign.health.base import (
    Context,
    Finding,
    Severity,
    Text,
    rule,
    settled,
    start_of_day,
)
from techalign.meetings.models import ActionItem, AttendanceWaiver, Invitee, Meeting
from techalign.org.models import DEFAULT_COST_CURVE, Component, OrgPolicy, Role
from techalign.plans.models import (
    Baseline,
    ChangeRequest,
    Item,
    Phase,
    Review,
    Revision,
    SignOff,
    SuspectLink,
    Verdict,
)
from techalign.requirements.models import (
    Question,
    QuestionReply,
    Requirement,
    Scenario,
    Status,
)

PHASE_NAMES = {
    Phase.REQUIREMENTS: Text("requirements", "需求阶段"),
    Phase.DESIGN: Text("design", "设计阶段"),
    Phase.DEVELOPMENT: Text("development", "开发阶段"),
    Phase.TESTING: Text("testing", "测试阶段"),
    Phase.RELEASE: Text("release", "发布阶段"),
    Phase.PRODUCTION: Text("production", "线上"),
}
PHASE_ORDER = list(Phase.values)
# A plan reaches these statuses only after it was submitted for review.
SUBMITTED = {Status.IN_REVIEW, Status.APPROVED, Status.ALIGNING, Status.FINALIZED}
# Sign-offs matter while the plan is on its way to a (next) baseline.
SIGNING = {Status.PLANNING, Status.IN_REVIEW, Status.APPROVED, Status.ALIGNING}


# (requirement, author, number, created at, hand-off completed at)
ItemRevision = tuple[int, int, int, dt.datetime, dt.datetime | None]


def _item_revisions(ctx: Context) -> list[ItemRevision]:
    """(requirement, author, number, created at, hand-off completed at) of every revision that
    changed plan items, on the requirements the scope leads, by requirement, author and number;
    one query shared by TA101 and TA102."""
    if "item_revisions" not in ctx.shared:
        ctx.shared["item_revisions"] = list(
            Revision.objects.filter(
                plan__requirement__in=ctx.led, change_kind=Revision.ChangeKind.ITEMS
            )
            .order_by("plan__requirement_id", "author_id", "number")
            .values_list(
                "plan__requirement_id",
                "author_id",
                "number",
                "created_at",
                "plan__requirement__hand_off_completed_at",
            )
        )
    revisions: list[ItemRevision] = ctx.shared["item_revisions"]
    return revisions


@rule(
    "TA101",
    "pm-authored-plan",
    Severity.ERROR,
    title=Text("Plan content written by a PM", "技术方案由产品经理编写"),
    messages={
        "default": Text(
            "{requirement}: plan items were written by {user}, the product manager (revisions "
            "{revisions}). The developers own the technical plan.",
            "{requirement}：方案条目由产品经理 {user} 编写（修订 {revisions}）。"
            "技术方案应由开发负责。",
        )
    },
    prevents=Text(
        "The PM designs the technical plan alone and presents it; the developers who will build "
        "it never think it through, and the gaps surface in development or testing.",
        "产品经理独自设计技术方案并讲解，真正开发的人没有深入思考，问题到开发或测试阶段才暴露。",
    ),
    fix=Text(
        "Let a DEV of the lead team rewrite or take over the items (any edit by a DEV makes a "
        "new revision). The PM comments and raises questions instead.",
        "由主导方开发重写或接手这些条目（开发的任何修改都会产生新修订）；产品经理改为评论和提问。",
    ),
)
def pm_authored_plan(ctx: Context) -> Iterator[Finding]:
    grouped: dict[tuple[int, int], list[tuple[int, dt.datetime]]] = defaultdict(list)
    for requirement_id, author_id, number, created_at, _completed in _item_revisions(ctx):
        if ctx.is_pm_not_dev(author_id, ctx.requirements[requirement_id]):
            grouped[(requirement_id, author_id)].append((number, created_at))
    for (requirement_id, author_id), revisions in grouped.items():
        yield ctx.finding(
            "TA101",
            requirement_id,
            at=revisions[0][1],
            severity=Severity.ERROR,
            subject=f"r{revisions[0][0]}",
            user=ctx.user(author_id),
            revisions=[n for n, _at in revisions],
        )


@rule(
    "TA102",
    "plan-before-hand-off",
    Severity.WARNING,
    title=Text("Plan started before the hand-off was complete", "需求传达未完成就开始写方案"),
    messages={
        "default": Text(
            "{requirement}: plan items were written on {started}, before the hand-off was "
            "complete on {completed}.",
            "{requirement}：{started} 已开始编写方案条目，而需求传达直到 {completed} 才完成。",
        ),
        "pending": Text(
            "{requirement}: plan items were written on {started}, and the hand-off is still not "
            "complete (scenarios unacknowledged or questions unanswered).",
            "{requirement}：{started} 已开始编写方案条目，但需求传达仍未完成"
            "（有场景未确认或问题未答复）。",
        ),
    },
    prevents=Text(
        "Developers design against a requirement they have not understood: scenarios nobody "
        "acknowledged are the ones the plan forgets.",
        "开发在没有理解需求的情况下设计方案：没人确认过的场景，正是方案会遗漏的场景。",
    ),
    fix=Text(
        "Acknowledge every scenario or ask about it, and have the PM answer the questions, "
        "before writing items. Check that the items written early still fit the answers.",
        "先逐条确认场景或就场景提问，由产品经理答复后再写方案条目；"
        "并检查提前写的条目是否仍符合答复。",
    ),
)
def plan_before_hand_off(ctx: Context) -> Iterator[Finding]:
    first: dict[int, tuple[dt.datetime, dt.datetime | None]] = {}
    for requirement_id, _author, _number, created_at, completed in _item_revisions(ctx):
        if requirement_id not in first or created_at < first[requirement_id][0]:
            first[requirement_id] = (created_at, completed)
    for requirement_id, (started, completed) in first.items():
        if completed is not None and started >= completed:
            continue
        yield ctx.finding(
            "TA102",
            requirement_id,
            at=started,
            severity=Severity.WARNING,
            variant="default" if completed else "pending",
            started=started,
            completed=completed,
        )


def _approvals(ctx: Context) -> list[tuple[int, int, int, dt.datetime, bool]]:
    """(requirement, revision number, reviewer, approved at, whether the reviewer wrote plan
    content of the revision) of every approval on the requirements the scope leads; one query
    shared by TA103 and TA104."""
    if "approvals" not in ctx.shared:
        wrote = Revision.objects.filter(
            plan=OuterRef("revision__plan"),
            number__lte=OuterRef("revision__number"),
            change_kind=Revision.ChangeKind.ITEMS,
            author=OuterRef("reviewer"),
        )
        ctx.shared["approvals"] = list(
            Review.objects.filter(revision__plan__requirement__in=ctx.led, verdict=Verdict.APPROVED)
            .annotate(by_author=Exists(wrote))
            .values_list(
                "revision__plan__requirement_id",
                "revision__number",
                "reviewer_id",
                "created_at",
                "by_author",
            )
        )
    approvals: list[tuple[int, int, int, dt.datetime, bool]] = ctx.shared["approvals"]
    return approvals


@rule(
    "TA103",
    "review-by-author",
    Severity.ERROR,
    title=Text("Plan approved by one of its authors", "方案由其作者评审通过"),
    messages={
        "default": Text(
            "{requirement}: revision {revision} was approved by {user}, who wrote plan content "
            "of it.",
            "{requirement}：修订 {revision} 由 {user} 评审通过，但 {user} 编写过该修订的方案内容。",
        )
    },
    prevents=Text(
        "A review by the author is no review: the second pair of eyes that catches a missing "
        "party or an unworkable design is missing.",
        "作者评审自己的方案等于没有评审：本该发现遗漏关联方或方案不可行的第二双眼睛缺席了。",
    ),
    fix=Text(
        "Have a tech lead or architect who wrote none of the plan review the current revision; "
        "add a reviewer to the team, or ask the technical committee.",
        "请一位未参与编写的研发组长或架构师重新评审当前修订；"
        "必要时为小组增加评审人或请技术委员会评审。",
    ),
)
def review_by_author(ctx: Context) -> Iterator[Finding]:
    for requirement_id, number, reviewer_id, at, by_author in _approvals(ctx):
        if not by_author:
            continue
        yield ctx.finding(
            "TA103",
            requirement_id,
            at=at,
            severity=Severity.ERROR,
            subject=f"r{number}",
            revision=number,
            user=ctx.user(reviewer_id),
        )


@rule(
    "TA104",
    "review-without-role",
    Severity.ERROR,
    title=Text(
        "Plan approved by someone without the reviewer role", "方案由无评审角色的人评审通过"
    ),
    messages={
        "default": Text(
            "{requirement}: revision {revision} was approved by {user}, who is neither a tech lead "
            "or architect of {team} nor an architect of a technical committee.",
            "{requirement}：修订 {revision} 由 {user} 评审通过，"
            "但 {user} 既不是 {team} 的研发组长或架构师，"
            "也不是技术委员会的架构师。",
        )
    },
    prevents=Text(
        "Approval by someone who cannot judge the design, so the review catches nothing.",
        "评审人不具备判断技术方案的职责，评审形同虚设。",
    ),
    fix=Text(
        "Have a tech lead or architect review the current revision again. If the reviewer does "
        "hold the role, record it in the team's roles (catalog or CSV import). Roles are "
        "checked as they are now.",
        "请研发组长或架构师重新评审当前修订。如果评审人确实担任该角色，请在小组角色中登记"
        "（目录或 CSV 导入）。"
        "角色按当前状态检查。",
    ),
)
def review_without_role(ctx: Context) -> Iterator[Finding]:
    committees = [pk for pk, team in ctx.teams.items() if team.is_committee]
    for requirement_id, number, reviewer_id, at, _by_author in _approvals(ctx):
        lead = ctx.requirements[requirement_id].lead_team_id
        if ctx.holds(reviewer_id, lead, Role.TECH_LEAD, Role.ARCHITECT) or any(
            ctx.holds(reviewer_id, committee, Role.ARCHITECT) for committee in committees
        ):
            continue
        team = ctx.team(lead)
        yield ctx.finding(
            "TA104",
            requirement_id,
            at=at,
            severity=Severity.ERROR,
            subject=f"r{number}",
            revision=number,
            user=ctx.user(reviewer_id),
            team=team,
        )


def _meetings(ctx: Context) -> list[tuple[int, int, int, int, int, dt.datetime, str]]:
    """(meeting, requirement, number, revision, presenter, starts at, status) of the selection's
    meetings that were not cancelled; one query shared by TA105 and TA106."""
    if "meetings" not in ctx.shared:
        ctx.shared["meetings"] = list(
            Meeting.objects.filter(requirement__in=ctx.selection)
            .exclude(status=Meeting.Status.CANCELLED)
            .order_by()
            .values_list(
                "pk",
                "requirement_id",
                "number",
                "revision_id",
                "presenter_id",
                "starts_at",
                "status",
            )
        )
    meetings: list[tuple[int, int, int, int, int, dt.datetime, str]] = ctx.shared["meetings"]
    return meetings


ROLE_NAMES = {Role.PM: Text("PM", "产品经理"), Role.DEV: Text("DEV", "开发")}


@rule(
    "TA105",
    "party-absent-at-meeting",
    Severity.ERROR,
    title=Text(
        "A party without its PM or DEV at the alignment meeting", "对齐会缺少某一方的产品经理或开发"
    ),
    messages={
        "default": Text(
            "{requirement} {meeting} ({date}): {team} had no {roles} present.",
            "{requirement} {meeting}（{date}）：{team} 没有{roles}到场。",
        )
    },
    prevents=Text(
        "A party's needs are never integrated: its developer does not hear what must change, or "
        "its PM does not hear how the scenarios are served, and the mismatch appears at joint "
        "debugging.",
        "某一方的诉求没有被整合：其开发没听到需要改什么，或其产品经理没听到场景如何被满足，"
        "分歧到联调时才暴露。",
    ),
    fix=Text(
        "Walk the absent party through its part of the plan (a short follow-up meeting), "
        "record the questions it raises, and have it sign off the current revision.",
        "与缺席方单独过一遍其负责的部分（可开简短的补充会），记录其提出的问题，"
        "并请其签认当前修订。",
    ),
)
def party_absent_at_meeting(ctx: Context) -> Iterator[Finding]:
    held = Meeting.objects.filter(requirement__in=ctx.selection, status=Meeting.Status.HELD)
    meetings = [
        (pk, requirement_id, number, revision_id, starts_at)
        for pk, requirement_id, number, revision_id, _by, starts_at, status in _meetings(ctx)
        if status == Meeting.Status.HELD
    ]
    parties: dict[int, set[int]] = defaultdict(set)
    revisions = {revision_id for _pk, _r, _n, revision_id, _at in meetings}
    for revision_id, team_id in (
        Item.objects.filter(revision__in=settled(revisions, held.values("revision_id")))
        .order_by()
        .values_list("revision_id", "owner_team_id")
        .distinct()
    ):
        parties[revision_id].add(team_id)
    # The teams whose attendance is checked at each meeting: the lead team and every party; on
    # a requirement led elsewhere, only the scope's own teams concern the scope.
    checked: dict[int, list[int]] = {}
    for meeting_id, requirement_id, _number, revision_id, _at in meetings:
        requirement = ctx.requirements[requirement_id]
        teams = {requirement.lead_team_id, *parties[revision_id]}
        if ctx.team_ids is not None and not ctx.is_led(requirement):
            teams &= ctx.team_ids
        if teams:
            checked[meeting_id] = sorted(teams)
    present: dict[int, set[int]] = defaultdict(set)
    # Unrecorded attendance counts as present: only a recorded absence is a finding.
    for meeting_id, user_id in (
        Invitee.objects.filter(meeting__in=settled(list(checked), held.values("pk")))
        .exclude(attended=False)
        .order_by()
        .values_list("meeting_id", "user_id")
    ):
        present[meeting_id].add(user_id)
    nobody: set[int] = set()
    for meeting_id, requirement_id, number, _revision_id, starts_at in meetings:
        for team_id in checked.get(meeting_id, ()):
            missing = [
                role
                for role in (Role.PM, Role.DEV)
                if ctx.holders.get((team_id, role), nobody).isdisjoint(present[meeting_id])
            ]
            if missing:
                yield ctx.finding(
                    "TA105",
                    requirement_id,
                    at=starts_at,
                    severity=Severity.ERROR,
                    subject=f"M-{number}",
                    teams=[team_id],
                    meeting=f"M-{number}",
                    date=starts_at,
                    team=ctx.team(team_id),
                    roles=[ROLE_NAMES[r] for r in missing],
                )


@rule(
    "TA106",
    "pm-presenter",
    Severity.WARNING,
    title=Text("The PM presents the plan", "由产品经理讲解技术方案"),
    messages={
        "default": Text(
            "{requirement} {meeting}: the presenter {user} is a product manager, not a developer "
            "of {team}.",
            "{requirement} {meeting}：讲解人 {user} 是产品经理，而不是 {team} 的开发。",
        )
    },
    prevents=Text(
        "When the PM presents, the developers sit silent and the other teams' developers have "
        "no one to challenge on the technical details.",
        "产品经理讲解时，开发沉默，其他团队的开发也找不到可以就技术细节讨论的人。",
    ),
    fix=Text(
        "Change the presenter to a DEV of the lead team who wrote the plan; the PM listens and "
        "raises questions where a scenario is not served.",
        "把讲解人换成编写方案的主导方开发；产品经理旁听，并在场景未被满足处提问。",
    ),
)
def pm_presenter(ctx: Context) -> Iterator[Finding]:
    for _pk, requirement_id, number, _revision, presenter_id, starts_at, _status in _meetings(ctx):
        requirement = ctx.requirements[requirement_id]
        if ctx.is_led(requirement) and ctx.is_pm_not_dev(presenter_id, requirement):
            yield ctx.finding(
                "TA106",
                requirement_id,
                at=starts_at,
                severity=Severity.WARNING,
                subject=f"M-{number}",
                meeting=f"M-{number}",
                user=ctx.user(presenter_id),
                team=ctx.team(requirement.lead_team_id),
            )


@rule(
    "TA107",
    "owner-not-related-party",
    Severity.ERROR,
    title=Text(
        "A touched component's owner is not a related party", "改动组件的负责团队不是关联方"
    ),
    messages={
        "default": Text(
            "{requirement} {item}: {component} is owned by {owner}, which is not a related party "
            "(the plan names {recorded}).",
            "{requirement} {item}：{component} 归属 {owner}，但 {owner} 不是关联方"
            "（方案中记录的是 {recorded}）。",
        )
    },
    prevents=Text(
        "A team whose system changes is never asked: it learns about the change at joint "
        "debugging or in production.",
        "系统被改动的团队从未被征询：直到联调甚至上线后才得知这一改动。",
    ),
    fix=Text(
        "Edit the item (any edit re-reads the owner from the service catalog) so that the owner "
        "becomes a related party with a concrete ask, then take the revision through review "
        "and sign-off again. If the catalog is wrong, fix the catalog.",
        "编辑该条目（任何修改都会从服务目录重新读取负责团队），使其成为带有明确诉求的关联方，"
        "然后重新评审和签认。如果是服务目录有误，请修正目录。",
    ),
)
def owner_not_related_party(ctx: Context) -> Iterator[Finding]:
    if ctx.team_ids is None:
        items = Item.objects.filter(revision__in=ctx.current_revisions())
    else:
        # Led elsewhere, an item concerns the scope when one of its teams owns the component:
        # the items of those components are read whatever their revision (an index search),
        # and kept below when their revision is current in a selected requirement.
        owned = Component.objects.filter(owner_team__in=ctx.team_ids)
        items = Item.objects.filter(
            Q(revision__in=ctx.current_revisions(led=True)) | Q(component__in=owned)
        )
    current = {row.current_revision_id for row in ctx.requirements.values()}
    rows = (
        items.exclude(owner_team=F("component__owner_team"))
        .order_by()
        .values_list(
            "revision_id",
            "revision__plan__requirement_id",
            "number",
            "component__name",
            "component__owner_team_id",
            "owner_team_id",
            "revision__created_at",
        )
    )
    for revision_id, requirement_id, number, component, owner_id, recorded_id, at in rows:
        if revision_id not in current:
            continue
        yield ctx.finding(
            "TA107",
            requirement_id,
            at=at,
            severity=Severity.ERROR,
            subject=f"I-{number}",
            teams=[owner_id],
            item=f"I-{number}",
            component=component,
            owner=ctx.team(owner_id),
            recorded=ctx.team(recorded_id),
        )


@rule(
    "TA108",
    "uncovered-scenario",
    Severity.ERROR,
    title=Text("A scenario the submitted plan does not cover", "已提交的方案未覆盖某个场景"),
    messages={
        "default": Text(
            "{requirement}: scenario {scenario} is neither covered by an item of revision "
            "{revision} nor marked out of scope.",
            "{requirement}：场景 {scenario} 既未被修订 {revision} 的任何条目覆盖，"
            "也未被标记为不在范围内。",
        )
    },
    prevents=Text(
        "A requirement scenario nobody built: it is discovered in testing or by users, where "
        "it costs many times more.",
        "某个需求场景没有人实现：直到测试或用户使用时才被发现，修复成本高出许多倍。",
    ),
    fix=Text(
        "Add the scenario to an item that serves it (or a new item), or have the PM mark it out "
        "of scope with a reason, then submit the new revision.",
        "把该场景关联到能满足它的条目（或新增条目），或由产品经理注明原因标记为不在范围内，"
        "然后提交新修订。",
    ),
)
def uncovered_scenario(ctx: Context) -> Iterator[Finding]:
    covered = Item.scenarios.through.objects.filter(
        scenario=OuterRef("pk"), item__revision=OuterRef("requirement__plan__current_revision")
    )
    rows = (
        Scenario.objects.filter(
            requirement__in=ctx.led,
            requirement__status__in=SUBMITTED,
            is_withdrawn=False,
            out_of_scope_at__isnull=True,
        )
        .exclude(Exists(covered))
        .values_list(
            "requirement_id",
            "number",
            "requirement__plan__current_revision__number",
            "requirement__plan__current_revision__submitted_at",
            "requirement__plan__current_revision__created_at",
        )
    )
    for requirement_id, number, revision, submitted_at, created_at in rows:
        yield ctx.finding(
            "TA108",
            requirement_id,
            at=submitted_at or created_at,
            severity=Severity.ERROR,
            subject=f"S-{number}",
            scenario=f"S-{number}",
            revision=revision,
        )


def _part_of(content: dict[str, Any], team_code: str | None) -> object:
    """What a party agreed to: its own items; the lead team (None) agrees to everything."""
    if team_code is None:
        return content
    return [item for item in content.get("items", []) if item["owner_team"] == team_code]


def _sign_offs_in_scope(ctx: Context, requirements: Any) -> Any:
    """The sign-offs on `requirements` that concern the scope: led elsewhere, only those of
    the scope's own teams (TA109, TA117)."""
    sign_offs = SignOff.objects.filter(revision__plan__requirement__in=requirements)
    if ctx.team_ids is not None:
        sign_offs = sign_offs.filter(
            Q(revision__plan__requirement__in=ctx.led) | Q(team__in=ctx.team_ids)
        )
    return sign_offs


@rule(
    "TA109",
    "stale-sign-off",
    Severity.WARNING,
    title=Text("A sign-off on a stale revision", "签认的是过期修订"),
    messages={
        "default": Text(
            "{requirement}: {team} signed revision {signed}, but its part changed since (the plan "
            "is at revision {current}); that sign-off no longer counts.",
            "{requirement}：{team} 签认的是修订 {signed}，但其负责的部分此后已变化"
            "（当前为修订 {current}），该签认不再有效。",
        )
    },
    prevents=Text(
        "A party believes it agreed to the plan while the plan it will have to build has "
        "changed under it.",
        "某一方以为自己已同意方案，而它要实现的内容其实已经变了。",
    ),
    fix=Text(
        "Show the party what changed since its revision (the revision diff) and have it sign "
        "the current revision, or reject it with a reason.",
        "向该方说明自其签认的修订以来的变化（修订对比），请其签认当前修订，或说明理由后拒绝。",
    ),
)
def stale_sign_off(ctx: Context) -> Iterator[Finding]:
    signing = ctx.selection.filter(status__in=SIGNING)
    sign_offs = _sign_offs_in_scope(ctx, signing)
    rows = sign_offs.order_by("created_at", "id").values_list(
        "revision__plan__requirement_id", "team_id", "revision_id", "revision__number", "decision"
    )
    on_current: set[tuple[int, int]] = set()
    latest: dict[tuple[int, int], tuple[int, int]] = {}
    for requirement_id, team_id, revision_id, number, decision in rows:
        if revision_id == ctx.requirements[requirement_id].current_revision_id:
            on_current.add((requirement_id, team_id))
        elif decision == SignOff.Decision.APPROVE:
            latest[(requirement_id, team_id)] = (revision_id, number)
    # A party that signed (or refused) the current revision has no stale sign-off.
    latest = {pair: signed for pair, signed in latest.items() if pair not in on_current}
    if not latest:
        return
    current_ids = {ctx.requirements[r].current_revision_id for r, _t in latest}
    revisions = {
        pk: (number, content, created_at)
        for pk, number, content, created_at in Revision.objects.filter(
            pk__in={rev for rev, _n in latest.values()} | current_ids
        ).values_list("pk", "number", "content", "created_at")
    }
    for (requirement_id, team_id), (signed_id, signed_number) in sorted(latest.items()):
        requirement = ctx.requirements[requirement_id]
        if requirement.current_revision_id is None:
            continue  # signed revisions but no current one: nothing they could be stale against
        now_number, now_content, now_at = revisions[requirement.current_revision_id]
        code = None if team_id == requirement.lead_team_id else ctx.teams[team_id].code
        part = _part_of(now_content, code)
        if code is not None and not part:
            continue  # no longer a party: its signature is simply not needed
        if _part_of(revisions[signed_id][1], code) != part:
            yield ctx.finding(
                "TA109",
                requirement_id,
                at=now_at,
                severity=Severity.WARNING,
                subject=ctx.teams[team_id].code,
                teams=[team_id],
                team=ctx.team(team_id),
                signed=signed_number,
                current=now_number,
            )


@rule(
    "TA110",
    "blocking-question-open",
    Severity.WARNING,
    title=Text("A blocking question left open", "阻塞性问题长期未解决"),
    messages={
        "default": Text(
            "{requirement} {question}: a blocking question raised by {user} on {raised} has been "
            "open for {days} working days (at most {maximum} expected).",
            "{requirement} {question}：{user} 于 {raised} 提出的阻塞性问题已 {days} 个工作日未解决"
            "（应不超过 {maximum} 个）。",
        )
    },
    prevents=Text(
        "Questions raised at the meeting and never answered are the gaps that surface later "
        "as change requests.",
        "会上提出却一直没有答复的问题，就是日后以变更形式出现的缺口。",
    ),
    fix=Text(
        "Answer the question (or decide it in a follow-up) and record the resolution; if the "
        "answer changes the plan, revise it before sign-off.",
        "答复该问题（或在后续会议中做出决定）并记录结论；如果结论改变了方案，请在签认前修订方案。",
    ),
    thresholds=("blocking_question_days",),
)
def blocking_question_open(ctx: Context) -> Iterator[Finding]:
    maximum = ctx.policy.blocking_question_days
    rows = Question.objects.filter(
        requirement__in=ctx.led, is_blocking=True, resolved_at__isnull=True
    ).values_list("requirement_id", "number", "raised_by_id", "raised_at")
    for requirement_id, number, raised_by, raised_at in rows:
        days = ctx.workdays.between(timezone.localtime(raised_at).date(), ctx.today)
        if days > maximum:
            yield ctx.finding(
                "TA110",
                requirement_id,
                at=raised_at,
                severity=Severity.WARNING,
                subject=f"Q-{number}",
                question=f"Q-{number}",
                user=ctx.user(raised_by),
                raised=raised_at,
                days=days,
                maximum=maximum,
            )


# (requirement, planned development start, planned launch, aligned at, is high-risk)
Alignment = tuple[int, dt.date | None, dt.date | None, dt.datetime | None, bool]


def _alignments(ctx: Context) -> list[Alignment]:
    """(requirement, planned development start, planned launch, aligned at, is high-risk) for
    requirements with a planned date, in one query shared by TA111 and TA112. Aligned: the
    first meeting not cancelled (held, or scheduled), or else the first baseline, whichever
    came first."""
    if "alignments" not in ctx.shared:
        first_meeting = (
            Meeting.objects.filter(requirement=OuterRef("pk"))
            .exclude(status=Meeting.Status.CANCELLED)
            .order_by("starts_at")
            .values("starts_at")[:1]
        )
        rows = (
            Requirement.objects.filter(pk__in=ctx.led)
            .filter(Q(planned_dev_start_on__isnull=False) | Q(planned_launch_on__isnull=False))
            .annotate(
                meeting_at=Subquery(first_meeting), baseline_at=Min("baselines__finalized_at")
            )
            .values_list(
                "pk",
                "planned_dev_start_on",
                "planned_launch_on",
                "meeting_at",
                "baseline_at",
                "risk",
            )
        )
        ctx.shared["alignments"] = [
            (
                pk,
                start,
                launch,
                min((t for t in (meeting_at, baseline_at) if t), default=None),
                bool(risk),
            )
            for pk, start, launch, meeting_at, baseline_at, risk in rows
        ]
    alignments: list[Alignment] = ctx.shared["alignments"]
    return alignments


def _late_alignment(
    ctx: Context, code: str, field: str, minimum: int, high_risk_minimum: int | None = None
) -> Iterator[Finding]:
    """Alignment fewer than `minimum` working days (`high_risk_minimum` for a high-risk
    requirement, when given) before the planned date in `field` (development start or
    launch); or none yet, that close to it."""
    normal_minimum = minimum
    for requirement_id, dev_start_on, launch_on, aligned_at, high_risk in _alignments(ctx):
        planned_on = dev_start_on if field == "planned_dev_start_on" else launch_on
        if planned_on is None:
            continue
        minimum = (
            high_risk_minimum if high_risk and high_risk_minimum is not None else normal_minimum
        )
        if aligned_at is not None:
            aligned_on = timezone.localtime(aligned_at).date()
            days = ctx.workdays.between(aligned_on, planned_on)
            if days >= minimum:
                continue
            yield ctx.finding(
                code,
                requirement_id,
                at=aligned_at,
                severity=Severity.ERROR if days <= 0 else Severity.WARNING,
                variant="after" if days <= 0 else "default",
                aligned=aligned_on,
                planned=planned_on,
                days=days,
                minimum=minimum,
            )
            continue
        deadline = ctx.workdays.add(planned_on, -minimum)
        if ctx.today <= deadline:
            continue
        days = ctx.workdays.between(ctx.today, planned_on)
        yield ctx.finding(
            code,
            requirement_id,
            at=start_of_day(deadline),
            severity=Severity.ERROR if days <= 0 else Severity.WARNING,
            variant="unaligned_after" if days <= 0 else "unaligned",
            planned=planned_on,
            days=days,
            minimum=minimum,
        )


def _late_messages(what_en: str, what_zh: str) -> dict[str, Text]:
    return {
        "default": Text(
            "{requirement}: alignment on {aligned} is only {days} working days before the "
            f"planned {what_en} on {{planned}} (at least {{minimum}} expected).",
            f"{{requirement}}：对齐时间 {{aligned}} 距计划{what_zh}"
            f"（{{planned}}）仅 {{days}} 个工作日"
            "（应至少 {minimum} 个）。",
        ),
        "after": Text(
            f"{{requirement}}: alignment on {{aligned}} came after the planned {what_en} on "
            "{planned}.",
            f"{{requirement}}：对齐时间 {{aligned}} 晚于计划{what_zh}（{{planned}}）。",
        ),
        "unaligned": Text(
            f"{{requirement}} is not aligned yet and the planned {what_en} on {{planned}} is "
            "{days} working days away (at least {minimum} expected).",
            f"{{requirement}} 尚未对齐，距计划{what_zh}（{{planned}}）只剩 {{days}} 个工作日"
            f"（应至少 {{minimum}} 个）。",
        ),
        "unaligned_after": Text(
            f"{{requirement}} is not aligned and the planned {what_en} on {{planned}} has passed.",
            f"{{requirement}} 尚未对齐，而计划{what_zh}（{{planned}}）已过。",
        ),
    }


@rule(
    "TA111",
    "late-alignment-dev-start",
    Severity.WARNING,
    title=Text("Alignment too close to the planned development start", "对齐距计划开发时间过近"),
    messages=_late_messages("development start", "开发开始"),
    prevents=Text(
        "Aligning when development is about to start leaves no time to change the plan: the "
        "other teams cannot schedule their part, and disagreements are settled in code.",
        "临近开发才对齐，方案已没有调整余地：其他团队来不及排期，分歧只能在代码里解决。",
    ),
    fix=Text(
        "Schedule the alignment meeting earlier, or move the planned development start. Once "
        "late, hold the meeting at once and agree the schedule with every party.",
        "提前安排对齐会，或推迟计划开发时间；已经偏晚时，请立即开会并与各方确认排期。",
    ),
    thresholds=("alignment_days_before_dev_start", "alignment_days_before_dev_start_high_risk"),
    escalation=Text(
        "error when the alignment came after the planned start, or the start passed unaligned",
        "对齐晚于计划开始时间，或到了计划开始时间仍未对齐时为错误",
    ),
)
def late_alignment_dev_start(ctx: Context) -> Iterator[Finding]:
    yield from _late_alignment(
        ctx,
        "TA111",
        "planned_dev_start_on",
        ctx.policy.alignment_days_before_dev_start,
        ctx.policy.alignment_days_before_dev_start_high_risk,
    )


@rule(
    "TA112",
    "late-alignment-launch",
    Severity.WARNING,
    title=Text("Alignment too close to the planned launch", "对齐距计划上线时间过近"),
    messages=_late_messages("launch", "上线"),
    prevents=Text(
        "Aligning weeks before launch means gaps found at the meeting can only be fixed by "
        "cutting scope or slipping the launch.",
        "离上线只有几周才对齐，会上发现的缺口只能靠砍范围或推迟上线来解决。",
    ),
    fix=Text(
        "Align before development starts; if the launch date is fixed, agree now which "
        "scenarios are out of scope.",
        "在开发开始前完成对齐；如果上线日期不能变，请现在就确定哪些场景不在范围内。",
    ),
    thresholds=("alignment_days_before_launch",),
    escalation=Text(
        "error when the alignment came after the planned launch, or the launch passed unaligned",
        "对齐晚于计划上线时间，或到了计划上线时间仍未对齐时为错误",
    ),
)
def late_alignment_launch(ctx: Context) -> Iterator[Finding]:
    yield from _late_alignment(
        ctx, "TA112", "planned_launch_on", ctx.policy.alignment_days_before_launch
    )


@rule(
    "TA113",
    "late-change",
    Severity.WARNING,
    title=Text("A change found late", "变更发现得太晚"),
    messages={
        "default": Text(
            '{requirement} {change} "{title}" was found in {phase}: cost weight {weight} (a change '
            "found in requirements weighs {base}).",
            "{requirement} {change}「{title}」在{phase}才被发现：成本权重 {weight}"
            "（在需求阶段发现为 {base}）。",
        )
    },
    prevents=Text(
        "Gaps found in testing or production cost many times what they cost at the alignment "
        "meeting; counting them shows where the process leaks.",
        "在测试或线上才发现的缺口，成本是对齐会时的许多倍；统计它们能看出流程在哪里漏了。",
    ),
    fix=Text(
        "Nothing to undo: hold a short review of why the alignment missed it (missing party, "
        "uncovered scenario, silent developer) and fix that for the next requirement.",
        "无需撤销：简短复盘对齐为何遗漏（缺少关联方、场景未覆盖、开发沉默），并在下一个需求中改进。",
    ),
    thresholds=("late_change_phase",),
    escalation=Text("error when found in production", "线上发现的变更为错误"),
)
def late_change(ctx: Context) -> Iterator[Finding]:
    late = PHASE_ORDER[PHASE_ORDER.index(ctx.policy.late_change_phase) :]
    changes = ChangeRequest.objects.filter(phase_found__in=late).exclude(
        status=ChangeRequest.Status.WITHDRAWN
    )
    affected_teams = ChangeRequest.affected_teams.through.objects
    if ctx.team_ids is None:
        changes = changes.filter(requirement__in=ctx.selection)
    else:
        # Led elsewhere, a change concerns the scope when it affects one of its teams: the few
        # changes affecting them are read whatever their requirement, then kept if selected.
        naming = affected_teams.filter(team__in=ctx.team_ids).values("changerequest_id")
        changes = changes.filter(Q(requirement__in=ctx.led) | Q(pk__in=naming))
    rows = [
        row
        for row in changes.values_list(
            "pk", "requirement_id", "number", "title", "phase_found", "cost_weight", "opened_at"
        )
        if row[1] in ctx.requirements
    ]
    if not rows:
        return
    policy = OrgPolicy.objects.filter(pk=1).first()
    base = policy.cost_weight(Phase.REQUIREMENTS) if policy else DEFAULT_COST_CURVE["requirements"]
    affected: dict[int, set[int]] = defaultdict(set)
    for change_id, team_id in affected_teams.filter(
        changerequest__in=settled([row[0] for row in rows], changes.values("pk"))
    ).values_list("changerequest_id", "team_id"):
        affected[change_id].add(team_id)
    for pk, requirement_id, number, title, phase, weight, opened_at in rows:
        yield ctx.finding(
            "TA113",
            requirement_id,
            at=opened_at,
            severity=Severity.ERROR if phase == Phase.PRODUCTION else Severity.WARNING,
            subject=f"CR-{number}",
            teams=affected[pk],
            change=f"CR-{number}",
            title=title,
            phase=PHASE_NAMES[Phase(phase)],
            weight=weight,
            base=base,
        )


# An item's component, owning team, ask and due date.
Ask = tuple[int, int, str, dt.date | None]


@rule(
    "TA120",
    "late-ask",
    Severity.WARNING,
    title=Text(
        "An ask to a related party written too close to its due date", "对关联方的诉求提出过晚"
    ),
    messages={
        "default": Text(
            "{requirement} {item}: the ask to {team} was written on {written}, {days} working "
            "day(s) before it is due on {due} (at least {minimum} expected).",
            "{requirement} {item}：对 {team} 的诉求在 {written} 才提出，距截止日期 {due} 仅 "
            "{days} 个工作日（应至少提前 {minimum} 个工作日）。",
        )
    },
    prevents=Text(
        "A team that hears of its part a few days before it is due cannot schedule it: the "
        "work is squeezed in, skipped, or the date slips at joint debugging.",
        "关联方在截止前几天才得知自己的任务，无法排期：要么仓促赶工，要么遗漏，要么在联调时延期。",
    ),
    fix=Text(
        "Agree a realistic due date with the party (edit the item: the party hears of the "
        "change at once), and write asks to other teams as soon as the plan names them.",
        "与关联方商定可行的截止日期（编辑条目，关联方会立即收到通知），并在方案涉及其他团队时尽早写明诉求。",
    ),
    thresholds=("ask_days_before_due",),
)
def late_ask(ctx: Context) -> Iterator[Finding]:
    """When an ask was written: the revision in which its item's component, ask or due date
    last changed, read from the items of every revision of the selected plans (one query)."""
    minimum = ctx.policy.ask_days_before_due
    current = {row.current_revision_id for row in ctx.requirements.values()}
    rows = (
        Item.objects.filter(revision__plan__requirement__in=ctx.selection)
        .exclude(owner_team=F("revision__plan__requirement__lead_team"))
        .order_by("revision__plan__requirement_id", "number", "revision__number")
        .values_list(
            "revision__plan__requirement_id",
            "number",
            "revision_id",
            "revision__number",
            "revision__created_at",
            "component_id",
            "owner_team_id",
            "ask",
            "due_on",
        )
    )
    last: dict[tuple[int, int], tuple[int, Ask, dt.datetime]] = {}
    for values in rows:
        requirement_id, number, revision_id, revision, at = values[:5]
        ask = values[5:]
        key = (requirement_id, number)
        seen = last.get(key)
        # An item missing from the revision before, or changed in its ask, was written now.
        written_at = at if seen is None or seen[0] != revision - 1 or seen[1] != ask else seen[2]
        last[key] = (revision, ask, written_at)
        _component, owner_id, _text, due_on = ask
        if revision_id not in current or due_on is None:
            continue
        row = ctx.requirements[requirement_id]
        if not ctx.is_led(row) and owner_id not in (ctx.team_ids or ()):
            continue
        written_on = timezone.localtime(written_at).date()
        days = ctx.workdays.between(written_on, due_on)
        if days >= minimum:
            continue
        yield ctx.finding(
            "TA120",
            requirement_id,
            at=written_at,
            severity=Severity.WARNING,
            subject=f"I-{number}",
            teams=[owner_id],
            item=f"I-{number}",
            team=ctx.team(owner_id),
            written=written_on,
            due=due_on,
            days=days,
            minimum=minimum,
        )


@rule(
    "TA114",
    "suspect-item-left-open",
    Severity.WARNING,
    title=Text("A suspect plan item left unconfirmed", "存疑方案条目长期未确认"),
    messages={
        "default": Text(
            "{requirement} {item}: suspect since {marked}, when {scenario} changed; open for "
            "{days} working days (at most {maximum} expected).",
            "{requirement} {item}：{marked} 因 {scenario} 变更而存疑，已 {days} 个工作日未确认"
            "（应不超过 {maximum} 个）。",
        )
    },
    prevents=Text(
        "A scenario changed after hand-off and nobody checked the items written for the old "
        "text: the plan looks complete but builds the wrong thing.",
        "需求场景在传达后发生变化，却没人核对按旧描述写的方案条目：方案看似完整，做出来却不对。",
    ),
    fix=Text(
        "A DEV of the lead team reads the scenario's change on the plan page and either "
        "confirms the item as it stands or edits it to fit the new text.",
        "由主导方开发在方案页查看场景的变更，确认条目无需修改，或修改条目以符合新描述。",
    ),
    thresholds=("suspect_link_days",),
)
def suspect_item_left_open(ctx: Context) -> Iterator[Finding]:
    maximum = ctx.policy.suspect_link_days
    # Only marks on items of the current revision: a removed item holds nothing up.
    current = Item.objects.filter(
        revision_id=OuterRef("requirement__plan__current_revision_id"),
        number=OuterRef("item_number"),
    )
    rows = (
        SuspectLink.objects.filter(
            requirement__in=ctx.led, cleared_at__isnull=True, scenario__is_withdrawn=False
        )
        .filter(Exists(current))
        .values_list("requirement_id", "item_number", "scenario__number", "marked_at")
    )
    for requirement_id, item_number, scenario_number, marked_at in rows:
        days = ctx.workdays.between(timezone.localtime(marked_at).date(), ctx.today)
        if days > maximum:
            yield ctx.finding(
                "TA114",
                requirement_id,
                at=marked_at,
                severity=Severity.WARNING,
                subject=f"I-{item_number}",
                item=f"I-{item_number}",
                scenario=f"S-{scenario_number}",
                marked=marked_at,
                days=days,
                maximum=maximum,
            )


@rule(
    "TA116",
    "baseline-with-waiver",
    Severity.WARNING,
    title=Text(
        "A baseline with a waiver instead of a party at the meeting",
        "基线以豁免代替某一方参会",
    ),
    messages={
        "default": Text(
            "{requirement} baseline v{version}: {team} was excused from the alignment meeting "
            "by {user} ({reason}) instead of attending.",
            "{requirement} 基线 v{version}：{team} 经 {user} 豁免未参加对齐会（{reason}），"
            "而不是到场对齐。",
        )
    },
    prevents=Text(
        "A party that never heard the plan presented agrees to it on paper; its questions come "
        "up at joint debugging instead of at the meeting.",
        "没有听过方案讲解的一方只是在纸面上同意，其疑问到联调时才提出，而不是在对齐会上。",
    ),
    fix=Text(
        "Walk the excused party through its part of the plan soon (a short follow-up meeting) "
        "and record what it raises; keep waivers for parties whose part is small.",
        "尽快与被豁免的一方过一遍其负责的部分（简短的补充会），记录其提出的问题；"
        "豁免只留给改动很小的一方。",
    ),
)
def baseline_with_waiver(ctx: Context) -> Iterator[Finding]:
    waivers = AttendanceWaiver.objects.filter(requirement__in=ctx.selection)
    if ctx.team_ids is not None:
        # Led elsewhere, only the waivers of the scope's own teams concern the scope.
        waivers = waivers.filter(Q(requirement__in=ctx.led) | Q(team__in=ctx.team_ids))
    excused: dict[int, list[tuple[int, str, int, dt.datetime]]] = defaultdict(list)
    for requirement_id, team_id, reason, user_id, recorded_at in waivers.order_by(
        "recorded_at", "id"
    ).values_list("requirement_id", "team_id", "reason", "recorded_by_id", "recorded_at"):
        excused[requirement_id].append((team_id, reason, user_id, recorded_at))
    if not excused:
        return
    baselines = list(
        Baseline.objects.filter(requirement_id__in=list(excused))
        .order_by("requirement_id", "version")
        .values_list("requirement_id", "version", "revision_id", "finalized_at")
    )
    parties: dict[int, set[int]] = defaultdict(set)
    for revision_id, team_id in (
        Item.objects.filter(revision__in=[b[2] for b in baselines])
        .order_by()
        .values_list("revision_id", "owner_team_id")
        .distinct()
    ):
        parties[revision_id].add(team_id)
    for requirement_id, version, revision_id, finalized_at in baselines:
        lead = ctx.requirements[requirement_id].lead_team_id
        in_force: dict[int, tuple[str, int]] = {}
        for team_id, reason, user_id, recorded_at in excused[requirement_id]:
            if recorded_at < finalized_at and team_id in {lead, *parties[revision_id]}:
                in_force[team_id] = (reason, user_id)
        for team_id, (reason, user_id) in sorted(in_force.items()):
            yield ctx.finding(
                "TA116",
                requirement_id,
                at=finalized_at,
                severity=Severity.WARNING,
                subject=f"v{version}",
                teams=[team_id],
                version=version,
                team=ctx.team(team_id),
                user=ctx.user(user_id),
                reason=reason[:200],
            )


@rule(
    "TA117",
    "sign-off-before-meeting",
    Severity.ERROR,
    title=Text("A sign-off given before the alignment meeting", "对齐会之前就签认"),
    messages={
        "default": Text(
            "{requirement}: {team} signed revision {revision} on {date}, before any alignment "
            "meeting of the requirement was held.",
            "{requirement}：{team} 于 {date} 签认修订 {revision}，当时该需求还没有召开过对齐会。",
        )
    },
    prevents=Text(
        "Signing a plan nobody has walked the parties through turns the sign-off into a "
        "formality: the gaps the meeting would have found surface in development or testing.",
        "在没有向各方讲解方案之前签认，签认就成了走过场：本该在对齐会上发现的缺口到开发或测试时才暴露。",
    ),
    fix=Text(
        "Hold the alignment meeting with every party's PM and DEV and have the party sign the "
        "current revision again after it. techalign now refuses sign-offs before a held meeting; "
        "these come from earlier data.",
        "召开有各方产品经理和开发参加的对齐会，会后请该方重新签认当前修订。"
        "techalign 现已拒绝在对齐会之前签认，这些记录来自更早的数据。",
    ),
)
def sign_off_before_meeting(ctx: Context) -> Iterator[Finding]:
    sign_offs = _sign_offs_in_scope(ctx, ctx.selection)
    first_held = (
        Meeting.objects.filter(
            requirement=OuterRef("revision__plan__requirement"),
            status=Meeting.Status.HELD,
            held_at__isnull=False,
        )
        .order_by("held_at")
        .values("held_at")[:1]
    )
    early = (
        sign_offs.annotate(first_held_at=Subquery(first_held))
        .filter(Q(first_held_at__isnull=True) | Q(created_at__lt=F("first_held_at")))
        .order_by("created_at", "id")
        .values_list("revision__plan__requirement_id", "team_id", "revision__number", "created_at")
    )
    for requirement_id, team_id, number, created_at in early:
        yield ctx.finding(
            "TA117",
            requirement_id,
            at=created_at,
            severity=Severity.ERROR,
            subject=f"r{number}/{ctx.teams[team_id].code}",
            teams=[team_id],
            team=ctx.team(team_id),
            revision=number,
            date=created_at,
        )


@rule(
    "TA122",
    "pm-answers-technical-questions",
    Severity.WARNING,
    title=Text(
        "The lead PM answers technical questions on plan items",
        "主导方产品经理代答方案条目上的技术问题",
    ),
    messages={
        "default": Text(
            "{requirement} {question}: {user}, a product manager of the lead team, answered a "
            "technical question on plan item {item}.",
            "{requirement} {question}：主导方产品经理 {user} 答复了方案条目 {item} 上的技术问题。",
        )
    },
    prevents=Text(
        "A PM who answers for the developers (the nanny PM) keeps them silent: the plan's "
        "technical gaps go unseen until development, when only they would have spotted them.",
        "产品经理替开发作答（保姆式产品人），开发就保持沉默：方案的技术缺口直到开发阶段才暴露，"
        "而这些本该由开发在对齐时发现。",
    ),
    fix=Text(
        "Let a DEV of the team owning the item answer; the PM answers questions about "
        "scenarios and requirements.",
        "请由负责该条目的团队的开发答复；产品经理只答复关于场景和需求的问题。",
    ),
)
def pm_answers_technical_questions(ctx: Context) -> Iterator[Finding]:
    rows = (
        QuestionReply.objects.filter(
            question__requirement__in=ctx.led,
            kind=QuestionReply.Kind.PROPOSAL,
        )
        .exclude(question__item_key="")
        .order_by("question_id", "created_at", "id")
        .values_list(
            "question_id",
            "question__requirement_id",
            "question__number",
            "question__item_key",
            "author_id",
            "created_at",
        )
    )
    seen: set[int] = set()
    for question_id, requirement_id, number, item_key, author_id, created_at in rows:
        requirement = ctx.requirements[requirement_id]
        team = requirement.lead_team_id
        if question_id in seen or not (
            ctx.holds(author_id, team, Role.PM) and not ctx.holds(author_id, team, Role.DEV)
        ):
            continue
        seen.add(question_id)
        yield ctx.finding(
            "TA122",
            requirement_id,
            at=created_at,
            severity=Severity.WARNING,
            subject=f"Q-{number}",
            question=f"Q-{number}",
            user=ctx.user(author_id),
            item=item_key,
        )


@rule(
    "TA123",
    "action-item-overdue",
    Severity.WARNING,
    title=Text("An action item past its due date", "行动项已逾期"),
    messages={
        "default": Text(
            '{requirement} {meeting}: the action item "{text}" of {user} was due on {due} and '
            "is still open ({days} working days late).",
            "{requirement} {meeting}：{user} 的行动项「{text}」应于 {due} 完成，至今未完成"
            "（逾期 {days} 个工作日）。",
        ),
        "plan_item": Text(
            '{requirement} {meeting}: the action item "{text}" of {user} on {item} was due on '
            "{due} and is still open ({days} working days late); it holds finalizing.",
            "{requirement} {meeting}：{user} 关于 {item} 的行动项「{text}」应于 {due} 完成，"
            "至今未完成（逾期 {days} 个工作日），方案因此无法敲定。",
        ),
    },
    prevents=Text(
        "Follow-ups agreed at the meeting and never done are the gaps nobody remembers until "
        "they surface in testing.",
        "会上约定却没人跟进的事项，正是直到测试阶段才暴露、却没人记得的缺口。",
    ),
    fix=Text(
        "The owner finishes it and marks it done, or the team agrees a new due date in a "
        "follow-up and records it.",
        "由负责人完成并标记完成；或团队在后续沟通中约定新的完成日期并记录下来。",
    ),
    escalation=Text(
        "error when it serves a plan item of a requirement not yet finalized",
        "关联的方案条目所属需求尚未敲定时为错误",
    ),
)
def action_item_overdue(ctx: Context) -> Iterator[Finding]:
    rows = ActionItem.objects.filter(
        meeting__requirement__in=ctx.led, done_at__isnull=True, due_on__lt=ctx.today
    ).values_list(
        "meeting__requirement_id",
        "meeting__requirement__status",
        "meeting__number",
        "pk",
        "text",
        "owner_id",
        "due_on",
        "item_key",
    )
    for requirement_id, status, meeting, pk, text, owner_id, due_on, item_key in rows:
        holds_finalizing = bool(item_key) and status != Status.FINALIZED
        yield ctx.finding(
            "TA123",
            requirement_id,
            at=start_of_day(due_on),
            severity=Severity.ERROR if holds_finalizing else Severity.WARNING,
            variant="plan_item" if item_key else "default",
            subject=f"M-{meeting}/A-{pk}",
            meeting=f"M-{meeting}",
            text=text[:80],
            user=ctx.user(owner_id),
            item=item_key,
            due=due_on,
            days=ctx.workdays.between(due_on, ctx.today),
        )


@rule(
    "TA118",
    "change-phase-declared-early",
    Severity.WARNING,
    title=Text(
        "A change declared found earlier than its milestones say",
        "变更申报的发现阶段早于里程碑所示",
    ),
    messages={
        "default": Text(
            "{requirement} {change} was declared found in {phase}, though the milestones put it "
            "in {proposed} (cost weight {weight}); the reason given: {reason}",
            "{requirement} {change} 申报在{phase}发现，但里程碑显示已在{proposed}"
            "（成本权重 {weight}）；给出的理由：{reason}",
        )
    },
    prevents=Text(
        "A gap found in testing but booked as found in requirements hides the cost of late "
        "discovery the cost-of-change curve is there to show.",
        "测试阶段发现的缺口若记为需求阶段发现，就掩盖了变更成本曲线要揭示的晚发现成本。",
    ),
    fix=Text(
        "Check the reason with the person who opened the change; if the milestones were right, "
        "count the change in the phase they propose in the next review of the process.",
        "与提出变更的人核实理由；如果里程碑是对的，请在下次流程复盘时按里程碑所示的阶段计入该变更。",
    ),
)
def change_phase_declared_early(ctx: Context) -> Iterator[Finding]:
    rows = (
        ChangeRequest.objects.filter(requirement__in=ctx.led)
        .exclude(phase_proposed="")
        .exclude(status=ChangeRequest.Status.WITHDRAWN)
        .values_list(
            "requirement_id",
            "number",
            "phase_found",
            "phase_proposed",
            "phase_reason",
            "cost_weight",
            "opened_at",
        )
    )
    for requirement_id, number, phase, proposed, reason, weight, opened_at in rows:
        if PHASE_ORDER.index(phase) >= PHASE_ORDER.index(proposed):
            continue
        yield ctx.finding(
            "TA118",
            requirement_id,
            at=opened_at,
            severity=Severity.WARNING,
            subject=f"CR-{number}",
            change=f"CR-{number}",
            phase=PHASE_NAMES[Phase(phase)],
            proposed=PHASE_NAMES[Phase(proposed)],
            weight=weight,
            reason=reason,
        )
