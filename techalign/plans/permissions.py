"""Pure `can_<verb>(user, obj) -> bool` questions for plans, for pages and the API alike.

Each mirrors the role and step checks of the service of the same verb in services.py. Content
gates (coverage, asks, sign-offs) are not repeated here: the pages list them from
`approval_gaps` and `finalize_gaps`, and the service refuses with the same words.
"""

from __future__ import annotations

from typing import Any

from techalign.org.models import Role, Team
from techalign.org.permissions import committee_architect, has_role
from techalign.plans import selectors
from techalign.plans.models import ChangeRequest, Revision
from techalign.requirements.models import Requirement, Status
from techalign.requirements.workflow import AFTER_HAND_OFF, SIGNING

PLAN_EDITABLE = AFTER_HAND_OFF


def can_edit_plan(user: Any, requirement: Requirement) -> bool:
    """DEVs of the lead team write the plan once the requirement is handed off."""
    return requirement.status in PLAN_EDITABLE and has_role(user, requirement.lead_team, Role.DEV)


def sees_plan_editor(user: Any, requirement: Requirement) -> bool:
    """The item editor is offered to the lead team's DEVs and PMs while the plan is editable.

    Only DEVs may save: a PM who tries (the article's failure mode: the PM drafts the plan
    alone) is refused with the reason, which is how the tool teaches whose job the plan is.
    """
    return requirement.status in PLAN_EDITABLE and has_role(
        user, requirement.lead_team, Role.DEV, Role.PM
    )


def can_submit_for_review(user: Any, requirement: Requirement) -> bool:
    return requirement.status == Status.PLANNING and has_role(user, requirement.lead_team, Role.DEV)


def can_review(user: Any, revision: Revision) -> bool:
    """A tech lead or architect (of the lead team or the committee) who wrote none of it."""
    requirement = revision.plan.requirement
    if requirement.status != Status.IN_REVIEW:
        return False
    if not (
        has_role(user, requirement.lead_team, Role.TECH_LEAD, Role.ARCHITECT)
        or committee_architect(user)
    ):
        return False
    return user.pk not in selectors.plan_author_ids(revision)


def signing_teams(user: Any, requirement: Requirement, revision: Revision | None) -> list[Team]:
    """The required parties of `revision` for which `user` may sign (as their PM or DEV)."""
    if revision is None or requirement.status not in SIGNING:
        return []
    state = selectors.signoff_state(requirement, revision)
    return [t for t in state.required if has_role(user, t, Role.PM, Role.DEV)]


def can_finalize(user: Any, requirement: Requirement) -> bool:
    """Any PM, DEV or tech lead of the lead team may press finalize; the gaps decide the rest."""
    return requirement.status in SIGNING and has_role(
        user, requirement.lead_team, Role.PM, Role.DEV, Role.TECH_LEAD
    )


def can_open_change_request(user: Any, requirement: Requirement) -> bool:
    if requirement.status != Status.FINALIZED:
        return False
    parties = {requirement.lead_team_id, *selectors.party_team_ids(requirement)}
    return any(has_role(user, t, Role.PM, Role.DEV) for t in parties)


def can_withdraw_change_request(user: Any, change: ChangeRequest) -> bool:
    return change.status == ChangeRequest.Status.OPEN and has_role(
        user, change.requirement.lead_team, Role.PM, Role.DEV, Role.TECH_LEAD
    )


def milestone_teams(user: Any, requirement: Requirement) -> list[Team]:
    """The baseline's parties whose milestones `user` may set (as their PM or DEV)."""
    baseline = selectors.latest_baseline(requirement)
    if baseline is None:
        return []
    parties = [requirement.lead_team, *selectors.related_parties(requirement, baseline.revision)]
    return [t for t in parties if has_role(user, t, Role.PM, Role.DEV)]
