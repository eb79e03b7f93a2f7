"""Writes on plans: item edits as new revisions, review, sign-off, finalize, change control,
milestones. Each public function is one transition: gate, write, audit, in one transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from techalign import notify
from techalign.audit.services import record, transition
from techalign.core import bounds, limits
from techalign.core.errors import Refused
from techalign.core.text import check_fields
from techalign.org.models import Component, OrgPolicy, Team, User
from techalign.plans import permissions as can
from techalign.plans import selectors
from techalign.plans.models import (
    Baseline,
    ChangeRequest,
    CurrentParty,
    Item,
    ItemKind,
    Milestone,
    Phase,
    Plan,
    Review,
    Revision,
    RootCause,
    SignOff,
    SuspectLink,
    Verdict,
)
from techalign.plans.sections import section_hash
from techalign.plans.selectors import approval_gaps
from techalign.requirements.models import Requirement, Scenario, Status
from techalign.requirements.workflow import (
    SIGNING,
    STALE_ON_REVISION,
    bump_version,
    lock_requirement,
    move_to,
)

ITEM_FIELDS = {"component", "kind", "title", "description", "ask", "due_on", "scenario_keys"}


def _plan_for_update(requirement: Requirement) -> Plan:
    plan, _created = Plan.objects.get_or_create(requirement=requirement)
    return plan


def _check_based_on(plan: Plan, based_on: int | None) -> None:
    if based_on is None or based_on != plan.current_number:
        raise Refused("plan.stale_revision", current=plan.current_number, based_on=based_on)


def _scenarios_by_key(requirement: Requirement, keys: list[str]) -> list[Any]:
    live = {s.key: s for s in selectors.live_scenarios(requirement)}
    unknown = [k for k in keys if k not in live]
    if unknown:
        raise Refused("item.unknown_scenario", scenarios=unknown, requirement=requirement.key)
    return [live[k] for k in dict.fromkeys(keys)]


def _keep_current_parties(requirement: Requirement, team_ids: set[int]) -> None:
    """The teams owning an item of the new current revision, as CurrentParty rows."""
    CurrentParty.objects.filter(requirement=requirement).exclude(team_id__in=team_ids).delete()
    CurrentParty.objects.bulk_create(
        [CurrentParty(requirement=requirement, team_id=team_id) for team_id in team_ids],
        ignore_conflicts=True,
    )


def _commit_revision(
    *,
    requirement: Requirement,
    plan: Plan,
    actor: User,
    kind: str,
    summary: str,
    items: list[dict[str, Any]],
) -> Revision:
    """Write a new revision holding `items` (dicts of Item fields plus `scenarios`), make it
    current by compare-and-set, and make earlier approvals and sign-offs stale."""
    previous = plan.current_revision_id
    number = plan.current_number + 1
    revision = Revision.objects.create(
        plan=plan,
        number=number,
        author=actor,
        change_kind=kind,
        summary=summary[:500],
        content={},
        content_hash="",
        change_request=selectors.open_change_request(requirement),
    )
    rows = [
        Item(revision=revision, **{k: v for k, v in spec.items() if k != "scenarios"})
        for spec in items
    ]
    Item.objects.bulk_create(rows)
    created = {item.number: item for item in revision.items.all()}
    Link = Item.scenarios.through
    Link.objects.bulk_create(
        Link(item_id=created[spec["number"]].pk, scenario_id=s.pk)
        for spec in items
        for s in spec["scenarios"]
    )
    revision.content = selectors.canonical_content(requirement, selectors.items_of(revision))
    revision.content_hash = selectors.content_hash(revision.content)
    Revision.objects.filter(pk=revision.pk).update(
        content=revision.content, content_hash=revision.content_hash
    )
    _tell_asked_parties(requirement, previous, revision, actor)
    if not Plan.objects.filter(pk=plan.pk, current_revision_id=previous).update(
        current_revision=revision
    ):
        raise Refused("plan.stale_revision", current=number, based_on=number - 1)
    plan.current_revision = revision
    _keep_current_parties(requirement, {row.owner_team_id for row in rows})
    if requirement.status in STALE_ON_REVISION:
        was = requirement.status
        move_to(requirement, Status.PLANNING)
        record(
            actor=actor,
            action="plan.approvals_stale",
            target=revision,
            summary={"revision": number, "was": was},
        )
    else:
        bump_version(requirement)
    record(
        actor=actor,
        action="plan.revised",
        target=revision,
        summary={
            "revision": number,
            "kind": kind,
            "change": summary,
            "hash": revision.content_hash,
        },
    )
    return revision


def _tell_asked_parties(
    requirement: Requirement, previous_id: int | None, revision: Revision, actor: User
) -> None:
    """Each team whose asks this revision wrote or changed hears of them now, once per
    revision however many of its asks changed, not first at the meeting invitation."""
    before = (
        Revision.objects.filter(pk=previous_id).values_list("content", flat=True).first()
        if previous_id
        else None
    )
    written = selectors.asks_written(before, revision.content, requirement.lead_team.code)
    for team in Team.objects.filter(code__in=sorted(written)).order_by("code"):
        notify.emit("plan.ask_written", revision=revision, team=team, actor=actor)


def _current_specs(plan: Plan) -> list[dict[str, Any]]:
    """The current revision's items as editable dicts."""
    specs = []
    for item in selectors.items_of(plan.current_revision):
        specs.append(
            {
                "number": item.number,
                "component": item.component,
                "owner_team": item.owner_team,
                "kind": item.kind,
                "title": item.title,
                "description": item.description,
                "ask": item.ask,
                "due_on": item.due_on,
                "author": item.author,
                "scenarios": list(item.scenarios.all()),
            }
        )
    return specs


def _check_item_edit(requirement: Requirement, actor: User) -> None:
    """Lock, then whether `actor` may write any part of the plan at all (role and step); each
    item touched is then checked against the actor's section by `_check_section`."""
    lock_requirement(requirement)
    if refusal := can.check_edit_item(actor, requirement):
        raise refusal


def _check_section(requirement: Requirement, actor: User, *specs: dict[str, Any]) -> None:
    """Every item written, changed or removed (old and new state alike) must be in a section
    `actor` writes: any item for the lead team's DEVs, its own team's for a party DEV."""
    for spec in specs:
        refusal = can.check_edit_item(
            actor, requirement, spec["owner_team"], component=spec["component"].key
        )
        if refusal:
            raise refusal


def _check_withdrawal(requirement: Requirement, plan: Plan, confirm: bool) -> None:
    revision = plan.current_revision if plan.current_revision_id else None
    if refusal := can.check_withdrawal_confirmed(requirement, revision, confirm=confirm):
        raise refusal


def _item_spec(
    requirement: Requirement,
    actor: User,
    number: int,
    fields: dict[str, Any],
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    unknown = set(fields) - ITEM_FIELDS
    if unknown:
        raise Refused("input.invalid", field=", ".join(sorted(unknown)), problem=_("not editable"))
    check_fields(**fields)
    spec = dict(base or {"description": "", "ask": "", "due_on": None, "scenarios": []})
    spec.update({k: v for k, v in fields.items() if k != "scenario_keys"})
    spec["number"] = number
    spec["author"] = actor
    if "scenario_keys" in fields:
        spec["scenarios"] = _scenarios_by_key(requirement, list(fields["scenario_keys"]))
    if spec.get("kind") not in ItemKind.values:
        raise Refused("input.invalid", field="kind", problem=", ".join(ItemKind.values))
    if not isinstance(spec.get("component"), Component):
        raise Refused("input.invalid", field="component", problem=_("unknown component"))
    if not str(spec.get("title", "")).strip():
        raise Refused("input.invalid", field="title", problem=_("must not be empty"))
    bounds.require_in_range("due_on", spec.get("due_on"))
    spec["owner_team"] = spec["component"].owner_team
    return spec


@transition("plan.item_added")
def add_item(
    *, requirement: Requirement, actor: User, based_on: int, confirm: bool = False, **fields: Any
) -> Item:
    """A DEV adds an item: the lead team's on any component, a party's on its own team's
    components (its section); the plan gets a new revision. While the plan is in review,
    approved or aligning, the change withdraws those: only with `confirm`."""
    _check_item_edit(requirement, actor)
    limits.check_item(fields)
    plan = _plan_for_update(requirement)
    _check_based_on(plan, based_on)
    _check_withdrawal(requirement, plan, confirm)
    limits.check_room(
        "items_per_plan",
        Item.objects.filter(revision_id=plan.current_revision_id).count()
        if plan.current_revision_id is not None
        else 0,
    )
    Plan.objects.filter(pk=plan.pk).update(next_item_number=F("next_item_number") + 1)
    plan.refresh_from_db(fields=["next_item_number"])
    number = plan.next_item_number - 1
    spec = _item_spec(requirement, actor, number, fields)
    _check_section(requirement, actor, spec)
    revision = _commit_revision(
        requirement=requirement,
        plan=plan,
        actor=actor,
        kind=Revision.ChangeKind.ITEMS,
        summary=f"I-{number} added",
        items=[*_current_specs(plan), spec],
    )
    return revision.items.get(number=number)


def _find_spec(plan: Plan, item_key: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    specs = _current_specs(plan)
    for spec in specs:
        if f"I-{spec['number']}" == item_key:
            return specs, spec
    raise Refused("item.not_found", item=item_key, revision=plan.current_number)


@transition("plan.item_updated")
def update_item(
    *,
    requirement: Requirement,
    actor: User,
    based_on: int,
    item_key: str,
    confirm: bool = False,
    **fields: Any,
) -> Item:
    """A DEV changes an item of a section they write (the lead team's DEVs: any; a party's:
    its own, before and after the change); the plan gets a new revision. Editing a suspect
    item clears its marks: the DEV wrote it against the scenario's new text. A change that
    withdraws a review, an approval or sign-offs needs `confirm`."""
    _check_item_edit(requirement, actor)
    limits.check_item(fields)
    plan = _plan_for_update(requirement)
    _check_based_on(plan, based_on)
    specs, old = _find_spec(plan, item_key)
    new = _item_spec(requirement, actor, old["number"], fields, base=old)
    _check_section(requirement, actor, old, new)
    _check_withdrawal(requirement, plan, confirm)
    specs = [new if s is old else s for s in specs]
    revision = _commit_revision(
        requirement=requirement,
        plan=plan,
        actor=actor,
        kind=Revision.ChangeKind.ITEMS,
        summary=f"{item_key} changed",
        items=specs,
    )
    _clear_suspect(requirement, actor, [old["number"]], SuspectLink.How.EDITED)
    return revision.items.get(number=old["number"])


@transition("plan.item_removed")
def remove_item(
    *, requirement: Requirement, actor: User, based_on: int, item_key: str, confirm: bool = False
) -> Revision:
    """A DEV removes an item of a section they write; the plan gets a new revision (one that
    withdraws a review, an approval or sign-offs only with `confirm`)."""
    _check_item_edit(requirement, actor)
    plan = _plan_for_update(requirement)
    _check_based_on(plan, based_on)
    specs, old = _find_spec(plan, item_key)
    _check_section(requirement, actor, old)
    _check_withdrawal(requirement, plan, confirm)
    return _commit_revision(
        requirement=requirement,
        plan=plan,
        actor=actor,
        kind=Revision.ChangeKind.ITEMS,
        summary=f"{item_key} removed",
        items=[s for s in specs if s is not old],
    )


def mark_suspect(
    *, scenario: Scenario, actor: User, before: dict[str, Any], after: dict[str, Any]
) -> list[SuspectLink]:
    """The scenario's text changed after hand-off: every item of the current revision covering
    it becomes suspect, with the changed fields before and after. Called inside the scenario
    edit's transition. A mark still open from an earlier edit keeps its first `before`, so the
    diff shows what the item was written for."""
    requirement = scenario.requirement
    revision = selectors.current_revision(requirement)
    if revision is None:
        return []
    numbers = list(revision.items.filter(scenarios=scenario).values_list("number", flat=True))
    if not numbers:
        return []
    now = timezone.now()
    open_marks = {
        mark.item_number: mark
        for mark in SuspectLink.objects.filter(
            requirement=requirement, scenario=scenario, cleared_at__isnull=True
        )
    }
    marks = []
    for number in numbers:
        mark = open_marks.get(number)
        if mark is None:
            mark = SuspectLink.objects.create(
                requirement=requirement,
                item_number=number,
                scenario=scenario,
                before=before,
                after=after,
                marked_by=actor,
                marked_at=now,
            )
        else:
            mark.before = {**before, **mark.before}
            mark.after = {**mark.after, **after}
            SuspectLink.objects.filter(pk=mark.pk).update(before=mark.before, after=mark.after)
        marks.append(mark)
    record(
        actor=actor,
        action="plan.items_marked_suspect",
        target=scenario,
        summary={
            "key": scenario.key,
            "items": [f"I-{n}" for n in numbers],
            "revision": revision.number,
            "before": before,
            "after": after,
        },
    )
    return marks


def _clear_suspect(
    requirement: Requirement, actor: User, numbers: list[int], how: str
) -> list[SuspectLink]:
    """Clear the open suspect marks of the items numbered `numbers`, saying how."""
    marks = list(
        SuspectLink.objects.filter(
            requirement=requirement, item_number__in=numbers, cleared_at__isnull=True
        ).select_related("scenario")
    )
    if not marks:
        return []
    SuspectLink.objects.filter(pk__in=[m.pk for m in marks]).update(
        cleared_by=actor, cleared_at=timezone.now(), how=how
    )
    if how == SuspectLink.How.EDITED:
        record(
            actor=actor,
            action="plan.suspect_cleared",
            target=requirement,
            summary={
                "items": sorted({m.item_key for m in marks}),
                "scenarios": sorted({m.scenario.key for m in marks}),
                "how": how,
            },
        )
    return marks


@transition("plan.item_confirmed")
def confirm_item(
    *, requirement: Requirement, actor: User, based_on: int, item_key: str
) -> list[SuspectLink]:
    """A DEV who may edit the plan confirms a suspect item as it stands: the scenario's new
    text needs no change to it. Its marks are cleared; the plan gets no new revision, so
    approvals and sign-offs stand. `based_on` is the revision the DEV looked at."""
    lock_requirement(requirement)
    plan = _plan_for_update(requirement)
    revision = plan.current_revision
    if refusal := can.check_confirm_item(actor, requirement, revision, item_key):
        raise refusal
    if revision is None:
        raise Refused("item.not_found", item=item_key, revision=0)
    _check_based_on(plan, based_on)
    marks = _clear_suspect(requirement, actor, [int(item_key[2:])], SuspectLink.How.CONFIRMED)
    bump_version(requirement)
    record(
        actor=actor,
        target=revision,
        summary={
            "item": item_key,
            "scenarios": sorted({m.scenario.key for m in marks}),
            "revision": plan.current_number,
        },
    )
    return marks


def revise_for_scenarios(*, requirement: Requirement, actor: User, summary: str) -> None:
    """Scenarios or requirement text changed: once a plan exists, that is a new revision too.
    Called inside the caller's transition."""
    plan = selectors.plan_of(requirement)
    if plan is None or plan.current_revision_id is None:
        return
    requirement.refresh_from_db()
    _commit_revision(
        requirement=requirement,
        plan=plan,
        actor=actor,
        kind=Revision.ChangeKind.SCENARIOS,
        summary=summary,
        items=_current_specs(plan),
    )


def _current(requirement: Requirement, revision_number: int) -> Revision:
    revision = selectors.current_revision(requirement)
    if revision is None:
        raise Refused("plan.empty")
    if revision.number != revision_number:
        raise Refused("review.stale_revision", revision=revision_number, current=revision.number)
    return revision


@transition("plan.submitted")
def submit_for_review(
    *, requirement: Requirement, actor: User, revision_number: int, confirm: bool = False
) -> Revision:
    """A DEV of the lead team asks for review of the current revision. A revision with gaps a
    reviewer would have to refuse is submitted only with `confirm` (the refusal names them)."""
    lock_requirement(requirement)
    revision = selectors.current_revision(requirement)
    if refusal := can.check_submit_for_review(actor, requirement, revision):
        raise refusal
    revision = _current(requirement, revision_number)
    if refusal := can.check_gaps_confirmed(requirement, revision, confirm=confirm):
        raise refusal
    Revision.objects.filter(pk=revision.pk).update(submitted_at=timezone.now(), submitted_by=actor)
    move_to(requirement, Status.IN_REVIEW)
    record(actor=actor, target=revision, summary={"revision": revision.number})
    notify.emit("review.requested", revision=revision, actor=actor)
    return revision


def _check_review(
    requirement: Requirement,
    revision: Revision,
    actor: User,
    content_hash: str | None,
    *,
    action: Any,
) -> None:
    """What approving and requesting changes both need: a reviewer who wrote none of the plan,
    the plan in review, this revision still current, and the content the reviewer read."""
    lock_requirement(requirement)
    if refusal := can.check_review(actor, revision, action=action):
        raise refusal
    _check_reviewed_hash(revision, content_hash)


def _check_reviewed_hash(revision: Revision, content_hash: str | None) -> None:
    """A reviewer who names the content they read must have read this revision's."""
    if content_hash is not None and content_hash != revision.content_hash:
        raise Refused(
            "review.hash_mismatch",
            seen=content_hash[:12],
            revision=revision.number,
            current=revision.content_hash[:12],
        )


@transition("plan.approved")
def approve_revision(
    *, revision: Revision, actor: User, comment: str = "", content_hash: str | None = None
) -> Review:
    """A tech lead or architect who wrote none of the plan approves this exact revision. A
    high-risk requirement's plan is approved once a committee architect and the lead team's
    tech lead or architect (two people, in either order) have approved it; until then it
    stays in review."""
    requirement = revision.plan.requirement
    _check_review(requirement, revision, actor, content_hash, action=_("approve the plan"))
    limits.check_texts(comment=comment)
    gaps = approval_gaps(requirement, revision)
    if gaps:
        raise gaps[0]
    review = Review.objects.create(
        revision=revision,
        reviewer=actor,
        verdict=Verdict.APPROVED,
        comment=comment,
        content_hash=revision.content_hash,
    )
    selectors.forget_reads(revision)
    if requirement.status in SIGNING:
        # The committee's approval of a plan approved before the requirement was marked
        # high-risk: the parties go on signing the same revision, finalizing may follow.
        bump_version(requirement)
        record(
            actor=actor,
            target=revision,
            summary={"revision": revision.number, "hash": revision.content_hash, "late": True},
        )
        notify.emit("review.decided", review=review, actor=actor)
        return review
    missing = selectors.missing_approvals(requirement, revision)
    if missing:
        # A high-risk plan stays in review until both approvals are in.
        bump_version(requirement)
        record(
            actor=actor,
            target=revision,
            summary={
                "revision": revision.number,
                "hash": revision.content_hash,
                "awaiting": missing,
            },
        )
        return review
    # A meeting still on the calendar is where the parties will sign this revision too.
    scheduled = requirement.meetings.filter(status="scheduled").exists()
    move_to(requirement, Status.ALIGNING if scheduled else Status.APPROVED)
    record(
        actor=actor,
        target=revision,
        summary={"revision": revision.number, "hash": revision.content_hash},
    )
    notify.emit("review.decided", review=review, actor=actor)
    _ask_to_sign_again(requirement, revision, actor)
    return review


def _ask_to_sign_again(requirement: Requirement, revision: Revision, actor: User) -> None:
    """After a re-approval, ask only the parties without a standing sign-off, each with the
    revision it signed before (the diff it has to read)."""
    parties = selectors.signoff_state(requirement, revision).parties
    if not any(party.voided or party.standing for party in parties):
        return  # the first round: the parties are asked once the meeting is held
    for party in parties:
        if party.is_complete:
            continue
        signed = [s.revision for s in party.voided]
        since = max(signed, key=lambda r: r.number) if signed else None
        notify.emit(
            "signoff.requested", revision=revision, team=party.team, since=since, actor=actor
        )


@transition("plan.changes_requested")
def request_changes(
    *, revision: Revision, actor: User, comment: str, content_hash: str | None = None
) -> Review:
    """A reviewer sends the revision back to the DEVs with what must change."""
    requirement = revision.plan.requirement
    _check_review(requirement, revision, actor, content_hash, action=_("request changes"))
    limits.check_texts(comment=comment)
    if not comment.strip():
        raise Refused("review.comment_required")
    review = Review.objects.create(
        revision=revision,
        reviewer=actor,
        verdict=Verdict.CHANGES_REQUESTED,
        comment=comment,
        content_hash=revision.content_hash,
    )
    selectors.forget_reads(revision)
    move_to(requirement, Status.PLANNING)
    record(
        actor=actor,
        target=revision,
        summary={"revision": revision.number, "comment": comment[:500]},
    )
    notify.emit("review.decided", review=review, actor=actor)
    return review


def _check_revision_and_hash(
    requirement: Requirement, revision_number: int, content_hash: str, code: str
) -> Revision:
    revision = selectors.current_revision(requirement)
    current = revision.number if revision else 0
    if revision is None or revision_number != current:
        raise Refused(code, revision=revision_number, current=current)
    if content_hash != revision.content_hash:
        raise Refused(
            "signoff.hash_mismatch",
            seen=content_hash[:12],
            revision=current,
            current=revision.content_hash[:12],
        )
    return revision


@transition("plan.signed_off")
def sign_off(
    *,
    requirement: Requirement,
    actor: User,
    team: Team,
    revision_number: int,
    content_hash: str,
    approve: bool = True,
    reason: str = "",
    meeting: Any = None,
    as_role: str | None = None,
) -> SignOff:
    """A party signs (or rejects) its section of one exact revision, in one capacity: a
    related party through a DEV (its PM may confirm), the lead team through its PM and its
    lead DEV. The sign-off is pinned to the revision and to the party's section hash, so a
    later revision that leaves the section unchanged keeps it."""
    lock_requirement(requirement)
    # The role and step first, then the revision the signer read, then the gates on it.
    if refusal := can.check_sign_off(actor, requirement, team, None, as_role):
        raise refusal
    limits.check_texts(reason=reason)
    revision = _check_revision_and_hash(
        requirement, revision_number, content_hash, "signoff.stale_revision"
    )
    role = as_role or can.default_signing_role(actor, requirement, team, revision)
    if refusal := can.check_sign_off(actor, requirement, team, revision, role):
        raise refusal
    if not approve and not reason.strip():
        raise Refused("signoff.reason_required")
    is_lead = team.pk == requirement.lead_team_id
    signoff = SignOff.objects.create(
        revision=revision,
        team=team,
        signer=actor,
        role=role,
        reason=reason,
        meeting=meeting,
        decision=SignOff.Decision.APPROVE if approve else SignOff.Decision.REJECT,
        content_hash=revision.content_hash,
        section_hash=section_hash(revision.content, team.code, is_lead=is_lead),
    )
    selectors.forget_reads(revision)
    bump_version(requirement)
    record(
        actor=actor,
        action="plan.signed_off" if approve else "plan.sign_off_rejected",
        target=revision,
        summary={
            "team": team.code,
            "role": role,
            "revision": revision.number,
            "section_hash": signoff.section_hash,
            "reason": reason[:500],
        },
    )
    return signoff


@transition("plan.finalized")
def finalize(
    *, requirement: Requirement, actor: User, revision_number: int, content_hash: str
) -> Baseline:
    """Step 5: freeze the fully signed current revision as the next baseline version."""
    lock_requirement(requirement)
    # The role and step first, then the revision the finalizer read, then its gaps.
    if refusal := can.check_finalize(actor, requirement):
        raise refusal
    revision = _check_revision_and_hash(
        requirement, revision_number, content_hash, "review.stale_revision"
    )
    if refusal := can.check_finalize(actor, requirement, revision):
        raise refusal
    change = selectors.open_change_request(requirement)
    version = (requirement.baselines.aggregate(v=Max("version"))["v"] or 0) + 1
    baseline = Baseline.objects.create(
        requirement=requirement,
        version=version,
        revision=revision,
        content_hash=revision.content_hash,
        finalized_by=actor,
        change_request=change,
    )
    standing = selectors.signoff_state(requirement, revision).standing_signoffs()
    baseline.signoffs.set(standing)
    if change is not None:
        ChangeRequest.objects.filter(pk=change.pk).update(
            status=ChangeRequest.Status.DONE, closed_at=timezone.now()
        )
        record(
            actor=actor,
            action="change.baselined",
            target=change,
            summary={"key": change.key, "baseline": version},
        )
    move_to(requirement, Status.FINALIZED)
    record(
        actor=actor,
        target=baseline,
        summary={
            "version": version,
            "revision": revision.number,
            "hash": revision.content_hash,
            "signoffs": [
                {"team": s.team.code, "role": s.role, "revision": s.revision.number}
                for s in standing
            ],
        },
    )
    notify.emit("plan.finalized", baseline=baseline, actor=actor)
    return baseline


# Root causes that must name what they concern, and which subject that is.
CAUSE_SUBJECT = {
    RootCause.PARTY_MISSING: "team",
    RootCause.SCENARIO_NOT_COVERED: "scenario",
    RootCause.SCENARIO_MISUNDERSTOOD: "scenario",
}
SUBJECT_NAMES = {"team": _("party"), "scenario": _("scenario"), "item": _("item")}


def _check_cause(
    requirement: Requirement,
    root_cause: str | None,
    *,
    scenario_key: str,
    item_key: str,
    team: Team | None,
) -> str:
    """A recorded root cause, naming the subject it needs; the scenario and item named exist
    on the requirement (an item under its stable key, in any revision). Returns the cause."""
    if not root_cause:
        raise Refused("change.root_cause_required")
    if root_cause not in RootCause.values:
        raise Refused("input.invalid", field="root_cause", problem=", ".join(RootCause.values))
    given = {"team": team, "scenario": scenario_key, "item": item_key}
    needed = CAUSE_SUBJECT.get(RootCause(root_cause))
    if needed and not given[needed]:
        raise Refused(
            "change.cause_subject_required",
            cause=RootCause(root_cause).label,
            subject=SUBJECT_NAMES[needed],
        )
    numbers = {
        "scenario": lambda n: requirement.scenarios.filter(number=n).exists(),
        "item": lambda n: Item.objects.filter(
            revision__plan__requirement=requirement, number=n
        ).exists(),
    }
    for subject, prefix, key in (("scenario", "S-", scenario_key), ("item", "I-", item_key)):
        if not key:
            continue
        number = key.removeprefix(prefix)
        if not (key.startswith(prefix) and number.isdigit() and numbers[subject](int(number))):
            raise Refused(
                "change.unknown_cause_subject",
                requirement=requirement.key,
                subject=SUBJECT_NAMES[subject],
                ref=key,
            )
    return root_cause


@transition("change.opened")
def open_change_request(
    *,
    requirement: Requirement,
    actor: User,
    title: str,
    reason: str,
    phase_found: str,
    affected_teams: list[Team],
    root_cause: str | None = RootCause.UNKNOWN,
    phase_reason: str = "",
    cause_scenario_key: str = "",
    cause_item_key: str = "",
    cause_team: Team | None = None,
    today: date | None = None,
) -> ChangeRequest:
    """Reopen a baselined plan for one tracked change.

    The phase found is checked against the one the parties' milestones propose for today: an
    earlier phase needs `phase_reason` (kept, audited, and flagged by a health rule). The root
    cause says why the alignment missed the gap, naming the scenario, item or party concerned;
    callers that cannot ask (generated data) leave it "not recorded". The cost weight is the
    curve's weight for the phase scaled by the parties affected (OrgPolicy)."""
    limits.check_texts(title=title, reason=reason, phase_reason=phase_reason)
    lock_requirement(requirement)
    if refusal := can.check_open_change_request(actor, requirement):
        raise refusal
    if phase_found not in Phase.values:
        raise Refused("input.invalid", field="phase_found", problem=", ".join(Phase.values))
    if not title.strip() or not reason.strip():
        raise Refused("input.invalid", field="title, reason", problem=_("must not be empty"))
    proposed = selectors.proposed_phase(requirement, today or timezone.localdate())
    is_earlier = selectors.is_earlier_phase(phase_found, proposed)
    if is_earlier and not phase_reason.strip():
        raise Refused(
            "change.phase_reason_required",
            requirement=requirement.key,
            proposed=proposed.label,
            phase=Phase(phase_found).label,
        )
    root_cause = _check_cause(
        requirement,
        root_cause,
        scenario_key=cause_scenario_key,
        item_key=cause_item_key,
        team=cause_team,
    )
    base_baseline = selectors.latest_baseline(requirement)
    if base_baseline is None:
        raise Refused("change.not_baselined", requirement=requirement.key)
    policy, _created = OrgPolicy.objects.get_or_create(pk=1)
    parties = len({t.pk for t in affected_teams})
    number = (requirement.change_requests.aggregate(n=Max("number"))["n"] or 0) + 1
    change = ChangeRequest.objects.create(
        requirement=requirement,
        number=number,
        title=title,
        reason=reason,
        phase_found=phase_found,
        phase_proposed=proposed,
        phase_reason=phase_reason.strip() if is_earlier else "",
        root_cause=root_cause,
        cause_scenario_key=cause_scenario_key,
        cause_item_key=cause_item_key,
        cause_team=cause_team,
        cost_weight=policy.change_weight(phase_found, parties),
        opened_by=actor,
        base_baseline=base_baseline,
    )
    change.affected_teams.set(affected_teams)
    move_to(requirement, Status.PLANNING)
    record(
        actor=actor,
        target=change,
        summary={
            "key": change.key,
            "phase_found": phase_found,
            "phase_proposed": proposed.value,
            "phase_reason": change.phase_reason[:500],
            "root_cause": root_cause,
            "concerns": [
                k
                for k in (cause_scenario_key, cause_item_key, getattr(cause_team, "code", ""))
                if k
            ],
            "cost_weight": change.cost_weight,
            "affected": sorted(t.code for t in affected_teams),
        },
    )
    notify.emit("change.opened", change=change, actor=actor)
    return change


@transition("change.withdrawn")
def withdraw_change_request(*, change: ChangeRequest, actor: User) -> ChangeRequest:
    """Close an open change request that has not yet changed the plan; the baseline stands."""
    requirement = change.requirement
    lock_requirement(requirement)
    if refusal := can.check_withdraw_change_request(actor, change):
        raise refusal
    if not ChangeRequest.objects.filter(pk=change.pk, status=ChangeRequest.Status.OPEN).update(
        status=ChangeRequest.Status.WITHDRAWN, closed_at=timezone.now()
    ):
        change.refresh_from_db()
        raise Refused(
            "change.wrong_state",
            change=change.key,
            status=ChangeRequest.Status(change.status).label,
        )
    move_to(requirement, Status.FINALIZED)
    change.refresh_from_db()
    record(actor=actor, target=change, summary={"key": change.key})
    return change


@transition("schedule.milestone_set")
def set_milestone(
    *,
    requirement: Requirement,
    actor: User,
    team: Team,
    kind: str,
    due_on: date,
    done_on: date | None = None,
    version: int | None = None,
) -> Milestone:
    """A party's PM or DEV plans (or reports) one of its milestones against the baseline.

    Milestones belong to the requirement: `version` is the requirement version the caller read,
    compared and bumped in one update, so two parties' planners cannot overwrite each other."""
    lock_requirement(requirement)
    if refusal := can.check_set_milestone(actor, requirement, team):
        raise refusal
    if kind not in Milestone.Kind.values:
        raise Refused("input.invalid", field="kind", problem=", ".join(Milestone.Kind.values))
    bounds.require_in_range("due_on", due_on)
    bounds.require_in_range("done_on", done_on)
    bump_version(requirement, seen=version)
    milestone, created = Milestone.objects.update_or_create(
        requirement=requirement,
        team=team,
        kind=kind,
        defaults={"due_on": due_on, "done_on": done_on, "updated_by": actor},
    )
    record(
        actor=actor,
        target=milestone,
        summary={
            "team": team.code,
            "kind": kind,
            "due_on": due_on.isoformat(),
            "done_on": done_on.isoformat() if done_on else None,
            "created": created,
        },
    )
    return milestone


# Fields an imported item may change; two specs equal on these are the same item.
_ITEM_CONTENT = ("component", "kind", "title", "description", "ask", "due_on")


def _same_content(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return all(old[f] == new[f] for f in _ITEM_CONTENT) and (
        {s.pk for s in old["scenarios"]} == {s.pk for s in new["scenarios"]}
    )


@transition("plan.items_replaced")
def replace_items(
    *,
    requirement: Requirement,
    actor: User,
    based_on: int,
    items: list[dict[str, Any]],
    confirm: bool = False,
) -> Revision | None:
    """A DEV replaces the whole item list in one revision (a plan imported from Markdown);
    every item it adds, changes or removes must be in a section the DEV writes. An entry
    with a `key` ("I-3") updates that item, one without is added, current items left out
    are removed. Unchanged items keep their author; when nothing
    changed, no revision is made and None is returned. Like any item edit, a replacement
    that withdraws a review, an approval or sign-offs needs `confirm`."""
    _check_item_edit(requirement, actor)
    limits.check_plan_items(items)
    plan = _plan_for_update(requirement)
    _check_based_on(plan, based_on)
    current = {f"I-{spec['number']}": spec for spec in _current_specs(plan)}
    keys = [entry["key"] for entry in items if entry.get("key")]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise Refused("input.invalid", field="key", problem=", ".join(duplicates))
    unknown = [k for k in keys if k not in current]
    if unknown:
        raise Refused("item.not_found", item=", ".join(unknown), revision=plan.current_number)
    added = sum(1 for entry in items if not entry.get("key"))
    if added:
        Plan.objects.filter(pk=plan.pk).update(next_item_number=F("next_item_number") + added)
        plan.refresh_from_db(fields=["next_item_number"])
    next_number = plan.next_item_number - added
    specs, changes = [], []
    for entry in items:
        fields = {k: v for k, v in entry.items() if k != "key"}
        old = current.get(entry.get("key") or "")
        if old is None:
            spec = _item_spec(requirement, actor, next_number, fields)
            _check_section(requirement, actor, spec)
            specs.append(spec)
            changes.append(f"I-{next_number} added")
            next_number += 1
            continue
        new = _item_spec(requirement, actor, old["number"], fields, base=old)
        if _same_content(old, new):
            specs.append(old)
        else:
            _check_section(requirement, actor, old, new)
            specs.append(new)
            changes.append(f"{entry['key']} changed")
    removed = [key for key in current if key not in keys]
    _check_section(requirement, actor, *(current[key] for key in removed))
    changes += [f"{key} removed" for key in removed]
    if not changes:
        return None
    _check_withdrawal(requirement, plan, confirm)
    revision = _commit_revision(
        requirement=requirement,
        plan=plan,
        actor=actor,
        kind=Revision.ChangeKind.ITEMS,
        summary="; ".join(changes),
        items=sorted(specs, key=lambda s: s["number"]),
    )
    edited = [int(c.split()[0][2:]) for c in changes if c.endswith(" changed")]
    _clear_suspect(requirement, actor, edited, SuspectLink.How.EDITED)
    return revision
