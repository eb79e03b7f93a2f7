"""What each event says and to whom: recipients, the teams whose chats hear of it, the text.

`occasion(event, refs)` loads the objects named in `refs` (ids, as stored with the event) and
returns an Occasion. Texts are rendered per recipient in their language by `Occasion.render`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from techalign.calendars.invitations import absolute
from techalign.meetings.models import Meeting
from techalign.notify.models import Event
from techalign.org.models import Role, Team, User
from techalign.plans import selectors as plans
from techalign.plans.models import Baseline, ChangeRequest, Milestone, Review, Revision, Verdict
from techalign.requirements.models import Question, Requirement


@dataclass
class Occasion:
    event: str
    requirement: Requirement | None
    recipients: list[User]
    teams: list[Team]
    url: str
    # (title, body) in the active language; called once per recipient language.
    texts: Callable[[], tuple[str, str]]
    meeting: Meeting | None = None
    # For a meeting event aimed at one person (added or removed invitee).
    cancel_for_recipients: bool = False
    data: dict[str, Any] = field(default_factory=dict)


def members(team_ids: Iterable[int], *roles: str) -> list[User]:
    """Active PMs/DEVs/... of the given teams, each once, in a stable order."""
    return list(
        User.objects.filter(
            memberships__team_id__in=list(team_ids), memberships__role__in=roles, is_active=True
        )
        .distinct()
        .order_by("username")
    )


def _party_ids(requirement: Requirement) -> list[int]:
    return [requirement.lead_team_id, *sorted(plans.party_team_ids(requirement))]


def _teams(ids: Iterable[int]) -> list[Team]:
    return list(Team.objects.filter(pk__in=list(ids)))


def requirement_url(requirement: Requirement, tail: str = "") -> str:
    return absolute(f"/r/{requirement.key}/{tail}")


def _without(users: Iterable[User | None], actor_id: int | None) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        if user is not None and user.pk != actor_id and user.is_active:
            seen.setdefault(user.pk, user)
    return list(seen.values())


def _handed_off(refs: dict[str, int]) -> Occasion:
    req = Requirement.objects.select_related("owner", "lead_dev").get(pk=refs["requirement"])
    return Occasion(
        Event.HANDED_OFF,
        req,
        _without([req.lead_dev], refs.get("actor")),
        _teams([req.lead_team_id]),
        requirement_url(req),
        lambda: (
            _("{requirement} was handed off to you").format(requirement=req),
            _("{pm} handed off {requirement}: acknowledge each scenario or ask about it.").format(
                pm=req.owner, requirement=req
            ),
        ),
        data={"requirement": req.key, "lead_dev": req.lead_dev.username if req.lead_dev else None},
    )


def _question(refs: dict[str, int], answered: bool) -> Occasion:
    question = Question.objects.select_related(
        "requirement__owner", "requirement__lead_dev", "raised_by", "scenario"
    ).get(pk=refs["question"])
    req = question.requirement
    on = question.scenario.key if question.scenario else question.item_key or req.key
    if answered:
        people = [question.raised_by]
        texts = lambda: (  # noqa: E731
            _("{question} on {on} was answered").format(question=question.key, on=on),
            f"{question.body}\n\n{question.answer}",
        )
    else:
        people = (
            [req.owner] if question.stage == Question.Stage.HAND_OFF else [req.owner, req.lead_dev]
        )
        texts = lambda: (  # noqa: E731
            (
                _("Blocking question {question} on {on}")
                if question.is_blocking
                else _("Question {question} on {on}")
            ).format(question=question.key, on=on),
            _("{user} asks: {body}").format(user=question.raised_by, body=question.body),
        )
    return Occasion(
        Event.QUESTION_ANSWERED if answered else Event.QUESTION_ASKED,
        req,
        _without(people, refs.get("actor")),
        _teams([req.lead_team_id]),
        requirement_url(req),
        texts,
        data={
            "requirement": req.key,
            "question": question.key,
            "on": on,
            "blocking": question.is_blocking,
        },
    )


def _review_requested(refs: dict[str, int]) -> Occasion:
    revision = Revision.objects.select_related("plan__requirement").get(pk=refs["revision"])
    req = revision.plan.requirement
    reviewers = members([req.lead_team_id], Role.TECH_LEAD, Role.ARCHITECT)
    return Occasion(
        Event.REVIEW_REQUESTED,
        req,
        _without(reviewers, refs.get("actor")),
        _teams([req.lead_team_id]),
        requirement_url(req, "plan/"),
        lambda: (
            _("Review revision {revision} of {requirement}").format(
                revision=revision.number, requirement=req
            ),
            _("The technical plan of {requirement} is ready for review.").format(
                requirement=req.key
            ),
        ),
        data={"requirement": req.key, "revision": revision.number},
    )


def _review_decided(refs: dict[str, int]) -> Occasion:
    review = Review.objects.select_related(
        "revision__plan__requirement__owner", "revision__plan__requirement__lead_dev", "reviewer"
    ).get(pk=refs["review"])
    req = review.revision.plan.requirement
    approved = review.verdict == Verdict.APPROVED
    people = [req.lead_dev, req.owner, review.revision.author]
    return Occasion(
        Event.REVIEW_DECIDED,
        req,
        _without(people, refs.get("actor")),
        _teams([req.lead_team_id]),
        requirement_url(req, "plan/"),
        lambda: (
            (
                _("Revision {revision} of {requirement} approved")
                if approved
                else _("Changes requested on revision {revision} of {requirement}")
            ).format(revision=review.revision.number, requirement=req.key),
            _("{reviewer}: {comment}").format(
                reviewer=review.reviewer, comment=review.comment or "—"
            ),
        ),
        data={
            "requirement": req.key,
            "revision": review.revision.number,
            "verdict": review.verdict,
        },
    )


def _meeting(refs: dict[str, int], event: str) -> Occasion:
    meeting = Meeting.objects.select_related(
        "requirement", "revision", "presenter", "scheduled_by"
    ).get(pk=refs["meeting"])
    req = meeting.requirement
    only = refs.get("user")
    invitees = meeting.invitees.select_related("user")
    if only:
        people = [i.user for i in invitees.filter(user_id=only)] or list(
            User.objects.filter(pk=only)
        )
    else:
        people = [i.user for i in invitees]
    when = meeting.starts_at
    headline = {
        Event.MEETING_INVITED: _("Invitation: {title}"),
        Event.MEETING_CHANGED: _("Updated: {title}"),
        Event.MEETING_CANCELLED: _("Cancelled: {title}"),
    }[event]
    return Occasion(
        # The organiser is an invitee too and needs the event in their own calendar.
        event,
        req,
        _without(people, None),
        _teams(_party_ids(req)) if not only else [],
        absolute(f"/r/{req.key}/meetings/{meeting.key}/"),
        lambda: (
            headline.format(title=meeting.title),
            _(
                "{requirement} alignment meeting {meeting}, {start} UTC, presented by {presenter}."
            ).format(
                requirement=req.key,
                meeting=meeting.key,
                start=f"{when:%Y-%m-%d %H:%M}",
                presenter=meeting.presenter,
            ),
        ),
        meeting=meeting,
        cancel_for_recipients=bool(only) and event == Event.MEETING_CANCELLED,
        data={
            "requirement": req.key,
            "meeting": meeting.key,
            "uid": str(meeting.uid),
            "starts_at": meeting.starts_at.isoformat(),
            "ends_at": meeting.ends_at.isoformat(),
            "sequence": meeting.sequence,
            "status": meeting.status,
        },
    )


def _signoff_requested(refs: dict[str, int]) -> Occasion:
    meeting = Meeting.objects.select_related("requirement").get(pk=refs["meeting"])
    req = meeting.requirement
    revision = plans.current_revision(req)
    state = plans.signoff_state(req, revision)
    waiting = [t.pk for t in state.missing]
    return Occasion(
        Event.SIGNOFF_REQUESTED,
        req,
        _without(members(waiting, Role.PM, Role.DEV), refs.get("actor")),
        _teams(waiting),
        requirement_url(req, "align/"),
        lambda: (
            _("Sign off revision {revision} of {requirement}").format(
                revision=revision.number, requirement=req.key
            ),
            _(
                "Meeting {meeting} was held; your team's sign-off on revision {revision} "
                "is awaited."
            ).format(meeting=meeting.key, revision=revision.number),
        ),
        data={
            "requirement": req.key,
            "revision": revision.number,
            "teams": [t.code for t in state.missing],
        },
    )


def _finalized(refs: dict[str, int]) -> Occasion:
    baseline = Baseline.objects.select_related("requirement").get(pk=refs["baseline"])
    req = baseline.requirement
    parties = _party_ids(req)
    return Occasion(
        Event.PLAN_FINALIZED,
        req,
        _without(members(parties, Role.PM, Role.DEV, Role.TECH_LEAD), refs.get("actor")),
        _teams(parties),
        requirement_url(req, "baseline/"),
        lambda: (
            _("{requirement} is finalized: baseline v{version}").format(
                requirement=req.key, version=baseline.version
            ),
            _("Baseline v{version} ({hash}) of {requirement} is the agreed plan.").format(
                version=baseline.version, hash=baseline.content_hash[:12], requirement=req
            ),
        ),
        data={
            "requirement": req.key,
            "version": baseline.version,
            "content_hash": baseline.content_hash,
        },
    )


def _change_opened(refs: dict[str, int]) -> Occasion:
    change = ChangeRequest.objects.select_related("requirement", "opened_by").get(pk=refs["change"])
    req = change.requirement
    teams = [req.lead_team_id, *change.affected_teams.values_list("pk", flat=True)]
    return Occasion(
        Event.CHANGE_OPENED,
        req,
        _without(members(teams, Role.PM, Role.DEV), refs.get("actor")),
        _teams(teams),
        requirement_url(req),
        lambda: (
            _("Change request {change} on {requirement}: {title}").format(
                change=change.key, requirement=req.key, title=change.title
            ),
            _("{user} opened it (found in {phase}): {reason}").format(
                user=change.opened_by, phase=change.get_phase_found_display(), reason=change.reason
            ),
        ),
        data={
            "requirement": req.key,
            "change": change.key,
            "phase_found": change.phase_found,
            "cost_weight": change.cost_weight,
        },
    )


def _milestone(refs: dict[str, int], event: str) -> Occasion:
    milestone = Milestone.objects.select_related("requirement", "team").get(pk=refs["milestone"])
    req = milestone.requirement
    overdue = event == Event.MILESTONE_OVERDUE
    return Occasion(
        event,
        req,
        members([milestone.team_id], Role.PM, Role.DEV),
        [milestone.team],
        requirement_url(req, "baseline/"),
        lambda: (
            (
                _("Overdue: {milestone} of {team} for {requirement}")
                if overdue
                else _("Due {due}: {milestone} of {team} for {requirement}")
            ).format(
                milestone=milestone.get_kind_display(),
                team=milestone.team,
                requirement=req.key,
                due=milestone.due_on,
            ),
            _("{milestone} was planned for {due}.").format(
                milestone=milestone.get_kind_display(), due=milestone.due_on
            ),
        ),
        data={
            "requirement": req.key,
            "team": milestone.team.code,
            "kind": milestone.kind,
            "due_on": milestone.due_on.isoformat(),
        },
    )


def _mentioned(refs: dict[str, int]) -> Occasion:
    from techalign.comments.models import Comment

    comment = Comment.objects.select_related("requirement", "author", "scenario").get(
        pk=refs["comment"]
    )
    req = comment.requirement
    tail = "plan/" if comment.item_number else ""
    return Occasion(
        Event.MENTIONED,
        req,
        _without(comment.mentions.all(), refs.get("actor")),
        [],
        requirement_url(req, tail) + f"#comment-{comment.pk}",
        lambda: (
            _("{user} mentioned you on {on} of {requirement}").format(
                user=comment.author, on=comment.on, requirement=req.key
            ),
            comment.body,
        ),
        data={"requirement": req.key, "on": comment.on, "comment": comment.pk},
    )


HANDLERS: dict[str, Callable[[dict[str, int]], Occasion]] = {
    Event.HANDED_OFF: _handed_off,
    Event.QUESTION_ASKED: lambda refs: _question(refs, answered=False),
    Event.QUESTION_ANSWERED: lambda refs: _question(refs, answered=True),
    Event.REVIEW_REQUESTED: _review_requested,
    Event.REVIEW_DECIDED: _review_decided,
    Event.MEETING_INVITED: lambda refs: _meeting(refs, Event.MEETING_INVITED),
    Event.MEETING_CHANGED: lambda refs: _meeting(refs, Event.MEETING_CHANGED),
    Event.MEETING_CANCELLED: lambda refs: _meeting(refs, Event.MEETING_CANCELLED),
    Event.SIGNOFF_REQUESTED: _signoff_requested,
    Event.PLAN_FINALIZED: _finalized,
    Event.CHANGE_OPENED: _change_opened,
    Event.MILESTONE_DUE: lambda refs: _milestone(refs, Event.MILESTONE_DUE),
    Event.MILESTONE_OVERDUE: lambda refs: _milestone(refs, Event.MILESTONE_OVERDUE),
    Event.MENTIONED: _mentioned,
}


def occasion(event: str, refs: dict[str, int]) -> Occasion:
    return HANDLERS[event](refs)
