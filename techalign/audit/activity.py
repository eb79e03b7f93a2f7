"""The audit trail read as sentences: "王明 changed the acceptance criteria of S-3", the change as a
before/after difference, and a kind to filter by.

The log stores stable action codes and JSON summaries so it can be hash-chained and queried; this
module is the one place that turns them into words in the reader's language. An action without
a sentence of its own still reads as a sentence (the generic one for its kind), never as a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.core.refusals import REFUSALS
from techalign.web.diff import FieldChange

KINDS = {
    "requirement": _("Requirement"),
    "scenario": _("Scenarios"),
    "plan": _("Plan and reviews"),
    "meeting": _("Meetings"),
    "question": _("Questions"),
    "change": _("Change requests"),
    "schedule": _("Schedule"),
    "comment": _("Comments"),
}

# {actor} is a person's name, {target} the object's key and title.
SENTENCES = {
    "requirement.created": _("{actor} created {target}"),
    "requirement.updated": _("{actor} changed the {fields} of {target}"),
    "requirement.handed_off": _("{actor} handed off {target}"),
    "requirement.marked_high_risk": _("{actor} marked {target} as high-risk"),
    "requirement.high_risk_cleared": _("{actor} cleared the high risk of {target}"),
    "requirement.hand_off_completed": _("Every scenario of {target} is acknowledged"),
    "requirement.lead_dev_assigned": _("{actor} made {to} the lead DEV of {target}"),
    "requirement.acknowledgement_delegated": _(
        "{actor} let {to} acknowledge the scenarios of {target}"
    ),
    "requirement.acknowledgement_undelegated": _(
        "{actor} no longer lets {to} acknowledge the scenarios of {target}"
    ),
    "scenario.added": _("{actor} added scenario {target}"),
    "scenario.updated": _("{actor} changed the {fields} of {target}"),
    "scenario.acknowledged": _("{actor} acknowledged {target}"),
    "scenario.marked_out_of_scope": _("{actor} marked {target} out of scope"),
    "scenario.returned_to_scope": _("{actor} returned {target} to scope"),
    "plan.item_added": _("{actor} added plan item {target}"),
    "plan.item_updated": _("{actor} changed plan item {target}"),
    "plan.item_removed": _("{actor} removed plan item {target}"),
    "plan.items_replaced": _("{actor} replaced the plan items of {target}"),
    "plan.revised": _("{actor} saved a new revision of {target}"),
    "plan.items_marked_suspect": _("The change of {target} made the items covering it suspect"),
    "plan.item_confirmed": _("{actor} confirmed a suspect item of {target} as it stands"),
    "plan.suspect_cleared": _("{actor} edited suspect items of {target}"),
    "plan.approvals_stale": _("An earlier approval of {target} no longer applies"),
    "plan.submitted": _("{actor} submitted {target} for review"),
    "plan.approved": _("{actor} approved {target}"),
    "plan.changes_requested": _("{actor} asked for changes to {target}"),
    "plan.signed_off": _("{actor} signed off {target}"),
    "plan.finalized": _("{actor} finalized {target}"),
    "meeting.scheduled": _("{actor} scheduled {target}"),
    "meeting.rescheduled": _("{actor} moved {target}"),
    "meeting.cancelled": _("{actor} cancelled {target}"),
    "meeting.held": _("{actor} marked {target} as held"),
    "meeting.attendance_recorded": _("{actor} recorded attendance at {target}"),
    "meeting.attendance_waived": _("{actor} excused a party of {target} from the meeting"),
    "meeting.decision_recorded": _("{actor} recorded a decision at {target}"),
    "meeting.action_item_added": _("{actor} added an action item to {target}"),
    "meeting.action_item_done": _("{actor} completed an action item of {target}"),
    "meeting.invitee_added": _("{actor} invited someone to {target}"),
    "meeting.invitee_removed": _("{actor} removed an invitee from {target}"),
    "meeting.presenter_changed": _("{actor} changed the presenter of {target}"),
    "question.raised": _("{actor} asked {target}"),
    "question.answered": _("{actor} answered {target}"),
    "question.replied": _("{actor} replied to {target}"),
    "question.answer_proposed": _("{actor} proposed an answer to {target}"),
    "question.answer_accepted": _("{actor} accepted the answer to {target}"),
    "question.answer_rejected": _("{actor} did not accept the answer to {target}"),
    "question.reopened": _("{actor} reopened {target}"),
    "question.closed_by_decision": _("A decision recorded by {actor} settled {target}"),
    "change.opened": _("{actor} opened change request {target}"),
    "change.withdrawn": _("{actor} withdrew change request {target}"),
    "change.baselined": _("Change request {target} became a new baseline"),
    "schedule.milestone_set": _("{actor} set a milestone of {target}"),
    "comment.added": _("{actor} commented on {target}"),
}
GENERIC = _("{actor} changed {target}")
REFUSED_PREFIX = _("Refused: ")

# Summary entries worth showing beside the sentence, with their labels; others are bookkeeping.
DETAIL_LABELS = {
    "title": _("Title"),
    "reason": _("Reason"),
    "risk": _("Risk"),
    "answer": _("Answer"),
    "comment": _("Comment"),
    "text": _("Text"),
    "decision": _("Decision"),
    "priority": _("Priority"),
    "revision": _("Revision"),
    "due_on": _("Due"),
    "starts_at": _("Starts"),
}


@dataclass
class Entry:
    event: AuditEvent
    sentence: str
    kind: str
    kind_label: str
    is_refused: bool
    refusal: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)


def kind_of(action: str) -> str:
    prefix = action.split(".", 1)[0]
    return prefix if prefix in KINDS else "requirement"


def requirement_activity(
    requirement: Any, *, kind: str = "", limit: int = 300, before: int | None = None
) -> list[Entry]:
    """The requirement's events, newest first, as sentences; `kind` narrows to one of KINDS,
    `before` (an event's seq) to the events older than that one, for paging."""
    events: QuerySet[AuditEvent] = requirement.audit_events.select_related("actor").order_by("-seq")
    if kind in KINDS:
        events = events.filter(action__startswith=kind + ".")
    if before is not None:
        events = events.filter(seq__lt=before)
    return [describe(event) for event in events[:limit]]


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _field_changes(summary: dict[str, Any]) -> list[FieldChange]:
    before, after = summary.get("before"), summary.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return [
        FieldChange(field=name, before=_text(before.get(name)), after=_text(after.get(name)))
        for name in after
        if before.get(name) != after.get(name)
    ]


def _refusal_message(summary: dict[str, Any]) -> str:
    code = summary.get("code", "")
    details = summary.get("details") or {}
    if code not in REFUSALS or not isinstance(details, dict):
        return ""
    try:
        return Refused(code, **details).message
    except (KeyError, IndexError, ValueError):
        return gettext(REFUSALS[code].message)


def describe(event: AuditEvent) -> Entry:
    """One event as a sentence in the active language, with its difference and details."""
    summary = event.summary if isinstance(event.summary, dict) else {}
    is_refused = event.outcome == AuditEvent.Outcome.REFUSED
    changes = [] if is_refused else _field_changes(summary)
    template = str(SENTENCES.get(event.action, GENERIC))
    fields = gettext(", ").join(change.label for change in changes) or gettext("details")
    actor = str(event.actor) if event.actor else gettext("Someone")
    sentence = template.format(
        actor=actor,
        target=event.target_label or "—",
        fields=fields,
        to=_text(summary.get("to")),
    )
    kind = kind_of(event.action)
    details = []
    if not is_refused:
        details = [
            (str(label), _text(summary[name]))
            for name, label in DETAIL_LABELS.items()
            if name in summary and not isinstance(summary[name], dict)
        ]
    return Entry(
        event=event,
        sentence=(str(REFUSED_PREFIX) + sentence) if is_refused else sentence,
        kind=kind,
        kind_label=str(KINDS[kind]),
        is_refused=is_refused,
        refusal=_refusal_message(summary) if is_refused else "",
        changes=changes,
        details=details,
    )
