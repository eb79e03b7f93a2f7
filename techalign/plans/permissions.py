"""One pure check per rule on plans: `check_<verb>(user, obj, …) -> Refused | None`.

A check holds the role, step and gate conditions of its action and returns the refusal the
service raises (services call it after locking the requirement); `can_<verb>` for the pages and
"who acts next" are derived from the same checks.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from techalign.core.errors import Refused
from techalign.org.models import Role, Team
from techalign.org.permissions import committee_architect, has_role, roles_of
from techalign.plans import selectors
from techalign.plans.models import Baseline, ChangeRequest, Revision, Verdict
from techalign.requirements.models import Requirement, Status
from techalign.requirements.permissions import role_refusal
from techalign.requirements.workflow import (
    AFTER_HAND_OFF,
    SIGNING,
    STALE_ON_REVISION,
    status_refusal,
)

PLAN_EDITABLE = AFTER_HAND_OFF


def check_edit_plan(user: Any, requirement: Requirement) -> Refused | None:
    """DEVs of the lead team write the plan once the requirement is handed off."""
    action = _("edit the technical plan")
    return role_refusal(user, requirement.lead_team, Role.DEV, action=action) or status_refusal(
        requirement, PLAN_EDITABLE, action=action
    )


def _holds_somewhere(user: Any, wanted: str) -> bool:
    """Whether `user` holds `wanted` in any team, from the roles already read: spares the
    queries of checks that only someone holding that role can pass."""
    return getattr(user, "is_authenticated", False) and any(
        role == wanted for _team, role in roles_of(user)
    )


def check_edit_item(
    user: Any, requirement: Requirement, team: Team | None = None, *, component: str = ""
) -> Refused | None:
    """Who writes which items of the plan once the requirement is handed off.

    The lead team's DEVs write every item (they integrate the plan). The items on a component
    owned by another team are that team's section: its DEVs write them too, and a DEV may add
    an item on a component of their own team (which makes the team a related party). `team`
    is the team owning the item's component; without it, whether `user` may write any section
    at all. A DEV of another team is refused naming the owning team; anybody else (a PM) hears
    that the plan is the lead team's DEVs' to write.
    """
    action = _("edit the technical plan")
    lead = requirement.lead_team
    if not has_role(user, lead, Role.DEV):
        if not _holds_somewhere(user, Role.DEV):
            return role_refusal(user, lead, Role.DEV, action=action)
        if team is not None and not has_role(user, team, Role.DEV):
            return Refused(
                "item.other_party",
                component=component or "—",
                team=team.name,
                lead=lead.name,
                user=str(user),
            )
    return status_refusal(requirement, PLAN_EDITABLE, action=action)


def check_confirm_item(
    user: Any, requirement: Requirement, revision: Revision | None, item_key: str | None = None
) -> Refused | None:
    """A DEV who may write the item (its section's) confirms a suspect item as it stands;
    without `item_key`, whether they may write any section at all."""
    refusal = check_edit_item(user, requirement)
    if refusal or item_key is None:
        return refusal
    item = next((i for i in selectors.items_of(revision) if i.key == item_key), None)
    if item is None:
        return Refused("item.not_found", item=item_key, revision=revision.number if revision else 0)
    refusal = check_edit_item(user, requirement, item.owner_team, component=item.component.name)
    if refusal:
        return refusal
    if item_key not in selectors.suspect_by_item(requirement, revision):
        return Refused("item.not_suspect", item=item_key)
    return None


def check_submit_for_review(
    user: Any, requirement: Requirement, revision: Revision | None
) -> Refused | None:
    """A DEV of the lead team submits the current revision, when it has items, for review."""
    action = _("submit the plan for review")
    refusal = role_refusal(user, requirement.lead_team, Role.DEV, action=action) or (
        status_refusal(requirement, {Status.PLANNING}, action=action)
    )
    if refusal:
        return refusal
    if revision is None or not selectors.items_of(revision):
        return Refused("plan.empty")
    return None


def check_gaps_confirmed(
    requirement: Requirement, revision: Revision, *, confirm: bool
) -> Refused | None:
    """Submitting a revision that a reviewer would have to refuse is allowed, but only when the
    submitter confirms it knowing the gaps: without `confirm`, the refusal names them."""
    if confirm:
        return None
    gaps = selectors.approval_gaps(requirement, revision)
    if not gaps:
        return None
    return Refused(
        "plan.gaps_unconfirmed",
        revision=revision.number,
        gaps=[gap.code for gap in gaps],
        # Rendered when shown, in the reader's language.
        problems=lazy(lambda: " ".join(gap.message for gap in gaps), str)(),
    )


def check_withdrawal_confirmed(
    requirement: Requirement, revision: Revision | None, *, confirm: bool
) -> Refused | None:
    """A plan change while the plan is in review, approved or aligning makes a new revision
    that withdraws the review request, the approval (and while aligning the sign-offs it
    changes): it needs the author's confirmation, and the refusal says what it withdraws."""
    if confirm or revision is None or requirement.status not in STALE_ON_REVISION:
        return None
    return Refused(
        "plan.withdrawal_unconfirmed",
        revision=revision.number,
        status=requirement.status,
        withdrawn=lazy(selectors.withdrawn_by_new_revision, str)(requirement, revision),
    )


def reviewer_refusal(user: Any, requirement: Requirement, *, action: Any) -> Refused | None:
    """Unless `user` is a tech lead or architect of the lead team, or a committee architect:
    those who judge a plan (review it, excuse a party from its meeting)."""
    if has_role(user, requirement.lead_team, Role.TECH_LEAD, Role.ARCHITECT) or (
        _holds_somewhere(user, Role.ARCHITECT) and committee_architect(user)
    ):
        return None
    return role_refusal(user, requirement.lead_team, Role.TECH_LEAD, Role.ARCHITECT, action=action)


def check_review(user: Any, revision: Revision, *, action: Any = None) -> Refused | None:
    """A tech lead or architect of the lead team, or a committee architect, who wrote none of
    the plan, reviews the current revision while it is in review."""
    requirement = revision.plan.requirement
    if refusal := reviewer_refusal(user, requirement, action=_("review the plan")):
        return refusal
    if user.pk in selectors.plan_author_ids(revision):
        return Refused("review.own_revision", user=str(user), revision=revision.number)
    steps: set[str] = {Status.IN_REVIEW}
    if requirement.status in SIGNING and _owes_approval(user, requirement, revision):
        # Approved before it was marked high-risk: the approval it now owes may still come
        # (or a request for changes) while the parties sign; finalizing waits for it.
        steps |= SIGNING
    refusal = status_refusal(requirement, steps, action=action or _("review the plan"))
    if refusal:
        return refusal
    current = selectors.current_revision(requirement)
    if current is None:
        return Refused("plan.empty")
    if current.pk != revision.pk:
        return Refused("review.stale_revision", revision=revision.number, current=current.number)
    if requirement.risk and _has_approved_since_submission(user, revision):
        missing = selectors.missing_approvals(requirement, revision)
        return Refused(
            "review.already_approved",
            user=str(user),
            revision=revision.number,
            missing=[selectors.Approval.LABELS[m] for m in missing],
        )
    return None


def _owes_approval(user: Any, requirement: Requirement, revision: Revision) -> bool:
    owed = selectors.awaited_approvals(requirement, revision)
    lead_reviewer = has_role(user, requirement.lead_team, *selectors.LEAD_REVIEWERS)
    return (selectors.Approval.COMMITTEE in owed and committee_architect(user)) or (
        selectors.Approval.LEAD in owed and lead_reviewer
    )


def _has_approved_since_submission(user: Any, revision: Revision) -> bool:
    approvals = revision.reviews.filter(reviewer=user, verdict=Verdict.APPROVED)
    if revision.submitted_at is not None:
        approvals = approvals.filter(created_at__gte=revision.submitted_at)
    return approvals.exists()


def signing_roles(user: Any, requirement: Requirement, team: Team) -> list[str]:
    """The capacities in which `user` may sign for `team`, DEV first: a DEV of a related party,
    the lead DEV for the lead team (any DEV when none is assigned), and a PM of either."""
    roles = []
    if has_role(user, team, Role.DEV) and (
        team.pk != requirement.lead_team_id
        or requirement.lead_dev_id in (None, getattr(user, "pk", None))
    ):
        roles.append(Role.DEV.value)
    if has_role(user, team, Role.PM):
        roles.append(Role.PM.value)
    return roles


def default_signing_role(
    user: Any, requirement: Requirement, team: Team, revision: Revision | None
) -> str:
    """The capacity a signer who names none signs in: the first one they hold (DEV first)
    that has no standing sign-off of the party yet, so a PM who is also the lead DEV signs
    once as each."""
    roles = signing_roles(user, requirement, team)
    party = selectors.signoff_state(requirement, revision).of(team.pk) if revision else None
    taken = set(party.standing) if party else set()
    return next((r for r in roles if r not in taken), roles[0] if roles else Role.DEV.value)


def check_sign_off(
    user: Any,
    requirement: Requirement,
    team: Team,
    revision: Revision | None,
    as_role: str | None = None,
) -> Refused | None:
    """A PM or DEV of a party asked to sign the approved current revision signs for it, in a
    capacity they hold (only the lead DEV signs as DEV for the lead team), once an alignment
    meeting was held; without `revision`, the role and step only; without `as_role`, any
    capacity they may sign in."""
    if not has_role(user, team, Role.PM, Role.DEV):
        return Refused("role.not_party_member", user=str(user), team=team.name)
    roles = signing_roles(user, requirement, team)
    as_role = as_role or (roles[0] if roles else Role.DEV.value)
    if as_role not in roles:
        if as_role == Role.DEV and has_role(user, team, Role.DEV):
            return Refused(
                "signoff.not_lead_dev",
                requirement=requirement.key,
                lead_dev=str(requirement.lead_dev),
                team=team.name,
                user=str(user),
            )
        return Refused("signoff.role_not_held", user=str(user), role=as_role, team=team.name)
    refusal = status_refusal(requirement, SIGNING, action=_("sign off"))
    if refusal:
        return refusal
    if revision is None:
        return None
    if selectors.approval_of(revision) is None:
        return Refused("signoff.plan_not_approved", revision=revision.number)
    party = selectors.signoff_state(requirement, revision).of(team.pk)
    if party is None:
        return Refused("signoff.not_a_party", team=team.name, requirement=requirement.key)
    if not party.is_asked:
        if revision.change_request is not None:
            return Refused(
                "signoff.not_required", team=team.name, change=revision.change_request.key
            )
        signed = min(s.revision.number for s in party.signoffs)
        return Refused("signoff.stands", team=team.name, signed=signed, revision=revision.number)
    return selectors.meeting_not_held(requirement, revision)


def check_finalize(
    user: Any, requirement: Requirement, revision: Revision | None = None
) -> Refused | None:
    """A PM, DEV or tech lead of the lead team freezes the approved plan; with `revision`, also
    every gap of `finalize_gaps` (coverage, blocking questions, sign-offs …)."""
    refusal = role_refusal(
        user,
        requirement.lead_team,
        Role.PM,
        Role.DEV,
        Role.TECH_LEAD,
        action=_("finalize the plan"),
    ) or status_refusal(requirement, SIGNING, action=_("finalize"))
    if refusal or revision is None:
        return refusal
    gaps = selectors.finalize_gaps(requirement, revision)
    return gaps[0] if gaps else None


def check_open_change_request(user: Any, requirement: Requirement) -> Refused | None:
    """A PM or DEV of the lead team or a related party reopens a baselined plan."""
    parties = {requirement.lead_team_id, *selectors.party_team_ids(requirement)}
    if not any(has_role(user, t, Role.PM, Role.DEV) for t in parties):
        refusal = role_refusal(
            user,
            requirement.lead_team,
            Role.PM,
            Role.DEV,
            action=_("open a change request"),
        )
        if refusal:
            return refusal
    if requirement.status != Status.FINALIZED:
        existing = selectors.open_change_request(requirement)
        if existing is not None:
            return Refused("change.already_open", change=existing.key, requirement=requirement.key)
        return Refused("change.not_baselined", requirement=requirement.key)
    return None


def check_withdraw_change_request(user: Any, change: ChangeRequest) -> Refused | None:
    """The lead team's PM, DEV or tech lead withdraws an open request that changed nothing."""
    requirement = change.requirement
    refusal = role_refusal(
        user,
        requirement.lead_team,
        Role.PM,
        Role.DEV,
        Role.TECH_LEAD,
        action=_("withdraw a change request"),
    )
    if refusal:
        return refusal
    if change.status != ChangeRequest.Status.OPEN:
        return Refused(
            "change.wrong_state",
            change=change.key,
            status=ChangeRequest.Status(change.status).label,
        )
    current = selectors.current_revision(requirement)
    if current is None or current.pk != change.base_baseline.revision_id:
        return Refused("change.wrong_state", change=change.key, status=_("already revised"))
    return None


def check_set_milestone(
    user: Any, requirement: Requirement, team: Team, baseline: Baseline | None = None
) -> Refused | None:
    """A PM or DEV of the lead team or a party of the latest baseline plans its milestones;
    `baseline` is the latest baseline when the caller has read it already."""
    if not has_role(user, team, Role.PM, Role.DEV):
        return Refused("role.not_party_member", user=str(user), team=team.name)
    baseline = baseline or selectors.latest_baseline(requirement)
    if baseline is None:
        return Refused("milestone.not_baselined", requirement=requirement.key)
    parties = {requirement.lead_team_id, *selectors.party_team_ids(requirement, baseline.revision)}
    if team.pk not in parties:
        return Refused(
            "milestone.not_a_party",
            team=team.name,
            version=baseline.version,
            requirement=requirement.key,
        )
    return None


def can_edit_plan(user: Any, requirement: Requirement) -> bool:
    return check_edit_plan(user, requirement) is None


def can_edit_item(user: Any, requirement: Requirement, team: Team | None = None) -> bool:
    return check_edit_item(user, requirement, team) is None


def can_confirm_item(user: Any, requirement: Requirement) -> bool:
    return check_confirm_item(user, requirement, None) is None


def sees_plan_editor(user: Any, requirement: Requirement) -> bool:
    """The item editor is offered to the lead team's DEVs and PMs while the plan is editable,
    and to the DEVs of the related parties for their own sections.

    Only DEVs may save: a PM who tries (the article's failure mode: the PM drafts the plan
    alone) is refused with the reason, which is how the tool teaches whose job the plan is.
    """
    if requirement.status not in PLAN_EDITABLE:
        return False
    return has_role(user, requirement.lead_team, Role.DEV, Role.PM) or bool(
        section_team_ids(user, requirement)
    )


def editor_team_ids(user: Any, requirement: Requirement) -> set[int]:
    """The sections (by owning team) whose items the plan page offers `user` to edit: every
    section to those who see the whole editor (the lead team's DEVs and PMs), their own to
    the related parties' DEVs, none otherwise."""
    if not sees_plan_editor(user, requirement):
        return set()
    if has_role(user, requirement.lead_team, Role.DEV, Role.PM):
        return {requirement.lead_team_id, *selectors.party_team_ids(requirement)}
    return section_team_ids(user, requirement)


def section_team_ids(user: Any, requirement: Requirement) -> set[int]:
    """The related parties of the current revision whose sections `user` writes as their DEV
    (not the lead team's DEVs, who write every item)."""
    if not _holds_somewhere(user, Role.DEV) or has_role(user, requirement.lead_team, Role.DEV):
        return set()
    return {
        team.pk
        for team in selectors.related_parties(requirement)
        if can_edit_item(user, requirement, team)
    }


def can_submit_for_review(user: Any, requirement: Requirement) -> bool:
    revision = selectors.current_revision(requirement)
    return check_submit_for_review(user, requirement, revision) is None


def can_review(user: Any, revision: Revision) -> bool:
    return check_review(user, revision) is None


def signing_teams(user: Any, requirement: Requirement, revision: Revision | None) -> list[Team]:
    """The parties asked to sign `revision` for which `user` may sign (as their PM or DEV)."""
    if revision is None or requirement.status not in SIGNING:
        return []
    state = selectors.signoff_state(requirement, revision)
    return [t for t in state.required if check_sign_off(user, requirement, t, revision) is None]


def can_finalize(user: Any, requirement: Requirement) -> bool:
    """The role and step only: the page lists the gaps next to the button."""
    return check_finalize(user, requirement) is None


def can_open_change_request(user: Any, requirement: Requirement) -> bool:
    return check_open_change_request(user, requirement) is None


def can_withdraw_change_request(user: Any, change: ChangeRequest) -> bool:
    return check_withdraw_change_request(user, change) is None


def milestone_teams(user: Any, requirement: Requirement) -> list[Team]:
    """The baseline's parties whose milestones `user` may set (as their PM or DEV)."""
    baseline = selectors.latest_baseline(requirement)
    if baseline is None:
        return []
    parties = [requirement.lead_team, *selectors.related_parties(requirement, baseline.revision)]
    return [t for t in parties if check_set_milestone(user, requirement, t, baseline) is None]
