"""Reads on meetings: the minimum invitee set, who each invitee represents, and whether every
party was aligned (attended a held meeting, or was excused by a waiver)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from techalign.core.prepared import prepared
from techalign.meetings.models import ActionItem, AttendanceWaiver, Invitee, Meeting
from techalign.org.models import Membership, Role, Team, User
from techalign.plans import selectors as plans
from techalign.plans.models import Baseline, Revision
from techalign.requirements.models import Requirement
from techalign.requirements.selectors import access_one


@dataclass(frozen=True)
class Seat:
    """One slot of the minimum: a role of a party, or a named person (lead PM, lead DEV)."""

    team: Team
    role: str
    user: User | None = None

    def label(self) -> str:
        who = f" {self.user}" if self.user else ""
        return f"{self.team.name} {self.role}{who}"


def minimum_seats(requirement: Requirement) -> list[Seat]:
    """The lead PM and lead DEV by name, and a PM and a DEV of every related party."""
    seats = [Seat(requirement.lead_team, Role.PM, requirement.owner)]
    if requirement.lead_dev_id:
        seats.append(Seat(requirement.lead_team, Role.DEV, requirement.lead_dev))
    for team in sorted(plans.related_parties(requirement), key=lambda t: t.code):
        seats += [Seat(team, Role.PM), Seat(team, Role.DEV)]
    return seats


def party_roles(requirement: Requirement, users: list[User]) -> dict[int, list[tuple[int, str]]]:
    """For each user, the (team, role) pairs they hold in the lead team or a related party."""
    team_ids = {requirement.lead_team_id, *plans.party_team_ids(requirement)}
    held: dict[int, list[tuple[int, str]]] = {u.pk: [] for u in users}
    for user_id, team_id, role in Membership.objects.filter(
        user__in=users, team_id__in=team_ids
    ).values_list("user_id", "team_id", "role"):
        held[user_id].append((team_id, role))
    return held


def unmet_seats(requirement: Requirement, required: list[tuple[User, int, str]]) -> list[Seat]:
    """Seats of the minimum that no required invitee fills. `required` is (user, team, role)."""
    missing = []
    for seat in minimum_seats(requirement):
        filled = any(
            team_id == seat.team.pk
            and role == seat.role
            and (seat.user is None or user.pk == seat.user.pk)
            for user, team_id, role in required
        )
        if not filled:
            missing.append(seat)
    return missing


def default_invitees(requirement: Requirement) -> list[tuple[User, Team, str]]:
    """The minimum filled from team roles: named lead PM and DEV, and the first PM and DEV
    (by user name) of each related party."""
    chosen: list[tuple[User, Team, str]] = []
    seen: set[int] = set()
    for seat in minimum_seats(requirement):
        user = seat.user
        if user is None:
            membership = (
                Membership.objects.filter(team=seat.team, role=seat.role, user__is_active=True)
                .exclude(user_id__in=seen)
                .select_related("user")
                .order_by("user__username")
                .first()
            )
            user = membership.user if membership else None
        if user is not None and user.pk not in seen:
            chosen.append((user, seat.team, seat.role))
            seen.add(user.pk)
    return chosen


# A meeting marked held on an approved revision: sign-offs come after one.
HELD = Q(status=Meeting.Status.HELD, held_revision__isnull=False)


def held_meetings(requirement: Requirement) -> QuerySet[Meeting]:
    """The requirement's meetings marked held on an approved revision."""
    return requirement.meetings.filter(HELD)


@dataclass
class PartyAttendance:
    """One party of a revision at the alignment meetings: who attended as its PM and as its DEV
    (at any held meeting), and the waiver that excuses it, if any."""

    team: Team
    attended: dict[str, list[User]] = field(default_factory=dict)
    waiver: AttendanceWaiver | None = None

    @property
    def missing(self) -> list[str]:
        """The roles (PM, DEV) nobody of this party attended as."""
        return [role for role in (Role.PM, Role.DEV) if not self.attended.get(role)]

    @property
    def is_aligned(self) -> bool:
        return not self.missing or self.waiver is not None


def party_attendance(requirement: Requirement, revision: Revision | None) -> list[PartyAttendance]:
    """For the lead team and every related party of `revision`, lead team first: a PM and a DEV
    count when an invitee who attended a held meeting sat as that role of the party, or holds
    that role in it; the party's latest waiver, if any."""
    teams = [
        requirement.lead_team,
        *sorted(plans.related_parties(requirement, revision), key=lambda t: t.code),
    ]
    team_ids = [t.pk for t in teams]
    rows = {t.pk: PartyAttendance(team=t, attended={Role.PM: [], Role.DEV: []}) for t in teams}
    present = _present_at_held_meetings(requirement.pk)
    roles: dict[int, set[tuple[int, str]]] = {}
    for user_id, team_id, role in _seats(sorted({i.user_id for i in present}), team_ids):
        roles.setdefault(user_id, set()).add((team_id, role))
    for invitee in present:
        seats = {(invitee.team_id, invitee.role), *roles.get(invitee.user_id, ())}
        for team_id, role in seats:
            row = rows.get(team_id)
            if row is not None and role in row.attended and invitee.user not in row.attended[role]:
                row.attended[role].append(invitee.user)
    for waiver in _waivers(requirement.pk, team_ids):
        rows[waiver.team_id].waiver = waiver
    return list(rows.values())


# The plan's answer reads who attended with each plan: SQL compiled once (core.prepared).
@prepared
def _present_at_held_meetings(requirement_id: int) -> QuerySet[Invitee]:
    return Invitee.objects.filter(
        meeting__in=Meeting.objects.filter(HELD, requirement_id=requirement_id), attended=True
    ).select_related("user")


@prepared
def _seats(user_ids: list[int], team_ids: list[int]) -> QuerySet[Membership, tuple[int, int, str]]:
    return Membership.objects.filter(user_id__in=user_ids, team_id__in=team_ids).values_list(
        "user_id", "team_id", "role"
    )


@prepared
def _waivers(requirement_id: int, team_ids: list[int]) -> QuerySet[AttendanceWaiver]:
    return AttendanceWaiver.objects.filter(
        requirement_id=requirement_id, team_id__in=team_ids, withdrawn_at__isnull=True
    ).select_related("recorded_by")


def waivers_in_force(
    requirement: Requirement, revision: Revision, before: dt.datetime | None = None
) -> list[AttendanceWaiver]:
    """The requirement's waivers for the lead team and the parties of `revision` in force at
    `before` (a baseline's finalized_at; else now), oldest first."""
    team_ids = {requirement.lead_team_id, *plans.party_team_ids(requirement, revision)}
    waivers = AttendanceWaiver.objects.filter(requirement=requirement, team_id__in=team_ids)
    if before is None:
        waivers = waivers.filter(withdrawn_at__isnull=True)
    else:
        waivers = waivers.filter(recorded_at__lt=before).exclude(withdrawn_at__lt=before)
    return list(waivers.select_related("team", "recorded_by").order_by("recorded_at", "id"))


def waivers_by_baseline(
    requirement: Requirement, baselines: list[Baseline]
) -> dict[int, list[AttendanceWaiver]]:
    """`waivers_in_force` for each of the requirement's `baselines` (by baseline id), in two
    queries whatever their number."""
    from techalign.plans.models import Item

    waivers = list(
        AttendanceWaiver.objects.filter(requirement=requirement)
        .select_related("team", "recorded_by")
        .order_by("recorded_at", "id")
    )
    if not waivers:
        return {b.pk: [] for b in baselines}
    parties: dict[int, set[int]] = {b.revision_id: {requirement.lead_team_id} for b in baselines}
    for revision_id, team_id in (
        Item.objects.filter(revision_id__in=list(parties))
        .order_by()
        .values_list("revision_id", "owner_team_id")
        .distinct()
    ):
        parties[revision_id].add(team_id)
    return {
        b.pk: [
            w
            for w in waivers
            if w.in_force_at(b.finalized_at) and w.team_id in parties[b.revision_id]
        ]
        for b in baselines
    }


@dataclass(frozen=True)
class EmptySeat:
    """A seat of the minimum that only invitees who declined would fill, and the colleagues of
    the same team and role (active, not invited yet) who could take it."""

    seat: Seat
    declined: list[Invitee]
    stand_ins: list[User]


def empty_seats(meeting: Meeting, invitees: list[Invitee]) -> list[EmptySeat]:
    """The seats of a scheduled meeting left empty by required invitees who declined;
    `invitees` is the meeting's invitee list, loaded with their users."""
    if meeting.status != Meeting.Status.SCHEDULED:
        return []
    declined = [i for i in invitees if i.is_required and i.response == Invitee.Response.DECLINED]
    if not declined:
        return []
    requirement = meeting.requirement
    coming = [i.user for i in invitees if i.is_required and i.response != i.Response.DECLINED]
    held = party_roles(requirement, coming)
    missing = unmet_seats(requirement, [(u, t, r) for u in coming for t, r in held[u.pk]])
    declined_held = party_roles(requirement, [i.user for i in declined])
    invited = {i.user_id for i in invitees}
    empty = []
    for seat in missing:
        who = [
            i
            for i in declined
            if (seat.team.pk, seat.role) in declined_held[i.user_id]
            and (seat.user is None or seat.user.pk == i.user_id)
        ]
        if not who:
            continue
        stand_ins = list(
            User.objects.filter(
                is_active=True, memberships__team=seat.team, memberships__role=seat.role
            )
            .exclude(pk__in=invited)
            .distinct()
            .order_by("username")
        )
        empty.append(EmptySeat(seat, who, stand_ins))
    return empty


def active_meetings(requirement: Requirement) -> QuerySet[Meeting]:
    return requirement.meetings.exclude(status=Meeting.Status.CANCELLED)


def access_meeting(requirement: Requirement, key: str | None, *, lock: bool = False) -> Meeting:
    """One meeting of a requirement by key (M-2, m-2 or 2), the one lookup the API, the pages
    and the command line share. Visibility is the requirement's: pass one that
    `get_requirement(user, key)` gave."""
    return access_one(
        requirement.meetings.select_related("presenter", "revision"),
        key,
        prefix="M",
        kind="Meeting",
        label=f"{requirement.key}/{key}",
        lock=lock,
    )


def access_waiver(requirement: Requirement, ref: str | int | None) -> AttendanceWaiver:
    """One attendance waiver of the requirement by its id; another requirement's is not found."""
    return access_one(
        requirement.attendance_waivers.select_related("team", "requirement", "recorded_by"),
        ref,
        prefix=None,
        field="pk",
        kind="Waiver",
        label=f"{requirement.key}/{ref}",
    )


def access_action_item(
    meeting: Meeting, ref: str | int | None, *, lock: bool = False
) -> ActionItem:
    """One action item of a meeting by its id; another meeting's item is not found."""
    return access_one(
        meeting.action_items.select_related("owner", "meeting__requirement"),
        ref,
        prefix=None,
        field="pk",
        kind="Action item",
        label=f"{meeting.key}/{ref}",
        lock=lock,
    )


def action_items_assigned(user: User) -> QuerySet[ActionItem]:
    """My open meeting action items, the earliest due first (the inbox and the API)."""
    return (
        ActionItem.objects.filter(owner=user, done_at__isnull=True)
        .select_related("meeting__requirement", "owner", "scenario", "question")
        .order_by("due_on", "pk")
    )
