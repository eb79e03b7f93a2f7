"""A model's default order reads its own columns: a requirement's scenarios, items or marks are
read without joining the requirement (or the meeting, or the revision) only to sort them, and
across requirements the newest still comes first."""

import pytest

from techalign.meetings.models import ActionItem, AttendanceWaiver, Decision, Invitee, Meeting
from techalign.plans.models import Baseline, ChangeRequest, Item, Milestone, SuspectLink
from techalign.requirements.models import Question, QuestionReply, Scenario
from tests.factories import advance


@pytest.mark.parametrize(
    "model",
    [
        Scenario,
        Question,
        QuestionReply,
        Item,
        SuspectLink,
        ChangeRequest,
        Baseline,
        Meeting,
        Decision,
        ActionItem,
        AttendanceWaiver,
    ],
)
def test_reading_rows_of_one_parent_joins_no_table(model):
    assert "JOIN" not in str(model.objects.filter(pk=1).query)


@pytest.mark.parametrize(
    "model, parent", [(Milestone, "requirements_requirement"), (Invitee, "meetings_meeting")]
)
def test_rows_sorted_by_team_join_the_team_only(model, parent):
    sql = str(model.objects.filter(pk=1).query)
    assert '"org_team"' in sql  # by the team's code, as they are shown
    assert f'"{parent}"' not in sql


@pytest.mark.django_db
def test_across_requirements_the_newest_requirement_comes_first(w):
    older = advance(w, "handed_off", scenarios=2)
    newer = advance(w, "handed_off", scenarios=2)
    assert [(s.requirement_id, s.key) for s in Scenario.objects.all()] == [
        (newer.pk, "S-1"),
        (newer.pk, "S-2"),
        (older.pk, "S-1"),
        (older.pk, "S-2"),
    ]
