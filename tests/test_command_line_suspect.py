"""`techalign plan suspect REQ` lists suspect items (exit 1 while any), `techalign plan
confirm REQ ITEM --as USER` confirms one as it stands."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from techalign.plans.selectors import current_revision, suspect_by_item
from tests.factories import advance, rewrite_scenario


def test_suspect_lists_the_marks_and_fails_until_they_are_confirmed(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req, title="新标题")
    out = StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("plan", "suspect", req.key, stdout=out)

    assert failed.value.returncode == 1
    assert f"{req.key} I-2 S-2: title (ming," in out.getvalue()

    confirmed = StringIO()
    call_command("plan", "confirm", req.key, "i-2", "--as", "lei", stdout=confirmed)

    assert "I-2 confirmed" in confirmed.getvalue()
    assert suspect_by_item(req, current_revision(req)) == {}
    call_command("plan", "suspect", req.key, stdout=StringIO())  # exit 0 now


def test_confirm_by_the_pm_is_refused_with_the_reason(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req, title="新标题")

    with pytest.raises(CommandError) as refused:
        call_command("plan", "confirm", req.key, "I-2", "--as", "ming")

    assert refused.value.returncode == 1
    assert "may edit the technical plan" in str(refused.value)
