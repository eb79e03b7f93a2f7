"""The demo's building blocks: each a service call or a short run of them, as the people of the
demo organisation would make them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from techalign.demo.org import SHANGHAI, Org
from techalign.meetings import services as meetings
from techalign.meetings.models import Meeting
from techalign.org.models import User
from techalign.plans import services as plans
from techalign.plans.models import Milestone, Plan, Revision
from techalign.requirements import services as requirements
from techalign.requirements.models import Priority, Requirement


class ScenarioText(NamedTuple):
    title: str
    priority: str
    description: str
    acceptance: str


class ItemText(NamedTuple):
    component: str
    kind: str
    title: str
    description: str
    scenarios: tuple[str, ...]
    ask: str = ""
    due_in_days: int | None = None
    # Who writes it: the lead DEV integrates the plan, a party's DEV may write its own section.
    author: str = ""


def draft(
    org: Org,
    *,
    team: str,
    owner: str,
    lead_dev: str,
    title: str,
    user_stories: str,
    business_process: str,
    scenarios: Sequence[ScenarioText],
    dev_start_in_days: int,
    launch_in_days: int,
    is_private: bool = False,
) -> Requirement:
    requirement = requirements.create_requirement(
        actor=org.users[owner],
        lead_team=org.teams[team],
        title=title,
        user_stories=user_stories,
        business_process=business_process,
        lead_dev=org.users[lead_dev],
        is_private=is_private,
        planned_dev_start_on=org.day(dev_start_in_days),
        planned_launch_on=org.day(launch_in_days),
    )
    for scenario in scenarios:
        requirements.add_scenario(
            requirement=requirement,
            actor=org.users[owner],
            title=scenario.title,
            description=scenario.description,
            priority=scenario.priority,
            acceptance_criteria=scenario.acceptance,
        )
    return requirement


def fresh(requirement: Requirement) -> Requirement:
    """The requirement as the next request would read it.

    The services trust what is cached on the object they are given (its plan, hence the
    current revision), so one object kept across several writes is reloaded between them."""
    requirement.refresh_from_db()
    return requirement


def lead_dev(requirement: Requirement) -> User:
    """The requirement's lead developer: every demo requirement is drafted with one."""
    assert requirement.lead_dev is not None, requirement.key
    return requirement.lead_dev


def hand_off_and_acknowledge(requirement: Requirement) -> None:
    requirements.hand_off(requirement=requirement, actor=requirement.owner)
    for scenario in requirement.scenarios.order_by("number"):
        requirements.acknowledge_scenario(scenario=scenario, actor=lead_dev(requirement))


def revision_number(requirement: Requirement) -> int:
    number = (
        Plan.objects.filter(requirement=requirement)
        .values_list("current_revision__number", flat=True)
        .first()
    )
    return number or 0


def current_revision(requirement: Requirement) -> Revision:
    """The plan's current revision; the demo asks only once the plan has one."""
    revision = (
        Plan.objects.select_related("current_revision")
        .get(requirement=requirement)
        .current_revision
    )
    assert revision is not None, requirement.key
    return revision


def write_plan(org: Org, requirement: Requirement, items: Iterable[ItemText]) -> None:
    for item in items:
        plans.add_item(
            confirm=True,
            requirement=requirement,
            actor=org.users[item.author] if item.author else lead_dev(requirement),
            based_on=revision_number(requirement),
            component=org.components[item.component],
            kind=item.kind,
            title=item.title,
            description=item.description,
            ask=item.ask,
            due_on=org.day(item.due_in_days) if item.due_in_days is not None else None,
            scenario_keys=list(item.scenarios),
        )


def submit(requirement: Requirement) -> None:
    plans.submit_for_review(
        confirm=True,
        requirement=fresh(requirement),
        actor=lead_dev(requirement),
        revision_number=revision_number(requirement),
    )


def approve(org: Org, requirement: Requirement, reviewer: str, comment: str = "") -> None:
    plans.approve_revision(
        revision=current_revision(requirement), actor=org.users[reviewer], comment=comment
    )


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """That time of day in Shanghai, where the demo organisation works."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def workday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def next_week(today: dt.date, weekday: int) -> dt.date:
    """The given weekday (0 = Monday) of the calendar week after today's."""
    return today + dt.timedelta(days=7 - today.weekday() + weekday)


def schedule(
    org: Org, requirement: Requirement, *, day: dt.date, location: str, title: str = ""
) -> Meeting:
    starts_at = at(day, 14)
    return meetings.schedule_meeting(
        requirement=fresh(requirement),
        actor=requirement.owner,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        location=location,
        title=title,
    )


def hold(meeting: Meeting, *, absent: Iterable[str] = ()) -> Meeting:
    """The meeting took place: the minutes record who came, then it is marked held on the
    approved revision (its minutes stay open for decisions and action items)."""
    organiser = meeting.requirement.owner
    away = set(absent)
    for invitee in meeting.invitees.select_related("user"):
        meetings.record_attendance(
            meeting=meeting,
            actor=organiser,
            user=invitee.user,
            attended=invitee.user.username not in away,
        )
    return meetings.mark_held(meeting=meeting, actor=organiser)


def sign(
    org: Org,
    requirement: Requirement,
    signers: Iterable[tuple[str, str]],
    meeting: Meeting | None = None,
) -> None:
    """Each (team, user) signs the current revision for that team, after the alignment
    meeting: the lead team through its PM and its lead DEV, a related party through a DEV."""
    revision = current_revision(requirement)
    for team, user in signers:
        plans.sign_off(
            requirement=fresh(requirement),
            actor=org.users[user],
            team=org.teams[team],
            revision_number=revision.number,
            content_hash=revision.content_hash,
            meeting=meeting,
        )


def finalize(requirement: Requirement) -> None:
    revision = current_revision(requirement)
    plans.finalize(
        requirement=fresh(requirement),
        actor=requirement.owner,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )


def milestones(
    org: Org,
    requirement: Requirement,
    team: str,
    who: str,
    plan: Iterable[tuple[str, int, int | None]],
) -> None:
    """One party's milestones as (kind, due, done or None), days counted from today."""
    for kind, due, done in plan:
        plans.set_milestone(
            requirement=requirement,
            actor=org.users[who],
            team=org.teams[team],
            kind=kind,
            due_on=org.day(due),
            done_on=org.day(done) if done is not None else None,
        )


M = Milestone.Kind
P0, P1, P2 = Priority.P0, Priority.P1, Priority.P2


# --- the requirements, one function per story ------------------------------------------------
