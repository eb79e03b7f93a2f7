"""The requirement's lifecycle: which status may follow which, and the helpers every transition
uses to lock the row, check its step, bump its version and move it on.

Services of every app move a requirement only through `move_to`, which refuses a pair that is
not in `TRANSITIONS`; the table is the one place to read how a requirement moves.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from techalign.core.errors import AnyOf, Refused
from techalign.core.versions import compare_and_set
from techalign.requirements.models import Requirement, Status

# Statuses in which the requirement's content may still change without a change request.
EDITABLE = frozenset(
    {
        Status.DRAFT,
        Status.HANDED_OFF,
        Status.PLANNING,
        Status.IN_REVIEW,
        Status.APPROVED,
        Status.ALIGNING,
    }
)
AFTER_HAND_OFF = EDITABLE - {Status.DRAFT}
# The plan is approved: a meeting may be set up, parties sign, the lead team finalizes.
SIGNING = frozenset({Status.APPROVED, Status.ALIGNING})
# Statuses whose approval or sign-offs a new revision makes stale: back to planning.
STALE_ON_REVISION = frozenset({Status.IN_REVIEW, Status.APPROVED, Status.ALIGNING})

# From each status, the statuses a transition may move the requirement to, and by which service;
# cancel_requirement moves any status before the baseline to cancelled.
TRANSITIONS: dict[str, frozenset[str]] = {
    # hand_off
    Status.DRAFT: frozenset({Status.HANDED_OFF, Status.CANCELLED}),
    # the last scenario acknowledged or hand-off question answered
    Status.HANDED_OFF: frozenset({Status.PLANNING, Status.CANCELLED}),
    # submit_for_review; withdraw_change_request (the plan is still the baseline's)
    Status.PLANNING: frozenset({Status.IN_REVIEW, Status.FINALIZED, Status.CANCELLED}),
    # approve_revision (to aligning when a meeting is on the calendar); request_changes or a
    # new revision back to planning; withdraw_change_request
    Status.IN_REVIEW: frozenset(
        {Status.APPROVED, Status.ALIGNING, Status.PLANNING, Status.FINALIZED, Status.CANCELLED}
    ),
    # schedule_meeting; a new revision; finalize or withdraw_change_request
    Status.APPROVED: frozenset(
        {Status.ALIGNING, Status.PLANNING, Status.FINALIZED, Status.CANCELLED}
    ),
    # cancel_meeting of the last meeting; a new revision; finalize or withdraw_change_request
    Status.ALIGNING: frozenset(
        {Status.APPROVED, Status.PLANNING, Status.FINALIZED, Status.CANCELLED}
    ),
    # open_change_request
    Status.FINALIZED: frozenset({Status.PLANNING}),
    Status.CANCELLED: frozenset(),
}


def lock_requirement(requirement: Requirement) -> None:
    """Hold the requirement's row lock until commit, and re-read its status and version.

    On PostgreSQL, transitions of one requirement then take turns, as SQLite's IMMEDIATE
    transactions already do: what a gate reads cannot change before the write it guards
    commits, and numbers taken as max + 1 (revisions, baselines, change requests, questions,
    meetings) cannot collide. SQLite ignores FOR UPDATE and needs nothing more.
    """
    requirement.status, requirement.version = (
        Requirement.objects.select_for_update()
        .filter(pk=requirement.pk)
        .values_list("status", "version")
        .get()
    )


def status_refusal(
    requirement: Requirement, allowed: set[str] | frozenset[str], *, action: Any
) -> Refused | None:
    """Why the requirement's step does not allow `action`, or None; a baseline gets its own
    reason. Reads the status on the object: lock first where it must be current."""
    if requirement.status in allowed:
        return None
    if requirement.status == Status.FINALIZED:
        baseline = requirement.baselines.order_by("-version").first()
        return Refused(
            "requirement.baselined",
            requirement=requirement.key,
            version=baseline.version if baseline else "?",
        )
    return Refused(
        "requirement.wrong_step",
        requirement=requirement.key,
        status=Status(requirement.status).label,
        action=action,
        needed=AnyOf(
            Status(s).label for s in sorted(allowed, key=lambda s: list(Status).index(Status(s)))
        ),
    )


def require_status(
    requirement: Requirement, allowed: set[str] | frozenset[str], *, action: Any
) -> None:
    """Refuse unless the requirement is in one of `allowed`.

    Locks and re-reads the status inside the transaction: the caller's object may be older
    than the row."""
    lock_requirement(requirement)
    if refusal := status_refusal(requirement, allowed, action=action):
        raise refusal


def move_to(requirement: Requirement, new_status: str) -> None:
    """Compare-and-set the status along one pair of `TRANSITIONS`; zero rows means another
    writer moved it first."""
    if new_status not in TRANSITIONS.get(requirement.status, frozenset()):
        raise Refused(
            "requirement.transition_not_allowed",
            requirement=requirement.key,
            status=Status(requirement.status).label,
            target=Status(new_status).label,
        )
    rows = Requirement.objects.filter(pk=requirement.pk, status=requirement.status)
    extra: dict[str, Any] = {}
    if new_status == Status.HANDED_OFF:
        extra["handed_off_at"] = timezone.now()
    if new_status == Status.FINALIZED:
        extra["finalized_at"] = timezone.now()
    if new_status == Status.CANCELLED:
        extra["cancelled_at"] = timezone.now()
    if not rows.update(status=new_status, version=F("version") + 1, **extra):
        seen = requirement.version
        requirement.refresh_from_db()
        raise stale(requirement, seen)
    requirement.refresh_from_db(
        fields=["status", "version", "handed_off_at", "finalized_at", "cancelled_at"]
    )


def stale(requirement: Requirement, seen: int | None) -> Refused:
    """The refusal of a write made from version `seen` of a requirement now at another."""
    return Refused(
        "conflict.stale_version",
        kind=_("Requirement"),
        ref=requirement.key,
        seen=seen,
        current=requirement.version,
    )


def bump_version(requirement: Requirement, *, seen: int | None = None) -> None:
    """Compare-and-set the optimistic-concurrency token of the requirement row."""
    compare_and_set(requirement, seen, kind=_("Requirement"), ref=requirement.key)
    requirement.refresh_from_db(fields=["version"])
