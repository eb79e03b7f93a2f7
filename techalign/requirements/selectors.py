"""Reads on requirements: what a user may see, and who must act next."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connection
from django.db.models import Exists, Model, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from techalign.core import bounds
from techalign.core.errors import Refused
from techalign.core.prepared import Listing, known, prepared
from techalign.org.models import Membership, Role, Team, User
from techalign.org.permissions import (
    committee_team_ids,
    is_admin,
    remember_committee_architects,
    roles_of,
    teams_of,
)
from techalign.plans.models import CurrentParty
from techalign.requirements.models import (
    STEP_OF_STATUS,
    Question,
    QuestionReply,
    Requirement,
    Risk,
    Scenario,
    Status,
)
from techalign.requirements.workflow import AFTER_HAND_OFF, SIGNING

if TYPE_CHECKING:
    from techalign.plans.models import Revision


def party_to(teams: Iterable[int]) -> QuerySet[CurrentParty, Any]:
    """The requirements whose current revision asks something of one of `teams` (ids): one
    index range per team over the current parties kept with each revision."""
    return CurrentParty.objects.filter(team__in=teams).values("requirement_id")


def visible_requirements(user: User) -> QuerySet[Requirement]:
    """Public requirements, and private ones where the user's team leads or is a party, or
    where the user owns, lead-develops or is invited to one of its meetings."""
    if not getattr(user, "is_authenticated", False):
        # No id to compare: `lead_dev_id = None` would read as "has no lead DEV".
        return Requirement.objects.none()
    return _visible(*_viewer(user))


def _viewer(user: User) -> tuple[int, list[int], bool]:
    """What the visibility rule reads of a signed-in user, as a prepared query's values."""
    return user.pk, sorted(teams_of(user)), is_admin(user)


def _visible(user_id: int, team_ids: list[int], admin: bool) -> QuerySet[Requirement]:
    base = Requirement.objects.select_related("lead_team", "owner", "lead_dev")
    if admin:
        return base
    # One subquery per multi-valued path: OR-ing them inside one subquery joined every
    # requirement to all its items and invitees first (0.6-0.9 s at 20,000 requirements).
    # visible_requirement decides the same rule for one row (tests/domain/test_visibility_single).
    invited_to = Requirement.objects.filter(meetings__invitees__user_id=user_id)
    return base.filter(
        Q(is_private=False)
        | Q(lead_team__in=team_ids)
        | Q(owner_id=user_id)
        | Q(lead_dev_id=user_id)
        | Q(pk__in=party_to(team_ids))
        | Q(pk__in=invited_to.values("pk"))
    )


@dataclass(frozen=True, slots=True)
class RequirementSummary:
    """A line of the requirement list: read as plain values, not as four model instances."""

    key: str
    title: str
    status: str
    step: int
    lead_team: str
    owner: str
    lead_dev: str | None
    is_private: bool
    risk: str | None
    version: int
    created_at: datetime


_SUMMARY_COLUMNS = (
    "number",
    "title",
    "status",
    "lead_team__code",
    "owner__username",
    "lead_dev__username",
    "is_private",
    "risk",
    "version",
    "created_at",
)


def _summary(row: tuple[Any, ...]) -> RequirementSummary:
    number, title, status, team, owner, lead_dev, is_private, risk, version, created_at = row
    return RequirementSummary(
        Requirement.key_of(number),
        title,
        status,
        STEP_OF_STATUS[status],
        team,
        owner,
        lead_dev,
        is_private,
        risk or None,
        version,
        created_at,
    )


def requirement_summaries(
    user: User,
    *,
    status: str | None = None,
    team: str | None = None,
    mine: bool = False,
    risk: str | None = None,
) -> Listing:
    """The requirements `user` may see, newest first, as the list shows them, a page at a
    time: filtered by step, lead team (code), "mine" (owning PM or lead DEV), and risk ("high":
    any high-risk category, or one category)."""
    return _summaries.listing(
        *_viewer(user),
        status or None,
        team or None,
        mine,
        risk == "high",
        risk if risk in Risk.values else None,
        then=lambda rows: [_summary(row) for row in rows],
        # Counted without the lead team's, owner's and lead DEV's joins, which a count keeps
        # (an inner join could drop rows, for all Django knows): 500 ms → 13 ms at S=10.
        counted=_summarised,
    )


@prepared
def _summaries(*args: Any) -> QuerySet[Requirement, tuple[Any, ...]]:
    return _summarised.build(*args).order_by("-number").values_list(*_SUMMARY_COLUMNS)


@prepared
def _summarised(
    user_id: int,
    team_ids: list[int],
    admin: bool,
    status: str | None,
    team: str | None,
    mine: bool,
    any_risk: bool,
    risk: str | None,
) -> QuerySet[Requirement]:
    """The list's requirements, as filtered: `_summaries` reads their columns, and the
    listing counts these."""
    found = _visible(user_id, team_ids, admin)
    if status is not None:
        found = found.filter(status=status)
    if team is not None:
        found = found.filter(lead_team__code=team)
    if mine:
        found = found.filter(Q(owner_id=user_id) | Q(lead_dev_id=user_id))
    return _risk_filtered(found, any_risk, risk)


@prepared
def _requirement_numbered(number: int) -> QuerySet[Requirement]:
    """Every request that names a requirement reads it so: SQL compiled once. The number is
    unique, so no order (`first()` would sort by -number)."""
    return (
        Requirement.objects.select_related("lead_team", "owner", "lead_dev")
        .filter(number=number)
        .order_by()[:1]
    )


def visible_requirement(user: User, number: int) -> Requirement | None:
    """The requirement numbered `number` if `user` may see it: the rule of
    `visible_requirements` decided for that one row, at a cost that does not grow with how
    many requirements the user sees.

    The row is read by its number; the single-valued half of the rule is then read off the row
    itself (most requirements are public), and only a private one the user neither leads nor
    owns costs a second query: EXISTS over its current parties (the teams owning an item of
    its current revision) among the user's teams, or over its meetings' invitees. The list's
    `pk IN (subquery)` would build every requirement the user's teams are a party to or
    invited to first; and compiling the whole rule into the row's query cost more in the ORM
    than the row itself."""
    from techalign.meetings.models import Invitee

    found = next(iter(_requirement_numbered(number)), None)
    if found is None or is_admin(user):
        return found
    teams = teams_of(user)
    if (
        not found.is_private
        or found.lead_team_id in teams
        or user.pk in (found.owner_id, found.lead_dev_id)
    ):
        return found
    party = CurrentParty.objects.filter(requirement_id=OuterRef("pk"), team__in=teams)
    invited = Invitee.objects.filter(meeting__requirement_id=OuterRef("pk"), user=user)
    seen = Requirement.objects.filter(Q(pk=found.pk) & (Exists(party) | Exists(invited)))
    return found if seen.exists() else None


@dataclass(frozen=True)
class ChangeMarks:
    """How far a requirement's story has gone, read in one small query: what tells a client
    whether the answer it kept is still current (If-None-Match) without building a new one."""

    revision: int
    marks: str


def change_marks(requirement: Requirement) -> ChangeMarks:
    """The current plan revision, and the newest audit events of the requirement and of the
    organisation (roles, people, teams: they change who acts next and who is a party).

    Every write passes through an audited transition, so a change anywhere in what the
    requirement's answers show moves one of the two; the version counter alone does not cover
    reviews, meetings or questions. Refused attempts move them too: a needless 200, never a
    stale 304.

    Every conditional GET reads these marks, so they are one fixed statement: the ORM took
    ~1.5 ms of CPU to compile the three subqueries that SQLite then answers in ~0.05 ms, each
    from an index (audit events by requirement and seq, by partition and seq)."""
    with connection.cursor() as cursor:
        cursor.execute(_marks_sql(), [requirement.pk] * 2)
        row = cursor.fetchone()
    if row is None:
        return ChangeMarks(revision=0, marks="0.0.0")
    revision, own, org, chain0 = row
    # The audit log's chains commit in seq order each, not together: an organisation event
    # committing late with a lower seq would not move `org`. Those events open their
    # transaction in chain 0, whose newest one always moves.
    marks = ".".join(str(seq or 0) for seq in (own, org, chain0))
    return ChangeMarks(revision=revision or 0, marks=marks)


@cache
def _marks_sql() -> str:
    """change_marks' statement, built once the models are loaded (standard SQL: SQLite and
    PostgreSQL alike)."""
    from techalign.audit.models import AuditEvent
    from techalign.plans.models import Plan, Revision

    newest = (
        "(SELECT seq FROM " + AuditEvent._meta.db_table + " WHERE {} ORDER BY seq DESC LIMIT 1)"
    )
    own = newest.format("requirement_id = %s")
    org = newest.format("requirement_id IS NULL")
    chain0 = newest.format('requirement_id IS NULL AND "partition" = 0')
    return (
        f"SELECT rv.number, {own}, {org}, {chain0} "
        f"FROM {Requirement._meta.db_table} r "
        f"LEFT JOIN {Plan._meta.db_table} p ON p.requirement_id = r.id "
        f"LEFT JOIN {Revision._meta.db_table} rv ON rv.id = p.current_revision_id "
        "WHERE r.id = %s"
    )


def parse_key(key: str | int, prefix: str) -> int | None:
    text = str(key).strip().upper()
    if text.startswith(prefix + "-"):
        text = text[len(prefix) + 1 :]
    # isdigit() alone admits digits such as "²" that int() refuses.
    return int(text) if text.isascii() and text.isdigit() else None


def get_requirement(user: User | None, key: str | int) -> Requirement:
    """One requirement by key (REQ-12, req-12) or number, the one lookup the API, the pages and
    the command line share; invisible ones are simply not found. `user` None is the command
    line, whose operator sees every requirement."""
    number = parse_key(key, "REQ")
    if number is not None and number >= DATABASE_INT:
        number = None  # beyond a database integer: names nothing
    requirement = None
    if number and user is not None:
        requirement = visible_requirement(user, number)
    elif number:
        requirement = Requirement.objects.filter(number=number).first()
    if requirement is None:
        raise Refused("access.not_found", kind=_("Requirement"), ref=str(key))
    return requirement


def get_scenario(requirement: Requirement, key: str) -> Scenario:
    return _part_of(requirement, requirement.scenarios.all(), key, "S", "Scenario")


def get_question(requirement: Requirement, key: str) -> Question:
    return _part_of(requirement, requirement.questions.all(), key, "Q", "Question")


def _part_of(requirement: Requirement, rows: QuerySet[M], key: str, prefix: str, kind: str) -> M:
    """One of the requirement's numbered parts by key ("S-2"), named REQ-n/key when not found."""
    return access_one(rows, key, prefix=prefix, kind=kind, label=f"{requirement.key}/{key}")


def answers_to_accept(user: User) -> QuerySet[Question]:
    """Questions asked by me, or for a team where I am PM or DEV, whose proposed answer awaits
    our acceptance (not my own proposal): the inbox and the API."""
    sides = {team_id for team_id, role in roles_of(user) if role in (Role.PM, Role.DEV)}
    return (
        Question.objects.filter(
            Q(raised_by=user) | Q(raised_for_team__in=sides), state=Question.State.PROPOSED
        )
        .exclude(answer_reply__author=user)
        .select_related("requirement", "scenario", "raised_by", "answer_reply__author")
        .order_by("raised_at")
    )


def get_reply(question: Question, reply_id: int) -> QuestionReply:
    reply = question.replies.filter(pk=reply_id).first()
    if reply is None:
        raise Refused("access.not_found", kind=_("Reply"), ref=f"{question.key}/{reply_id}")
    return reply


@dataclass
class NextAction:
    """One thing someone must do for the requirement to move on."""

    action: str
    message: str
    team: Team | None = None
    roles: list[str] = field(default_factory=list)
    users: list[User] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "message": self.message,
            "team": self.team.code if self.team else None,
            "roles": self.roles,
            "users": [u.username for u in self.users],
        }


class _People:
    """Who might act on a requirement: the active members of its lead team, of its parties and
    of the committees, read in two queries with every role they hold, so running each action's
    check for each of them costs no query per person. Read only when an action asks who: a
    requirement with nothing to do (most finalized ones) reads nobody."""

    def __init__(self, requirement: Requirement, team_ids: set[int]) -> None:
        self.team_ids = team_ids | {requirement.lead_team_id}

    @cached_property
    def users(self) -> list[User]:
        # The committees by their ids, not by a join: "this team or any committee" ORed over a
        # join scanned every team and membership (7-17 ms per requirement at S=10's 2,000 teams).
        committees = committee_team_ids()
        users: dict[int, User] = {}
        roles: dict[int, set[tuple[int, str]]] = {}
        for m in _memberships_of_members(sorted(self.team_ids | committees)):
            users.setdefault(m.user_id, m.user)
            roles.setdefault(m.user_id, set()).add((m.team_id, m.role))
        for user in users.values():
            user._techalign_roles = frozenset(roles[user.pk])  # type: ignore[attr-defined]
        found = sorted(users.values(), key=lambda u: u.username)
        remember_committee_architects(found, committees)
        return found

    def who(self, check: Callable[..., Refused | None], *args: Any) -> list[User]:
        """Everyone whose `check` passes: the people who can act are who must act next."""
        return [u for u in self.users if check(u, *args) is None]


def _hold_meeting_action(requirement: Requirement, people: _People) -> NextAction | None:
    """The next scheduled meeting: its minute-keepers record who attended and mark it held."""
    from techalign.meetings import permissions as meeting_rules
    from techalign.meetings.models import Meeting

    meeting = (
        requirement.meetings.filter(status=Meeting.Status.SCHEDULED).order_by("starts_at").first()
    )
    if meeting is None:
        return None
    invited = set(meeting.invitees.values_list("user_id", flat=True))
    # A time stored outside the accepted dates reads as stored: no zone may represent it.
    starts = bounds.localtime(meeting.starts_at) or meeting.starts_at
    return NextAction(
        "hold_meeting",
        _(
            "Hold meeting %(meeting)s (starts %(starts)s): record who attended and mark it "
            "held; the parties sign off after it."
        )
        % {"meeting": meeting.key, "starts": f"{starts:%Y-%m-%d %H:%M}"},
        requirement.lead_team,
        [Role.PM, Role.DEV],
        [
            u
            for u in people.users
            if meeting_rules.check_edit_minutes(u, meeting, is_invitee=u.pk in invited) is None
        ],
    )


def _who_settles(people: _People, question: Question) -> list[User]:
    """Who moves an open question on: the asker's side when an answer is proposed, else those
    who may propose one."""
    from techalign.requirements import permissions as rules

    if question.state == Question.State.PROPOSED:
        return people.who(rules.check_accept_answer, question)
    return people.who(rules.check_propose_answer, question)


def acknowledgement_delegate_names(requirement: Requirement) -> list[str]:
    """Usernames of the DEVs the lead DEV lets acknowledge scenarios, sorted."""
    return sorted(_delegate_names(requirement.pk))


@prepared
def _delegate_names(requirement_id: int) -> QuerySet[User, str]:
    return User.objects.filter(acknowledgement_delegations=requirement_id).values_list(
        "username", flat=True
    )


@prepared
def _open_questions(requirement_id: int) -> QuerySet[Question]:
    return Question.objects.filter(
        requirement_id=requirement_id, resolved_at__isnull=True
    ).select_related("raised_by", "raised_for_team", "answer_reply")


@prepared
def _questions_of(requirement_id: int, open_only: bool) -> QuerySet[Question]:
    found = (
        Question.objects.filter(requirement_id=requirement_id)
        .select_related("scenario", "meeting", "raised_by", "resolved_by", "raised_for_team")
        .prefetch_related(Prefetch("replies", QuestionReply.objects.select_related("author")))
    )
    return found.filter(resolved_at__isnull=True) if open_only else found


def questions_listing(requirement: Requirement, *, open_only: bool = False) -> Listing:
    """The requirement's questions (only the open ones with `open_only`), with their replies,
    to be read a page at a time."""
    return _questions_of.listing(
        requirement.pk, open_only, then=lambda rows: known(rows, "requirement", requirement)
    )


@prepared
def _memberships_of_members(team_ids: list[int]) -> QuerySet[Membership]:
    """Every role of every active member of these teams, with the person."""
    members = Membership.objects.filter(team__in=team_ids, user__is_active=True).values("user")
    return Membership.objects.filter(user__in=members).select_related("user")


def next_actions(requirement: Requirement, revision: Revision | None = None) -> list[NextAction]:
    """Who must act next, and why, for the requirement's current step; `revision` is the
    current revision when the caller has read it already.

    Each action's people are those whose check (the one its service raises) passes."""
    from techalign.meetings import permissions as meeting_rules
    from techalign.meetings import selectors as meeting_reads
    from techalign.plans import permissions as plan_rules
    from techalign.plans import selectors as plans
    from techalign.requirements import permissions as rules

    status = requirement.status
    lead = requirement.lead_team
    revision = revision or plans.current_revision(requirement)
    baseline = plans.latest_baseline(requirement) if status == Status.FINALIZED else None
    if baseline is not None and revision is not None and revision.pk == baseline.revision_id:
        # Mostly the baseline is of the current revision: the same row, whose items and owners
        # are read already (the milestone checks below ask for them too).
        baseline.revision = revision
    # The parties whose members may act: signers while signing, planners once baselined.
    parties: set[int] = set()
    if status in SIGNING and revision is not None:
        parties = plans.party_team_ids(requirement, revision)
    elif baseline is not None:
        parties = plans.party_team_ids(requirement, baseline.revision)
    people = _People(requirement, parties)
    actions: list[NextAction] = []
    open_questions = known(_open_questions(requirement.pk), "requirement", requirement)

    if status == Status.DRAFT:
        pms = people.who(rules.check_hand_off, requirement)
        if pms:
            message = _("Hand off the requirement to the lead DEV.")
            actions.append(NextAction("hand_off", message, lead, [Role.PM], pms))
        else:
            actions.append(
                NextAction(
                    "write_scenarios",
                    _("Write the scenarios and hand off to the lead DEV."),
                    lead,
                    [Role.PM],
                    people.who(rules.check_edit_requirement, requirement),
                )
            )
    if status in AFTER_HAND_OFF:
        asked = {q.scenario_id for q in open_questions if q.stage == Question.Stage.HAND_OFF}
        # From the live scenarios the answer or page has read already, not a query of its own.
        pending = [
            s
            for s in plans.live_scenarios(requirement)
            if s.acknowledged_at is None and s.pk not in asked
        ]
        if pending:
            actions.append(
                NextAction(
                    "acknowledge",
                    _("Acknowledge or ask about scenarios %(keys)s.")
                    % {"keys": ", ".join(s.key for s in pending)},
                    lead,
                    [Role.DEV],
                    people.who(rules.check_acknowledge, requirement, pending[0]),
                )
            )
    if status in AFTER_HAND_OFF and revision is not None:
        suspect = plans.suspect_by_item(requirement, revision)
        if suspect:
            actions.append(
                NextAction(
                    "confirm_suspect",
                    _("Confirm or edit suspect items %(keys)s: a scenario they cover changed.")
                    % {"keys": ", ".join(suspect)},
                    lead,
                    [Role.DEV],
                    people.who(plan_rules.check_confirm_item, requirement, revision),
                )
            )
    hand_off_questions = [q for q in open_questions if q.stage == Question.Stage.HAND_OFF]
    if hand_off_questions:
        actions.append(
            NextAction(
                "answer_questions",
                _("Answer hand-off questions %(keys)s.")
                % {"keys": ", ".join(q.key for q in hand_off_questions)},
                lead,
                [Role.PM],
                _union(_who_settles(people, q) for q in hand_off_questions),
            )
        )
    if status == Status.PLANNING:
        actions.append(_planning_action(requirement, revision, people))
    if status == Status.IN_REVIEW and revision is not None:
        gaps = plans.approval_gaps(requirement, revision)
        message = _("Review revision %(n)s.") % {"n": revision.number}
        if gaps:
            message += " " + " ".join(g.message for g in gaps)
        actions.append(
            NextAction(
                "review",
                message,
                lead,
                [Role.TECH_LEAD, Role.ARCHITECT],
                people.who(plan_rules.check_review, revision),
            )
        )
    if (
        status in SIGNING
        and revision is not None
        and (owed := plans.awaited_approvals(requirement, revision))
    ):
        actions.append(
            NextAction(
                "review",
                _(
                    "Revision %(n)s was approved before the requirement was marked high-risk: "
                    "it now needs the approval of %(who)s too (or a request for changes)."
                )
                % {
                    "n": revision.number,
                    "who": ", ".join(str(plans.Approval.LABELS[m]) for m in owed),
                },
                lead,
                [Role.TECH_LEAD, Role.ARCHITECT],
                people.who(plan_rules.check_review, revision),
            )
        )
    # Once a meeting was held, a re-approved plan goes straight to the parties still to sign.
    if (
        status == Status.APPROVED
        and plans.open_change_request(requirement) is None
        and (revision is None or plans.meeting_not_held(requirement, revision))
    ):
        actions.append(
            NextAction(
                "schedule_meeting",
                _("Schedule the alignment meeting with every related party."),
                lead,
                [Role.PM, Role.DEV],
                people.who(meeting_rules.check_schedule_meeting, requirement),
            )
        )
    if status in SIGNING and revision is not None and plans.meeting_not_held(requirement, revision):
        # Nobody signs before the alignment meeting: its minutes are what comes next.
        if hold := _hold_meeting_action(requirement, people):
            actions.append(hold)
    elif status in SIGNING and revision is not None:
        for row in meeting_reads.party_attendance(requirement, revision):
            if not row.is_aligned:
                actions.append(
                    NextAction(
                        "waive_attendance",
                        _(
                            "%(team)s had nobody at the alignment meeting as %(roles)s: meet "
                            "with them again, or record a waiver with the reason."
                        )
                        % {"team": row.team.name, "roles": ", ".join(row.missing)},
                        lead,
                        [Role.TECH_LEAD, Role.ARCHITECT],
                        people.who(
                            meeting_rules.check_waive_attendance, requirement, row.team, revision
                        ),
                    )
                )
        state = plans.signoff_state(requirement, revision)
        for party in state.parties:
            if party.rejected is not None or party.is_complete:
                continue
            # The people who can sign in a capacity the party still lacks.
            actions.append(
                NextAction(
                    "sign_off",
                    _("%(team)s must sign revision %(n)s.")
                    % {"team": party.team.name, "n": revision.number},
                    party.team,
                    [Role.PM, Role.DEV],
                    _union(
                        people.who(plan_rules.check_sign_off, requirement, party.team, revision, r)
                        for r in party.missing_roles
                    ),
                )
            )
        blocking = [q for q in open_questions if q.is_blocking]
        if blocking:
            actions.append(
                NextAction(
                    "resolve_blocking",
                    _("Resolve blocking questions %(keys)s.")
                    % {"keys": ", ".join(q.key for q in blocking)},
                    lead,
                    [Role.PM, Role.DEV],
                    _union(_who_settles(people, q) for q in blocking),
                )
            )
        if not plans.finalize_gaps(requirement, revision):
            # The gaps are read once above; what is left of the check is its role and step.
            actions.append(
                NextAction(
                    "finalize",
                    _("Everything is signed: finalize revision %(n)s as the baseline.")
                    % {"n": revision.number},
                    lead,
                    [Role.PM, Role.DEV, Role.TECH_LEAD],
                    people.who(plan_rules.check_finalize, requirement),
                )
            )
    if baseline is not None:
        planned = set(requirement.milestones.values_list("team_id", flat=True))
        teams = [lead, *plans.related_parties(requirement, baseline.revision)]
        for team in teams:
            if team.pk in planned:
                continue
            actions.append(
                NextAction(
                    "set_milestones",
                    _("%(team)s: plan the schedule milestones.") % {"team": team.name},
                    team,
                    [Role.PM, Role.DEV],
                    people.who(plan_rules.check_set_milestone, requirement, team, baseline),
                )
            )
    return actions


LIST_SORTS = {
    "newest": ("-number",),
    "oldest": ("number",),
    "title": ("title", "-number"),
    "step": ("status", "-number"),
    "launch": ("planned_launch_on", "-number"),
}


def filter_by_risk(found: QuerySet[Requirement], risk: str) -> QuerySet[Requirement]:
    """ "high": the high-risk requirements of any category; a category: those of it."""
    return _risk_filtered(found, risk == "high", risk if risk in Risk.values else None)


def _risk_filtered(
    found: QuerySet[Requirement], any_risk: bool, category: str | None
) -> QuerySet[Requirement]:
    if any_risk:
        return found.exclude(risk="")
    return found if category is None else found.filter(risk=category)


def search_requirements(
    user: User,
    *,
    text: str = "",
    lead_team: str = "",
    status: str = "",
    mine: bool = False,
    my_teams: bool = False,
    risk: str = "",
    sort: str = "newest",
) -> QuerySet[Requirement]:
    """The requirements a user may see, narrowed by a keyword (a key such as "REQ-12", words of
    the title or of a live scenario's text), the lead team's code, the step, "mine" (owning PM
    or lead DEV), "related to my team" (my team leads it or owns a component it touches) and
    the risk ("high": any high-risk category, or one category)."""
    found = visible_requirements(user)
    text = text.strip()
    if text:
        number = parse_key(text, "REQ")
        scenario_hits = Scenario.objects.filter(is_withdrawn=False).filter(
            Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(acceptance_criteria__icontains=text)
        )
        match = Q(title__icontains=text) | Q(pk__in=scenario_hits.values("requirement"))
        if number is not None:
            match |= Q(number=number)
        found = found.filter(match)
    if lead_team:
        found = found.filter(lead_team__code=lead_team)
    if status in Status.values:
        found = found.filter(status=status)
    if mine:
        found = found.filter(Q(owner=user) | Q(lead_dev=user))
    found = filter_by_risk(found, risk)
    if my_teams:
        teams = teams_of(user)
        found = found.filter(Q(lead_team__in=teams) | Q(pk__in=party_to(teams)))
    return found.order_by(*LIST_SORTS.get(sort, LIST_SORTS["newest"]))


# --- access: one lookup per kind of object (access_meeting, access_revision, ...) -------------

M = TypeVar("M", bound=Model)
DATABASE_INT = 2**31


def access_one(
    rows: QuerySet[M],
    ref: str | int | None,
    *,
    prefix: str | None,
    kind: str,
    label: str,
    field: str = "number",
    lock: bool = False,
) -> M:
    """The object among `rows` (already scoped to what the caller may see) whose `field` is
    the number in `ref` ("M-2", "m-2", "2"; digits only when `prefix` is None). A malformed,
    out-of-range or unknown reference is a not-found refusal naming `label`, never an error;
    `lock` takes the row lock for a write that follows."""
    text = str(ref if ref is not None else "").strip()
    if prefix is not None:
        number = parse_key(text, prefix)
    else:
        number = int(text) if text.isascii() and text.isdigit() else None
    if number is not None and number >= DATABASE_INT:
        number = None
    if lock:
        rows = rows.select_for_update()
    found = rows.filter(**{field: number}).first() if number else None
    if found is None:
        from django.utils.translation import gettext_lazy

        raise Refused("access.not_found", kind=gettext_lazy(kind), ref=label)
    return found


def _union(groups: Iterable[list[User]]) -> list[User]:
    users = {u.pk: u for group in groups for u in group}
    return sorted(users.values(), key=lambda u: u.username)


def _planning_action(
    requirement: Requirement, revision: Revision | None, people: _People
) -> NextAction:
    """Step 2 while the plan is being written: after a review asked for changes, the reviewer's
    words; under a change request that has not changed the plan yet, that request; otherwise
    what is missing before review, or the submission itself."""
    from techalign.plans import permissions as plan_rules
    from techalign.plans import selectors as plans
    from techalign.plans.models import Verdict

    lead = requirement.lead_team
    review = plans.latest_review(revision) if revision is not None else None
    change = plans.open_change_request(requirement)
    if revision is not None and review is not None and review.verdict == Verdict.CHANGES_REQUESTED:
        message = _(
            "Revise the plan: %(reviewer)s requested changes on revision %(n)s: %(comment)s"
        ) % {
            "reviewer": review.reviewer,
            "n": revision.number,
            "comment": review.comment,
        }
        return NextAction(
            "revise_plan",
            message,
            lead,
            [Role.DEV],
            people.who(plan_rules.check_edit_plan, requirement),
        )
    if (
        change is not None
        and revision is not None
        and (revision.pk == change.base_baseline.revision_id)
    ):
        message = _(
            "Change request %(change)s is open: change the plan for it (revision %(n)s is "
            "baseline v%(version)s), or withdraw the request."
        ) % {"change": change.key, "n": revision.number, "version": change.base_baseline.version}
        return NextAction(
            "write_plan",
            message,
            lead,
            [Role.DEV],
            people.who(plan_rules.check_edit_plan, requirement),
        )
    if revision is None or not plans.items_of(revision):
        message = _("Write the technical plan: add items for the scenarios.")
    else:
        uncovered = plans.uncovered_scenarios(requirement, revision)
        if not uncovered:
            return NextAction(
                "submit_for_review",
                _("Submit revision %(n)s for review.") % {"n": revision.number},
                lead,
                [Role.DEV],
                people.who(plan_rules.check_submit_for_review, requirement, revision),
            )
        message = _("Cover scenarios %(keys)s, then submit for review.") % {
            "keys": ", ".join(s.key for s in uncovered)
        }
    return NextAction(
        "write_plan", message, lead, [Role.DEV], people.who(plan_rules.check_edit_plan, requirement)
    )
