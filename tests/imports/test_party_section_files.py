"""`techalign plan import` applies the party-section rule of every plan edit: a party DEV's file
may change that party's items only; one touching another section is refused (exit status 1)
naming the owning team, and nothing is written."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from techalign.plans import selectors
from tests.factories import advance


def test_a_party_dev_imports_their_section_from_the_command_line(w, tmp_path):
    req = advance(w, "planning")
    path = tmp_path / "REQ-1.md"
    call_command("plan", "export", "REQ-1", "--output", str(path))
    path.write_text(path.read_text().replace("改 refund-api", "退款接口支持部分金额"))

    out = io.StringIO()
    call_command("plan", "import", str(path), "--as", "jun", stdout=out)

    assert "REQ-1: revision 4 (I-2 changed)." in out.getvalue()
    assert selectors.current_revision(req).author == w.jun


def test_a_party_dev_file_touching_another_section_is_refused_naming_its_team(w, tmp_path):
    req = advance(w, "planning")
    path = tmp_path / "REQ-1.md"
    call_command("plan", "export", "REQ-1", "--output", str(path))
    path.write_text(path.read_text().replace("改 ledger", "改总账"))

    with pytest.raises(CommandError) as refused:
        call_command("plan", "import", str(path), "--as", "jun", "--language", "en")

    assert refused.value.returncode == 1
    assert "Component ledger is in the section of team 财务组" in str(refused.value)
    assert selectors.current_revision(req).number == 3
