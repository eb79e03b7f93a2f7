"""What each event says and to whom: recipients, the teams whose chats hear of it, the text.

`occasion(event, refs)` loads the objects named in `refs` (ids, as stored with the event) and
returns an Occasion. Texts are rendered per recipient in their language by `Occasion.render`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Model, QuerySet, TextChoices
from django.utils.translation import gettext as _

from techalign.calendars.invitations import absolute, zoned
from techalign.core.prepared import prepared
from techalign.meetings.models import ActionItem, AttendanceWaiver, Invitee, Meeting
from techalign.notify.models import Event
from techalign.org.models import Role, Team, User
from techalign.org.selectors import teams_with_ids
from techalign.plans import selectors as plans
from techalign.plans.models import (
    Baseline,
    ChangeRequest,
    Milestone,
    Phase,
    Review,
    Revision,
    Verdict,
)
from techalign.requirements.models import Question, QuestionReply, Requirement


@dataclass
class Occasion:
    event: str
    requirement: Requirement | None
    recipients: list[User]
    teams: list[Team]
    url: str
    # What the texts are made of (plain values, times in ISO): stored with each inbox row so
    # the title and body are rendered in the reader's language and zone (see `render`).
    params: dict[str, Any]
    meeting: Meeting | None = None
    # For a meeting event aimed at one person (added or removed invitee).
    cancel_for_recipients: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def texts(self) -> tuple[str, str]:
        """(title, body) in the active language and time zone."""
        return render(self.event, self.params)


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


M = TypeVar("M", bound=Model)


def _named(rows: QuerySet[M], pk: int | None) -> M | None:
    """The row an event's optional reference names; None when it names none or it is gone."""
    return rows.filter(pk=pk).first() if pk is not None else None


def _question_with_people(pk: int) -> Question:
    found = _questions_with_people(pk)
    if not found:
        raise Question.DoesNotExist(f"question {pk}")
    return found[0]


@prepared
def _questions_with_people(pk: int) -> QuerySet[Question]:
    return Question.objects.select_related(
        "requirement__owner", "requirement__lead_dev", "raised_by", "scenario", "answer_reply"
    ).filter(pk=pk)


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
        teams_with_ids([req.lead_team_id]),
        requirement_url(req),
        {"requirement": str(req), "pm": str(req.owner)},
        data={"requirement": req.key, "lead_dev": req.lead_dev.username if req.lead_dev else None},
    )


def _cancelled(refs: dict[str, int]) -> Occasion:
    """A requirement dropped before its baseline: the PMs and DEVs of the lead team and of its
    parties stop working on it, and hear why."""
    req = Requirement.objects.select_related("lead_team").get(pk=refs["requirement"])
    teams = _party_ids(req)
    by = _named(User.objects.all(), refs.get("actor"))
    return Occasion(
        Event.REQUIREMENT_CANCELLED,
        req,
        _without(members(teams, Role.PM, Role.DEV), refs.get("actor")),
        teams_with_ids(teams),
        requirement_url(req),
        {"requirement": str(req), "by": str(by or "—"), "reason": req.cancel_reason},
        data={"requirement": req.key, "reason": req.cancel_reason},
    )


def _question(refs: dict[str, int], answered: bool) -> Occasion:
    question = _question_with_people(refs["question"])
    req = question.requirement
    on = question.scenario.key if question.scenario else question.item_key or req.key
    people: list[User | None]
    if answered:
        people = [question.raised_by]
    else:
        people = (
            [req.owner] if question.stage == Question.Stage.HAND_OFF else [req.owner, req.lead_dev]
        )
    return Occasion(
        Event.QUESTION_ANSWERED if answered else Event.QUESTION_ASKED,
        req,
        _without(people, refs.get("actor")),
        teams_with_ids([req.lead_team_id]),
        requirement_url(req),
        {
            "question": question.key,
            "on": on,
            "blocking": question.is_blocking,
            "user": str(question.raised_by),
            "body": question.body,
            # The proposed answer: the asker's side accepts it or not.
            "answer": question.answer_reply.body if answered and question.answer_reply else "",
        },
        data={
            "requirement": req.key,
            "question": question.key,
            "on": on,
            "blocking": question.is_blocking,
        },
    )


def _thread(refs: dict[str, int], event: str) -> Occasion:
    """A reply (the asker hears, and the others in the thread), an acceptance (whoever wrote
    the accepted answer hears, and the asker when someone of their side accepted), a rejection
    or a reopening (whoever proposed or wrote the answer hears, with the reason)."""
    question = Question.objects.select_related(
        "requirement", "raised_by", "scenario", "answer_reply__author"
    ).get(pk=refs["question"])
    req = question.requirement
    on = question.scenario.key if question.scenario else question.item_key or req.key
    actor = _named(User.objects.all(), refs.get("actor"))
    people: list[User | None]
    if event == Event.QUESTION_REPLIED:
        reply = QuestionReply.objects.select_related("author").get(pk=refs["reply"])
        people = [
            question.raised_by,
            *(r.author for r in question.replies.select_related("author")),
        ]
        text = reply.body
    elif event == Event.QUESTION_ACCEPTED:
        answer = _named(QuestionReply.objects.select_related("author"), refs.get("reply"))
        people = [answer.author if answer else None, question.raised_by]
        text = answer.body if answer else question.answer
    else:
        answer = _named(QuestionReply.objects.select_related("author"), refs.get("reply"))
        people = [answer.author if answer else None]
        reason = _named(QuestionReply.objects.all(), refs.get("reason"))
        text = reason.body if reason else ""
    return Occasion(
        event,
        req,
        _without(people, refs.get("actor")),
        [],
        requirement_url(req) + f"#question-{question.key}",
        {
            "question": question.key,
            "on": on,
            "requirement": req.key,
            "user": str(actor) if actor else "",
            "body": text,
        },
        data={"requirement": req.key, "question": question.key, "state": question.state},
    )


def _action_item(refs: dict[str, int], event: str) -> Occasion:
    """An action item for its owner: assigned, due soon, or overdue."""
    item = ActionItem.objects.select_related("meeting__requirement", "owner").get(
        pk=refs["action_item"]
    )
    meeting = item.meeting
    req = meeting.requirement
    return Occasion(
        event,
        req,
        _without([item.owner], refs.get("actor")),
        [],
        absolute(f"/r/{req.key}/meetings/{meeting.key}/") + f"#action-{item.pk}",
        {
            "requirement": req.key,
            "meeting": meeting.key,
            "text": item.text,
            "due": item.due_on.isoformat(),
            "serves": item.serves,
        },
        data={
            "requirement": req.key,
            "meeting": meeting.key,
            "action_item": item.pk,
            "owner": item.owner.username,
            "due_on": item.due_on.isoformat(),
            "serves": item.serves or None,
        },
    )


def _review_requested(refs: dict[str, int]) -> Occasion:
    revision = Revision.objects.select_related("plan__requirement").get(pk=refs["revision"])
    req = revision.plan.requirement
    reviewers = members([req.lead_team_id], Role.TECH_LEAD, Role.ARCHITECT)
    if req.risk:
        # A high-risk plan also needs a committee architect's approval: they are asked too.
        committees = Team.objects.filter(is_committee=True).values_list("pk", flat=True)
        reviewers += [u for u in members(committees, Role.ARCHITECT) if u not in reviewers]
        # Asked again after the marking: not those who approved this submission already.
        approved = revision.reviews.filter(verdict=Verdict.APPROVED)
        if revision.submitted_at is not None:
            approved = approved.filter(created_at__gte=revision.submitted_at)
        done = set(approved.values_list("reviewer_id", flat=True))
        reviewers = [u for u in reviewers if u.pk not in done]
    return Occasion(
        Event.REVIEW_REQUESTED,
        req,
        _without(reviewers, refs.get("actor")),
        teams_with_ids([req.lead_team_id]),
        requirement_url(req, "plan/"),
        {"revision": revision.number, "requirement": str(req), "key": req.key},
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
        teams_with_ids([req.lead_team_id]),
        requirement_url(req, "plan/"),
        {
            "approved": approved,
            "revision": review.revision.number,
            "requirement": req.key,
            "reviewer": str(review.reviewer),
            "comment": review.comment or "—",
        },
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
    return Occasion(
        # The organiser is an invitee too and needs the event in their own calendar.
        event,
        req,
        _without(people, None),
        teams_with_ids(_party_ids(req)) if not only else [],
        absolute(f"/r/{req.key}/meetings/{meeting.key}/"),
        {
            "title": meeting.title,
            "requirement": req.key,
            "meeting": meeting.key,
            "start": meeting.starts_at.isoformat(),
            "presenter": str(meeting.presenter),
        },
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


def _invitation_declined(refs: dict[str, int]) -> Occasion:
    """A required invitee cannot come: the one who scheduled the meeting and the lead team's
    PMs and DEVs (who may change the invitees or the time) hear of the seat left empty."""
    invitee = Invitee.objects.select_related(
        "user", "team", "meeting__requirement", "meeting__scheduled_by"
    ).get(pk=refs["invitee"])
    meeting = invitee.meeting
    req = meeting.requirement
    organisers = [meeting.scheduled_by, *members([req.lead_team_id], Role.PM, Role.DEV)]
    return Occasion(
        Event.INVITATION_DECLINED,
        req,
        _without(organisers, refs.get("actor")),
        teams_with_ids([req.lead_team_id]),
        absolute(f"/r/{req.key}/meetings/{meeting.key}/#meeting_info"),
        {
            "user": str(invitee.user),
            "team": str(invitee.team),
            "role": invitee.role,
            "meeting": meeting.key,
            "requirement": req.key,
            "note": invitee.response_note,
        },
        data={
            "requirement": req.key,
            "meeting": meeting.key,
            "user": invitee.user.username,
            "team": invitee.team.code,
            "role": invitee.role,
        },
    )


def _waiver(refs: dict[str, int], event: str) -> Occasion:
    """A party excused from the alignment meeting, or no longer: its PMs and DEVs, and the
    lead team's, hear of it with the reason (finalizing depends on it)."""
    waiver = AttendanceWaiver.objects.select_related(
        "team", "requirement", "recorded_by", "withdrawn_by"
    ).get(pk=refs["waiver"])
    req = waiver.requirement
    teams = [waiver.team_id, req.lead_team_id]
    withdrawn = event == Event.WAIVER_WITHDRAWN
    return Occasion(
        event,
        req,
        _without(members(teams, Role.PM, Role.DEV), refs.get("actor")),
        teams_with_ids(teams),
        requirement_url(req, "align/#attendance"),
        {
            "team": str(waiver.team),
            "requirement": req.key,
            "by": str(waiver.withdrawn_by if withdrawn else waiver.recorded_by),
            "reason": waiver.withdrawal_reason if withdrawn else waiver.reason,
        },
        data={"requirement": req.key, "team": waiver.team.code, "waiver": waiver.pk},
    )


def _signoff_requested(refs: dict[str, int]) -> Occasion:
    if "meeting" not in refs:
        return _sign_again(refs)
    meeting = Meeting.objects.select_related("requirement").get(pk=refs["meeting"])
    req = meeting.requirement
    revision = plans.current_revision(req)
    assert revision is not None  # a meeting is held on a plan revision
    state = plans.signoff_state(req, revision)
    waiting = [t.pk for t in state.missing]
    return Occasion(
        Event.SIGNOFF_REQUESTED,
        req,
        _without(members(waiting, Role.PM, Role.DEV), refs.get("actor")),
        teams_with_ids(waiting),
        requirement_url(req, "align/"),
        {"revision": revision.number, "requirement": req.key, "meeting": meeting.key},
        data={
            "requirement": req.key,
            "revision": revision.number,
            "teams": [t.code for t in state.missing],
        },
    )


def _sign_again(refs: dict[str, int]) -> Occasion:
    """A re-approved revision asks one party whose sign-off no longer stands, with a link to
    the diff since the revision it signed."""
    revision = Revision.objects.select_related("plan__requirement").get(pk=refs["revision"])
    req = revision.plan.requirement
    team = Team.objects.get(pk=refs["team"])
    since = (
        Revision.objects.filter(pk=refs["since"]).values_list("number", flat=True).first()
        if "since" in refs
        else None
    )
    reason = ""
    party = plans.signoff_state(req, revision).of(team.pk)
    if party is not None and party.voided:
        reason = party.voided[-1].voided_reason.code
    url = (
        requirement_url(req, f"history/?a={since}&b={revision.number}")
        if since
        else requirement_url(req, "align/")
    )
    return Occasion(
        Event.SIGNOFF_REQUESTED,
        req,
        _without(members([team.pk], Role.PM, Role.DEV), refs.get("actor")),
        [team],
        url,
        {
            "revision": revision.number,
            "requirement": req.key,
            "team": team.name,
            "since": since,
            "reason": reason,
        },
        data={
            "requirement": req.key,
            "revision": revision.number,
            "teams": [team.code],
            "since": since,
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
        teams_with_ids(parties),
        requirement_url(req, "baseline/"),
        {
            "key": req.key,
            "requirement": str(req),
            "version": baseline.version,
            "hash": baseline.content_hash[:12],
        },
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
        teams_with_ids(teams),
        requirement_url(req),
        {
            "change": change.key,
            "requirement": req.key,
            "title": change.title,
            "user": str(change.opened_by),
            "phase": change.phase_found,
            "reason": change.reason,
        },
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
    return Occasion(
        event,
        req,
        members([milestone.team_id], Role.PM, Role.DEV),
        [milestone.team],
        requirement_url(req, "baseline/"),
        {
            "milestone": milestone.kind,
            "team": str(milestone.team),
            "requirement": req.key,
            "due": milestone.due_on.isoformat(),
        },
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
        {
            "user": str(comment.author),
            "on": comment.on,
            "requirement": req.key,
            "body": comment.body,
        },
        data={"requirement": req.key, "on": comment.on, "comment": comment.pk},
    )


def _ask_written(refs: dict[str, int]) -> Occasion:
    """The asks one revision wrote or changed for one team, to that team's PMs and DEVs."""
    revision = Revision.objects.select_related("plan__requirement__lead_team", "author").get(
        pk=refs["revision"]
    )
    team = Team.objects.get(pk=refs["team"])
    req = revision.plan.requirement
    before = (
        Revision.objects.filter(plan_id=revision.plan_id, number=revision.number - 1)
        .values_list("content", flat=True)
        .first()
    )
    written = plans.asks_written(before, revision.content, req.lead_team.code).get(team.code, [])
    plan_url = requirement_url(req, "plan/")
    asks = [
        {
            "item": item["key"],
            "title": item["title"],
            "component": item["component"],
            "ask": item["ask"],
            "due": item["due_on"] or "",
            "url": f"{plan_url}#item-{item['key']}",
        }
        for item in written
    ]
    return Occasion(
        Event.ASK_WRITTEN,
        req,
        _without(members([team.pk], Role.PM, Role.DEV), refs.get("actor")),
        [team],
        asks[0]["url"] if len(asks) == 1 else plan_url,
        {
            "team": str(team),
            "requirement": req.key,
            "title": req.title,
            "revision": revision.number,
            "user": str(revision.author),
            "asks": asks,
        },
        data={
            "requirement": req.key,
            "revision": revision.number,
            "team": team.code,
            "asks": [{k: a[k] for k in ("item", "ask", "due", "url")} for a in asks],
        },
    )


HANDLERS: dict[str, Callable[[dict[str, int]], Occasion]] = {
    Event.HANDED_OFF: _handed_off,
    Event.REQUIREMENT_CANCELLED: _cancelled,
    Event.QUESTION_ASKED: lambda refs: _question(refs, answered=False),
    Event.QUESTION_ANSWERED: lambda refs: _question(refs, answered=True),
    Event.REVIEW_REQUESTED: _review_requested,
    Event.REVIEW_DECIDED: _review_decided,
    Event.MEETING_INVITED: lambda refs: _meeting(refs, Event.MEETING_INVITED),
    Event.MEETING_CHANGED: lambda refs: _meeting(refs, Event.MEETING_CHANGED),
    Event.MEETING_CANCELLED: lambda refs: _meeting(refs, Event.MEETING_CANCELLED),
    Event.SIGNOFF_REQUESTED: _signoff_requested,
    Event.INVITATION_DECLINED: _invitation_declined,
    Event.PLAN_FINALIZED: _finalized,
    Event.CHANGE_OPENED: _change_opened,
    Event.MILESTONE_DUE: lambda refs: _milestone(refs, Event.MILESTONE_DUE),
    Event.MILESTONE_OVERDUE: lambda refs: _milestone(refs, Event.MILESTONE_OVERDUE),
    Event.MENTIONED: _mentioned,
    Event.ASK_WRITTEN: _ask_written,
    Event.QUESTION_REPLIED: lambda refs: _thread(refs, Event.QUESTION_REPLIED),
    Event.QUESTION_ACCEPTED: lambda refs: _thread(refs, Event.QUESTION_ACCEPTED),
    Event.QUESTION_REJECTED: lambda refs: _thread(refs, Event.QUESTION_REJECTED),
    Event.ACTION_ASSIGNED: lambda refs: _action_item(refs, Event.ACTION_ASSIGNED),
    Event.ACTION_DUE: lambda refs: _action_item(refs, Event.ACTION_DUE),
    Event.ACTION_OVERDUE: lambda refs: _action_item(refs, Event.ACTION_OVERDUE),
    Event.WAIVER_RECORDED: lambda refs: _waiver(refs, Event.WAIVER_RECORDED),
    Event.WAIVER_WITHDRAWN: lambda refs: _waiver(refs, Event.WAIVER_WITHDRAWN),
}


def _sign_again_text(p: dict[str, Any]) -> str:
    if not p.get("since"):
        return _("Revision {revision} is approved; {team} has to sign it.").format(
            revision=p["revision"], team=p["team"]
        )
    voided = {
        "section_changed": _("its section changed"),
        "scenarios_changed": _("the scenarios it covers changed"),
        "lead_resigns": _("the lead team signs every revision"),
        "rejected": _("it was rejected"),
        "change_named": _("the change request names {team}").format(team=p["team"]),
    }.get(p.get("reason", ""), "")
    return _(
        "{team}'s sign-off on revision {since} no longer stands ({why}). Read what changed "
        "since revision {since} and sign revision {revision}."
    ).format(team=p["team"], since=p["since"], why=voided, revision=p["revision"])


def _label(choices: type[TextChoices], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _due(day: str) -> str:
    return dt.date.fromisoformat(day).isoformat() if day else ""


TEXTS: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    Event.HANDED_OFF: lambda p: (
        _("{requirement} was handed off to you").format(requirement=p["requirement"]),
        _("{pm} handed off {requirement}: acknowledge each scenario or ask about it.").format(
            pm=p["pm"], requirement=p["requirement"]
        ),
    ),
    Event.QUESTION_ASKED: lambda p: (
        (
            _("Blocking question {question} on {on}")
            if p["blocking"]
            else _("Question {question} on {on}")
        ).format(question=p["question"], on=p["on"]),
        _("{user} asks: {body}").format(user=p["user"], body=p["body"]),
    ),
    Event.QUESTION_ANSWERED: lambda p: (
        _("{question} on {on} was answered").format(question=p["question"], on=p["on"]),
        f"{p['body']}\n\n{p['answer']}",
    ),
    Event.REVIEW_REQUESTED: lambda p: (
        _("Review revision {revision} of {requirement}").format(
            revision=p["revision"], requirement=p["requirement"]
        ),
        _("The technical plan of {requirement} is ready for review.").format(requirement=p["key"]),
    ),
    Event.REVIEW_DECIDED: lambda p: (
        (
            _("Revision {revision} of {requirement} approved")
            if p["approved"]
            else _("Changes requested on revision {revision} of {requirement}")
        ).format(revision=p["revision"], requirement=p["requirement"]),
        _("{reviewer}: {comment}").format(reviewer=p["reviewer"], comment=p["comment"]),
    ),
    Event.SIGNOFF_REQUESTED: lambda p: (
        _("Sign off revision {revision} of {requirement}").format(
            revision=p["revision"], requirement=p["requirement"]
        ),
        _(
            "Meeting {meeting} was held; your team's sign-off on revision {revision} is awaited."
        ).format(meeting=p["meeting"], revision=p["revision"])
        if "meeting" in p
        else _sign_again_text(p),
    ),
    Event.PLAN_FINALIZED: lambda p: (
        _("{requirement} is finalized: baseline v{version}").format(
            requirement=p["key"], version=p["version"]
        ),
        _("Baseline v{version} ({hash}) of {requirement} is the agreed plan.").format(
            version=p["version"], hash=p["hash"], requirement=p["requirement"]
        ),
    ),
    Event.CHANGE_OPENED: lambda p: (
        _("Change request {change} on {requirement}: {title}").format(
            change=p["change"], requirement=p["requirement"], title=p["title"]
        ),
        _("{user} opened it (found in {phase}): {reason}").format(
            user=p["user"], phase=_label(Phase, p["phase"]), reason=p["reason"]
        ),
    ),
    Event.MILESTONE_DUE: lambda p: (
        _("Due {due}: {milestone} of {team} for {requirement}").format(
            milestone=_label(Milestone.Kind, p["milestone"]),
            team=p["team"],
            requirement=p["requirement"],
            due=_due(p["due"]),
        ),
        _("{milestone} was planned for {due}.").format(
            milestone=_label(Milestone.Kind, p["milestone"]), due=_due(p["due"])
        ),
    ),
    Event.MILESTONE_OVERDUE: lambda p: (
        _("Overdue: {milestone} of {team} for {requirement}").format(
            milestone=_label(Milestone.Kind, p["milestone"]),
            team=p["team"],
            requirement=p["requirement"],
        ),
        _("{milestone} was planned for {due}.").format(
            milestone=_label(Milestone.Kind, p["milestone"]), due=_due(p["due"])
        ),
    ),
}


def _meeting_texts(headline: str, p: dict[str, Any]) -> tuple[str, str]:
    return (
        headline.format(title=p["title"]),
        _("{requirement} alignment meeting {meeting}, {start}, presented by {presenter}.").format(
            requirement=p["requirement"],
            meeting=p["meeting"],
            start=zoned(p["start"]),
            presenter=p["presenter"],
        ),
    )


TEXTS[Event.MENTIONED] = lambda p: (
    _("{user} mentioned you on {on} of {requirement}").format(
        user=p["user"], on=p["on"], requirement=p["requirement"]
    ),
    p["body"],
)
TEXTS[Event.REQUIREMENT_CANCELLED] = lambda p: (
    _("{requirement} was cancelled").format(requirement=p["requirement"]),
    _("{by} cancelled it; nothing more is asked of anyone on it. Why: {reason}").format(
        by=p["by"], reason=p["reason"]
    ),
)
TEXTS[Event.WAIVER_RECORDED] = lambda p: (
    _("{team} excused from the alignment meeting of {requirement}").format(
        team=p["team"], requirement=p["requirement"]
    ),
    _("{by} recorded the waiver: {reason}").format(by=p["by"], reason=p["reason"]),
)
TEXTS[Event.WAIVER_WITHDRAWN] = lambda p: (
    _("The waiver of {team} on {requirement} was withdrawn").format(
        team=p["team"], requirement=p["requirement"]
    ),
    _(
        "{by} withdrew it: {reason}. A PM and a DEV of {team} must now attend a held meeting "
        "(or be waived again) before the plan is finalized."
    ).format(by=p["by"], reason=p["reason"], team=p["team"]),
)
TEXTS[Event.INVITATION_DECLINED] = lambda p: (
    _("{user} cannot come to {meeting} of {requirement}").format(
        user=p["user"], meeting=p["meeting"], requirement=p["requirement"]
    ),
    _(
        "{user}, a required invitee for {team} ({role}), declined {meeting}{reason}. Invite "
        "another {role} of {team} or reschedule."
    ).format(
        user=p["user"],
        team=p["team"],
        role=_label(Role, p["role"]),
        meeting=p["meeting"],
        reason=_(": {note}").format(note=p["note"]) if p["note"] else "",
    ),
)


def _ask_texts(p: dict[str, Any]) -> tuple[str, str]:
    lines = [
        _("{user} wrote in revision {revision} of {requirement} {title}:").format(
            user=p["user"], revision=p["revision"], requirement=p["requirement"], title=p["title"]
        )
    ]
    for ask in p["asks"]:
        due = _("due {due}").format(due=_due(ask["due"])) if ask["due"] else _("no due date yet")
        lines.append(
            _("{item} {title} ({component}): {ask} ({due})").format(
                item=ask["item"],
                title=ask["title"],
                component=ask["component"],
                ask=ask["ask"] or _("no ask written yet"),
                due=due,
            )
            + f"\n{ask['url']}"
        )
    return (
        _("Ask to {team} on {requirement}").format(team=p["team"], requirement=p["requirement"]),
        "\n\n".join(lines),
    )


TEXTS[Event.ASK_WRITTEN] = _ask_texts
TEXTS[Event.QUESTION_REPLIED] = lambda p: (
    _("{user} replied to {question} on {on} of {requirement}").format(
        user=p["user"], question=p["question"], on=p["on"], requirement=p["requirement"]
    ),
    p["body"],
)
TEXTS[Event.QUESTION_ACCEPTED] = lambda p: (
    _("{user} accepted the answer to {question} on {on} of {requirement}").format(
        user=p["user"], question=p["question"], on=p["on"], requirement=p["requirement"]
    ),
    p["body"],
)
TEXTS[Event.QUESTION_REJECTED] = lambda p: (
    _("{user} did not accept the answer to {question} on {on} of {requirement}").format(
        user=p["user"], question=p["question"], on=p["on"], requirement=p["requirement"]
    ),
    p["body"],
)


def _action_body(p: dict[str, Any]) -> str:
    if p["serves"]:
        return _("{text} (for {serves}; due {due})").format(
            text=p["text"], serves=p["serves"], due=_due(p["due"])
        )
    return _("{text} (due {due})").format(text=p["text"], due=_due(p["due"]))


TEXTS[Event.ACTION_ASSIGNED] = lambda p: (
    _("An action item for you from {meeting} of {requirement}").format(
        meeting=p["meeting"], requirement=p["requirement"]
    ),
    _action_body(p),
)
TEXTS[Event.ACTION_DUE] = lambda p: (
    _("Due {due}: your action item from {meeting} of {requirement}").format(
        due=_due(p["due"]), meeting=p["meeting"], requirement=p["requirement"]
    ),
    _action_body(p),
)
TEXTS[Event.ACTION_OVERDUE] = lambda p: (
    _("Overdue since {due}: your action item from {meeting} of {requirement}").format(
        due=_due(p["due"]), meeting=p["meeting"], requirement=p["requirement"]
    ),
    _action_body(p),
)
TEXTS[Event.MEETING_INVITED] = lambda p: _meeting_texts(_("Invitation: {title}"), p)
TEXTS[Event.MEETING_CHANGED] = lambda p: _meeting_texts(_("Updated: {title}"), p)
TEXTS[Event.MEETING_CANCELLED] = lambda p: _meeting_texts(_("Cancelled: {title}"), p)


def render(event: str, params: dict[str, Any]) -> tuple[str, str]:
    """(title, body) of an event in the active language, times in the active zone named."""
    return TEXTS[event](params)


def occasion(event: str, refs: dict[str, int]) -> Occasion:
    return HANDLERS[event](refs)
