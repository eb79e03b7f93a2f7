"""My work: what the signed-in user must do, across every requirement they can see.

Each category is read with a fixed number of queries whatever the number of rows, so the
inbox and the counts in the navigation bar stay fast as the organisation grows.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, reduce
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from techalign.meetings.models import ActionItem, Invitee, Meeting
from techalign.meetings.selectors import HELD, action_items_assigned
from techalign.org.models import Role, Team, User
from techalign.org.permissions import committee_architect, roles_of
from techalign.plans.models import (
    Item,
    Milestone,
    Review,
    Revision,
    SignOff,
    Verdict,
)
from techalign.plans.selectors import (
    LEAD_REVIEWERS,
    PartySignOffs,
    named_parties,
    settle_signoffs,
)
from techalign.requirements.models import Question, Requirement, Scenario, Status
from techalign.requirements.selectors import answers_to_accept, party_to
from techalign.requirements.workflow import AFTER_HAND_OFF, SIGNING

OPEN = [s for s in Status.values if s not in {Status.FINALIZED, Status.CANCELLED}]
MILESTONE_HORIZON = dt.timedelta(days=14)


def _teams(user: User, *roles: str) -> set[int]:
    return {team_id for team_id, role in roles_of(user) if role in roles}


def scenarios_to_acknowledge(user: User) -> QuerySet[Scenario]:
    """Scenarios handed to me as lead DEV (or as their delegate) that are not acknowledged."""
    # A union, so each side is one index search; OR-ed across the delegates' join the database
    # read every requirement's lead DEV.
    delegated = Requirement.acknowledgement_delegates.through.objects.filter(user=user)
    mine = (
        Requirement.objects.filter(lead_dev=user)
        .order_by()
        .values("pk")
        .union(delegated.order_by().values("requirement_id"))
    )
    return (
        Scenario.objects.filter(
            requirement__in=mine,
            requirement__status__in=AFTER_HAND_OFF,
            acknowledged_at__isnull=True,
            is_withdrawn=False,
        )
        .select_related("requirement")
        .order_by("requirement__number", "number")
    )


def questions_to_answer(user: User) -> QuerySet[Question]:
    """Hand-off questions on requirements I own; other non-blocking questions on those I lead."""
    mine = Q(requirement__owner=user) | Q(requirement__lead_dev=user)
    # Implied by both branches, but as a subquery it lets the database start from my few
    # requirements instead of every open question (on every page: the navigation counts it).
    my_requirements = Requirement.objects.filter(Q(owner=user) | Q(lead_dev=user)).values("pk")
    return (
        Question.objects.filter(
            Q(stage=Question.Stage.HAND_OFF, requirement__owner=user)
            | (~Q(stage=Question.Stage.HAND_OFF) & Q(is_blocking=False) & mine),
            state=Question.State.OPEN,
            requirement__status__in=OPEN,
            requirement__in=my_requirements,
        )
        .select_related("requirement", "scenario", "raised_by")
        .order_by("raised_at")
    )


def _to_review(user: User) -> Q:
    """Plans in review in teams where I am tech lead or architect, which I did not write."""
    lead_teams = _teams(user, *LEAD_REVIEWERS)
    is_committee = committee_architect(user)
    reviewing = Q() if is_committee else Q(lead_team__in=lead_teams)
    authored = Revision.objects.filter(
        plan=OuterRef("plan"), author=user, change_kind=Revision.ChangeKind.ITEMS
    )
    since_submission = Review.objects.filter(
        revision=OuterRef("plan__current_revision"),
        verdict=Verdict.APPROVED,
        created_at__gte=OuterRef("plan__current_revision__submitted_at"),
    )
    # A high-risk plan stays in review after my approval while it waits for the other one.
    approved = since_submission.filter(reviewer=user)
    in_review = reviewing & Q(status=Status.IN_REVIEW) & ~Q(Exists(approved))
    # Approved before it was marked high-risk: the approval of my kind it owes is mine to give.
    owes = Q(status__in=SIGNING) & ~Q(risk="")
    if is_committee:
        by_committee = since_submission.filter(
            reviewer__memberships__team__is_committee=True,
            reviewer__memberships__role=Role.ARCHITECT,
        )
        in_review |= owes & ~Q(Exists(by_committee))
    by_lead = since_submission.filter(
        reviewer__memberships__team=OuterRef("lead_team"),
        reviewer__memberships__role__in=LEAD_REVIEWERS,
    )
    in_review |= owes & Q(lead_team__in=lead_teams) & ~Q(Exists(by_lead))
    return in_review & ~Q(Exists(authored))


def _to_revise(user: User) -> Q:
    """Plans I lead as lead DEV whose current revision a reviewer sent back with changes."""
    return Q(lead_dev=user, status=Status.PLANNING, last_verdict=Verdict.CHANGES_REQUESTED)


def _with_last_verdict(requirements: QuerySet[Requirement]) -> QuerySet[Requirement]:
    latest = Review.objects.filter(revision=OuterRef("plan__current_revision")).order_by(
        "-created_at", "-id"
    )
    return requirements.alias(last_verdict=Subquery(latest.values("verdict")[:1]))


def plans_to_review_or_revise(user: User) -> QuerySet[Requirement]:
    """Both lists in one query: a plan is in review or sent back, never both."""
    return (
        _with_last_verdict(Requirement.objects.all())
        .filter(_to_review(user) | _to_revise(user))
        .select_related("lead_team", "plan__current_revision")
        .order_by("number")
    )


def _my_invitations(user: User) -> QuerySet[Invitee]:
    return (
        Invitee.objects.filter(
            user=user,
            meeting__status=Meeting.Status.SCHEDULED,
            meeting__ends_at__gte=timezone.now(),
        )
        .select_related("meeting__requirement", "meeting__presenter")
        .order_by("meeting__starts_at")
    )


def _awaiting_answer(now: dt.datetime) -> Q:
    return Q(response=Invitee.Response.NEEDS_ACTION, meeting__starts_at__gt=now)


def invitations_to_answer(user: User) -> QuerySet[Invitee]:
    """Invitations to meetings still to come that I have not answered yet."""
    return _my_invitations(user).filter(_awaiting_answer(timezone.now()))


def meetings_to_attend(user: User) -> QuerySet[Invitee]:
    """Meetings still to come or running that I have not declined (nor still to answer)."""
    return (
        _my_invitations(user)
        .exclude(response=Invitee.Response.DECLINED)
        .exclude(_awaiting_answer(timezone.now()))
    )


@dataclass
class OwedSignOff:
    requirement: Requirement
    team: Team
    revision_number: int


def _current_revision(requirement: Requirement) -> Revision:
    revision = requirement.plan.current_revision
    assert revision is not None  # read only for requirements whose plan has one
    return revision


def signoffs_owed(user: User) -> list[OwedSignOff]:
    """Parties I sign for whose sign-off on the current revision is not complete, in a
    capacity I hold that is still missing (see `plans.selectors.signoff_state`), once an
    alignment meeting of the requirement was held.

    Five queries at most: the requirements at the sign-off steps, the parties their current
    revisions touch, the sign-offs of those parties on their plans, the revisions between each
    plan's first sign-off and its current one, and the change requests' named parties. Each
    party is settled by the plan's own rule (`settle_signoffs`), over the same revisions."""
    roles = {(team_id, role) for team_id, role in roles_of(user) if role in (Role.PM, Role.DEV)}
    teams = {team_id for team_id, _role in roles}
    if not teams:
        return []
    # The party side as a subquery of the current parties: OR-ing a join into the main query
    # multiplied each requirement by its parties and needed DISTINCT over the whole org.
    requirements = list(
        Requirement.objects.filter(status__in=SIGNING, plan__current_revision__isnull=False)
        .filter(Q(lead_team__in=teams) | Q(pk__in=party_to(teams)))
        # Sign-offs are owed only after the alignment meeting was held.
        .filter(Exists(Meeting.objects.filter(HELD, requirement=OuterRef("pk"))))
        .select_related("lead_team", "plan__current_revision")
        .order_by("number")
    )
    if not requirements:
        return []
    revisions = {r.pk: _current_revision(r) for r in requirements}
    touched = set(
        Item.objects.filter(
            revision_id__in=[r.pk for r in revisions.values()], owner_team__in=teams
        ).values_list("revision_id", "owner_team_id")
    )
    signed: dict[tuple[int, int], list[SignOff]] = {}
    for signoff in (
        SignOff.objects.filter(
            revision__plan__in=[r.plan for r in requirements],
            team__in=teams,
            # Not those given on revisions after the current one (a withdrawn change's).
            revision__number__lte=F("revision__plan__current_revision__number"),
        )
        .select_related("team", "revision")
        .only(
            "team__code",
            "revision__plan_id",
            "revision__number",
            "revision__change_request_id",
            "role",
            "decision",
            "section_hash",
            "signer_id",
        )
        .order_by("revision__number", "created_at", "id")
    ):
        signed.setdefault((signoff.revision.plan_id, signoff.team_id), []).append(signoff)
    walks = _walks_from_first_signoff(list(revisions.values()), signed)
    named = named_parties({r.change_request_id for walk in walks.values() for r in walk})
    team_by_id = {t.pk: t for t in Team.objects.filter(pk__in=teams)}
    owed = []
    for requirement in requirements:
        revision = revisions[requirement.pk]
        parties = {t for r, t in touched if r == revision.pk}
        if requirement.lead_team_id in teams:
            parties.add(requirement.lead_team_id)
        for team_id in sorted(parties):
            party = settle_signoffs(
                PartySignOffs(
                    team=team_by_id[team_id],
                    is_lead=team_id == requirement.lead_team_id,
                    lead_dev_id=requirement.lead_dev_id,
                ),
                walks[revision.plan_id],
                signed.get((revision.plan_id, team_id), []),
                named_by=named,
            )
            mine = {
                role
                for t, role in roles
                if t == team_id
                and (not party.is_lead or role == Role.PM or requirement.lead_dev_id == user.pk)
            }
            if party.rejected or party.is_complete or not mine & set(party.missing_roles):
                continue
            owed.append(OwedSignOff(requirement, party.team, revision.number))
    return owed


def _walks_from_first_signoff(
    currents: list[Revision], signed: dict[tuple[int, int], list[SignOff]]
) -> dict[int, list[Revision]]:
    """By plan: its revisions from the first one signed on to the current one, as
    `settle_signoffs` walks them; the earlier ones in one query."""
    first: dict[int, int] = {}
    for (plan_id, _team_id), signoffs in signed.items():
        number = signoffs[0].revision.number
        first[plan_id] = min(first.get(plan_id, number), number)
    walks: dict[int, list[Revision]] = {r.plan_id: [] for r in currents}
    ranges = [
        Q(plan_id=r.plan_id, number__gte=first[r.plan_id], number__lt=r.number)
        for r in currents
        if first.get(r.plan_id, r.number) < r.number
    ]
    if ranges:
        earlier = (
            Revision.objects.filter(reduce(operator.or_, ranges))
            .only("plan_id", "number", "content", "change_request_id")
            .order_by("number")
        )
        for revision in earlier:
            walks[revision.plan_id].append(revision)
    for current in currents:
        walks[current.plan_id].append(current)
    return walks


def blocking_questions_on_my_plans(user: User) -> QuerySet[Question]:
    """Open blocking questions on requirements whose plan I lead or wrote items of."""
    my_items = Item.objects.filter(author=user, revision__plan__current_revision=F("revision"))
    # From my requirements to their questions: OR-ed, the database started from every open
    # requirement.
    mine = (
        Requirement.objects.filter(lead_dev=user)
        .order_by()
        .values("pk")
        .union(my_items.order_by().values("revision__plan__requirement"))
    )
    return (
        Question.objects.filter(
            requirement__in=mine,
            is_blocking=True,
            resolved_at__isnull=True,
            requirement__status__in=OPEN,
        )
        .select_related("requirement", "scenario", "raised_by")
        .order_by("raised_at")
    )


def milestones_due(user: User) -> QuerySet[Milestone]:
    """Open milestones of my parties due within two weeks (or overdue)."""
    horizon = timezone.localdate() + MILESTONE_HORIZON
    return (
        Milestone.objects.filter(
            team__in=_teams(user, Role.PM, Role.DEV), done_on__isnull=True, due_on__lte=horizon
        )
        .select_related("requirement", "team")
        .order_by("due_on")
    )


def asks_to_my_teams(user: User) -> QuerySet[Item]:
    """Asks to teams where I am PM or DEV, in the current plans of requirements led by another
    team and not yet finalized: what my team is asked to change, and by when."""
    return (
        Item.objects.filter(
            owner_team__in=_teams(user, Role.PM, Role.DEV),
            revision__plan__current_revision=F("revision"),
            revision__plan__requirement__status__in=OPEN,
        )
        .exclude(owner_team=F("revision__plan__requirement__lead_team"))
        .select_related("revision__plan__requirement", "owner_team", "component")
        .order_by(F("due_on").asc(nulls_last=True), "revision__plan__requirement__number", "number")
    )


# Rows each section of My work shows, the most urgent first. Over years a PM's teams are
# asked for hundreds of items and have hundreds of milestones due; a page listing them all
# took most of a second to build. The rest of a section is one link away, in pages.
INBOX_ROWS = 20


def _sources(user: User) -> dict[str, Callable[[], QuerySet[Any] | list[Any]]]:
    """Each section of My work, by name, as what lists it whole (read only when called)."""
    plans = cache(lambda: list(plans_to_review_or_revise(user)))  # both lists, one query
    return {
        "acknowledge": lambda: scenarios_to_acknowledge(user),
        "answer": lambda: questions_to_answer(user),
        "review": lambda: [r for r in plans() if r.status != Status.PLANNING],
        "revise": lambda: [r for r in plans() if r.status == Status.PLANNING],
        "invitations": lambda: invitations_to_answer(user),
        "meetings": lambda: meetings_to_attend(user),
        "sign_off": lambda: signoffs_owed(user),
        "blocking": lambda: blocking_questions_on_my_plans(user),
        "milestones": lambda: milestones_due(user),
        "asks": lambda: asks_to_my_teams(user),
        "accept": lambda: answers_to_accept(user),
        "actions": lambda: action_items_assigned(user),
    }


def _first(rows: QuerySet[Any] | list[Any], limit: int) -> tuple[list[Any], int]:
    """The first `limit` rows and how many there are: a count only when there are more."""
    if isinstance(rows, list):
        return rows[:limit], len(rows)
    shown = list(rows[: limit + 1])
    if len(shown) <= limit:
        return shown, len(shown)
    return shown[:limit], rows.count()


@dataclass
class Inbox:
    acknowledge: list[Scenario] = field(default_factory=list)
    answer: list[Question] = field(default_factory=list)
    review: list[Requirement] = field(default_factory=list)
    revise: list[Requirement] = field(default_factory=list)
    meetings: list[Invitee] = field(default_factory=list)
    invitations: list[Invitee] = field(default_factory=list)
    sign_off: list[OwedSignOff] = field(default_factory=list)
    blocking: list[Question] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    asks: list[Item] = field(default_factory=list)
    accept: list[Question] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    # How many each section holds in all; its list above shows the first INBOX_ROWS.
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def my_work(user: User) -> Inbox:
    shown, totals = {}, {}
    for name, rows in _sources(user).items():
        shown[name], totals[name] = _first(rows(), INBOX_ROWS)
    return Inbox(**shown, totals=totals)


def work_section(user: User, name: str) -> QuerySet[Any] | list[Any]:
    """One section of My work (a name of `Inbox`), whole, for its own paged list."""
    return _sources(user)[name]()


# The navigation bar counts what waits up to here and shows "99+" past it, as mail and issue
# trackers do. At ten years a PM's teams have some 1,500 things open; counting each kind whole
# after every page cost 91-119 ms of CPU, for a number nobody reads past two digits.
WORK_COUNT_CAP = 99


def count_my_work(user: Any) -> int:
    """The number shown next to "My work" in the navigation bar, exact up to WORK_COUNT_CAP;
    past it, some number above the cap. Each kind is counted without its order and only as
    far as the cap, and counting stops once the cap is passed."""
    total = 0
    # The sign-offs owed are settled in Python over five queries (30 ms for a PM at S=10):
    # counted last, so a bar already past the cap never reads them.
    sources = _sources(user)
    for name in sorted(sources, key=lambda name: name == "sign_off"):
        rows = sources[name]()
        left = WORK_COUNT_CAP + 1 - total
        total += min(len(rows), left) if isinstance(rows, list) else rows.order_by()[:left].count()
        if total > WORK_COUNT_CAP:
            break
    return total
