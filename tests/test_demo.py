"""`techalign demo`: the demo organisation, loaded once through the services, with its logins."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import call_command

from techalign import demo
from techalign.audit.services import verify_chain
from techalign.meetings.models import Meeting
from techalign.org.models import Component, Department, Membership, User
from techalign.plans.models import Baseline, ChangeRequest, Milestone, Phase, SignOff
from techalign.plans.selectors import current_revision, signoff_state
from techalign.requirements.models import Requirement, Status
from techalign.requirements.selectors import next_actions, visible_requirements
from techalign.requirements.services import hand_off

# A Sunday, so "next week" and the working-day rules are exercised across a week boundary.
SUNDAY = dt.date(2026, 3, 1)


@pytest.fixture
def loaded(db) -> None:
    assert demo.load_demo(today=SUNDAY) == demo.Outcome.LOADED


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def user(persona: str) -> User:
    return User.objects.get(username=demo.PERSONAS[persona])


def main_requirement() -> Requirement:
    return Requirement.objects.get(title=demo.MAIN_TITLE)


def test_loading_twice_changes_nothing_the_second_time(loaded):
    before = row_counts()
    assert demo.load_demo() == demo.Outcome.ALREADY_LOADED
    call_command("demo", "--no-history", stdout=io.StringIO())
    assert row_counts() == before
    assert before["requirements.Requirement"] >= 9
    assert before["org.Component"] >= 10


def test_main_requirement_is_a_draft_ready_for_its_pm_to_hand_off(loaded):
    requirement = main_requirement()
    assert requirement.status == Status.DRAFT
    assert requirement.owner == user("lead_pm")
    assert requirement.lead_dev == user("lead_dev")
    titles = list(requirement.scenarios.order_by("number").values_list("title", flat=True))
    assert titles == list(demo.MAIN_SCENARIOS) and len(titles) >= 6
    assert all(s.acceptance_criteria for s in requirement.scenarios.all())
    assert [a.action for a in next_actions(requirement)] == ["hand_off"]

    hand_off(requirement=requirement, actor=user("lead_pm"))
    assert main_requirement().status == Status.HANDED_OFF


def test_the_main_plan_components_belong_to_the_personas_teams(loaded):
    owner = {c.key: c.owner_team for c in Component.objects.select_related("owner_team")}
    lead_team = main_requirement().lead_team
    assert owner["order-service"] == lead_team
    assert Membership.objects.filter(user=user("payments_dev"), team=owner["refund-api"]).exists()
    assert Membership.objects.filter(user=user("finance_pm"), team=owner["ledger"]).exists()
    assert not Membership.objects.filter(
        user=user("outsider"), team__in=[lead_team, owner["refund-api"], owner["ledger"]]
    ).exists()


def test_every_step_from_draft_to_finalized_has_a_requirement(loaded):
    present = set(Requirement.objects.values_list("status", flat=True))
    assert present >= {s.value for s in Status} - {Status.CANCELLED}
    assert Requirement.objects.values("lead_team").distinct().count() >= 5


def test_a_gap_found_in_testing_was_changed_into_baseline_v2(loaded):
    v2 = Baseline.objects.select_related("change_request").get(version=2)
    change = v2.change_request
    assert change.phase_found == Phase.TESTING
    assert change.status == ChangeRequest.Status.DONE
    assert change.cost_weight > 1
    assert v2.requirement.baselines.count() == 2
    assert v2.requirement.status == Status.FINALIZED
    assert v2.revision.signoffs.filter(decision=SignOff.Decision.APPROVE).exists()


def test_the_aligning_requirement_has_minutes_and_meets_next_week_at_two(loaded):
    requirement = Requirement.objects.get(status=Status.ALIGNING)
    held = requirement.meetings.get(status=Meeting.Status.HELD)
    assert held.invitees.filter(attended=True).exists()
    assert held.decisions.exists() and held.action_items.exists()
    assert requirement.questions.filter(meeting=held, is_blocking=True, resolved_at=None).exists()
    state = signoff_state(requirement, current_revision(requirement))
    assert [p.team.code for p in state.parties if p.is_complete] == ["marketing", "order"]
    assert [t.code for t in state.missing] == ["cart"]

    upcoming = requirement.meetings.get(status=Meeting.Status.SCHEDULED)
    starts = upcoming.starts_at.astimezone(demo.SHANGHAI)
    ends = upcoming.ends_at.astimezone(demo.SHANGHAI)
    assert starts.date() == dt.date(2026, 3, 3)  # the Tuesday of the week after SUNDAY
    assert (starts.hour, starts.minute, ends.hour, ends.minute) == (14, 0, 15, 0)


def test_handed_off_and_planning_requirements_show_their_open_work(loaded):
    handed_off = Requirement.objects.get(status=Status.HANDED_OFF)
    scenarios = handed_off.scenarios.all()
    assert sum(s.acknowledged_at is not None for s in scenarios) == 1
    question = handed_off.questions.get()
    assert question.raised_by == handed_off.lead_dev and not question.is_resolved

    planning = Requirement.objects.get(status=Status.PLANNING)
    out_of_scope = planning.scenarios.exclude(out_of_scope_reason="")
    assert out_of_scope.count() == 1 and out_of_scope.get().out_of_scope_by == planning.owner
    # The PM sharpened S-1 after the plan was written: acknowledge it again, confirm the item.
    assert {"acknowledge", "write_plan"} <= {a.action for a in next_actions(planning)}


def test_milestones_are_near_and_some_are_overdue(loaded):
    milestones = Milestone.objects.all()
    assert {m.kind for m in milestones} == set(Milestone.Kind.values)
    assert milestones.filter(due_on__lt=SUNDAY, done_on=None).exists()
    assert milestones.filter(due_on__gte=SUNDAY).exists()
    assert all(abs((m.due_on - SUNDAY).days) <= 30 for m in milestones)


def test_the_private_requirement_is_hidden_from_the_outsider(loaded):
    private = Requirement.objects.get(is_private=True)
    assert not visible_requirements(user("outsider")).filter(pk=private.pk).exists()
    assert visible_requirements(user("payments_pm")).filter(pk=private.pk).exists()


def test_the_audit_chain_of_the_demo_verifies(loaded):
    checked, broken = verify_chain()
    assert broken is None
    assert checked > 100


def test_command_prints_every_persona_with_their_roles_and_the_password(db):
    out = io.StringIO()
    call_command("demo", "--no-history", stdout=out)
    text = out.getvalue()
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    for username in [*demo.PERSONAS.values(), demo.SUPERUSER]:
        assert username in lines, username
        for role in Membership.objects.filter(user__username=username).values_list("role"):
            assert role[0] in lines[username]
    assert "superuser" in lines[demo.SUPERUSER]
    assert demo.DEMO_PASSWORD in text
    assert User.objects.get(username=demo.SUPERUSER).check_password(demo.DEMO_PASSWORD)

    again = io.StringIO()
    call_command("demo", "--no-history", stdout=again)
    assert "already loaded" in again.getvalue()
    assert all(username in again.getvalue() for username in demo.PERSONAS.values())


def test_if_empty_leaves_an_existing_organisation_alone(db):
    Department.objects.create(code="acme", name="Acme")
    out = io.StringIO()
    call_command("demo", "--if-empty", "--no-history", stdout=out)
    assert "demo not loaded" in out.getvalue()
    assert not Requirement.objects.exists()
    assert not User.objects.exists()


def test_the_demo_shows_every_party_at_work(loaded):
    """A party-written item, a suspect item, a high-risk plan waiting for the committee, an
    accepted question thread, a reminded action item, a waiver-free baseline and a targeted
    re-sign-off after a change request."""
    from techalign.meetings.models import AttendanceWaiver
    from techalign.notify.models import Notification
    from techalign.plans.models import Item, SuspectLink
    from techalign.requirements.models import Question

    planning = Requirement.objects.get(status=Status.PLANNING)
    items = Item.objects.filter(revision=current_revision(planning))
    assert items.get(component__key="coupon-service").author.username == "linfeng"
    assert SuspectLink.objects.filter(requirement=planning, cleared_at=None).exists()

    in_review = Requirement.objects.get(status=Status.IN_REVIEW)
    assert in_review.risk == "money"
    assert in_review.status == Status.IN_REVIEW  # the tech lead approved; the committee not yet

    accepted = Question.objects.get(state=Question.State.ACCEPTED, item_key="I-2")
    assert accepted.raised_by.username == "lilei"
    assert accepted.replies.count() == 1
    assert Notification.objects.filter(event="action.due", recipient__username="lilei").exists()

    assert not AttendanceWaiver.objects.exists()
    v2 = Baseline.objects.get(version=2)
    signers = {(s.team.code, s.role, s.revision.number) for s in v2.signoffs.all()}
    v1 = v2.requirement.baselines.get(version=1)
    assert ("finance", "DEV", v1.revision.number) in signers  # stands from baseline v1
    assert {("membership", "PM"), ("membership", "DEV"), ("order", "DEV")} <= {
        (team, role) for team, role, number in signers if number == v2.revision.number
    }
