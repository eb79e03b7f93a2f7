"""The lifecycle table: a requirement moves only along the pairs of `TRANSITIONS`."""

import pytest

from techalign.core.errors import Refused
from techalign.requirements.models import Requirement, Status
from techalign.requirements.workflow import TRANSITIONS, move_to
from tests.factories import advance


def test_every_status_has_a_row_in_the_transition_table():
    assert set(TRANSITIONS) == set(Status.values)
    for targets in TRANSITIONS.values():
        assert targets <= set(Status.values)


def test_move_to_refuses_a_pair_not_in_the_table_and_changes_nothing(w):
    req = advance(w, "draft")
    with pytest.raises(Refused) as refused:
        move_to(req, Status.FINALIZED)
    assert refused.value.code == "requirement.transition_not_allowed"
    assert refused.value.message == (
        f'Requirement {req.key} cannot move from "Draft" to "Finalized" in the process.'
    )
    row = Requirement.objects.get(pk=req.pk)
    assert (row.status, row.version) == (Status.DRAFT, req.version)


def test_move_to_follows_a_pair_in_the_table(w):
    req = advance(w, "draft")
    move_to(req, Status.HANDED_OFF)
    assert Requirement.objects.get(pk=req.pk).status == Status.HANDED_OFF
    assert req.handed_off_at is not None
