"""The command line looks requirements, meetings and users up through the same selectors as
the API and the pages: keys in any case, and an unknown one is refused with its name."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import advance


def test_plan_export_reads_a_requirement_key_in_any_case_and_names_an_unknown_one(w, tmp_path):
    advance(w, "planning")
    out = io.StringIO()
    call_command("plan", "export", "req-1", stdout=out)
    assert "REQ-1" in out.getvalue()
    for key in ["REQ-9", "abc", "REQ-99999999999999999999"]:
        with pytest.raises(CommandError) as refused:
            call_command("plan", "export", key)
        assert f"Requirement {key} does not exist" in str(refused.value)


def test_plan_import_as_an_inactive_user_is_refused(w, tmp_path):
    advance(w, "planning")
    path = tmp_path / "REQ-1.md"
    call_command("plan", "export", "REQ-1", "--output", str(path))
    w.fang.is_active = False
    w.fang.save()
    with pytest.raises(CommandError) as refused:
        call_command("plan", "import", str(path), "--as", "fang")
    assert "User fang does not exist" in str(refused.value)


def test_slots_for_an_unknown_meeting_names_it(w):
    req = advance(w, "aligning")
    with pytest.raises(CommandError) as refused:
        call_command("slots", f"{req.key}/M-7")
    assert f"Meeting {req.key}/M-7 does not exist" in str(refused.value)
