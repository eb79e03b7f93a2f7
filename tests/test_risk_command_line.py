"""`techalign risk`: mark, clear and list high-risk requirements from the command line, with the
same gates as the pages."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests.factories import advance


def test_marking_listing_and_clearing_from_the_command_line(w):
    req = advance(w, "planning")
    out = io.StringIO()
    call_command(
        "risk", "mark", req.key, "security", "--reason", "鉴权", "--as", "qiang", stdout=out
    )
    assert out.getvalue().strip() == f"{req.key}: security"
    listed = io.StringIO()
    call_command("risk", "list", stdout=listed)
    assert listed.getvalue().startswith(f"{req.key}\tsecurity\torder\t")
    call_command(
        "risk", "clear", req.key, "--reason", "不涉及", "--as", "ming", stdout=io.StringIO()
    )
    req.refresh_from_db()
    assert req.risk == ""


def test_a_dev_is_refused_with_the_reason(w):
    req = advance(w, "planning")
    with pytest.raises(CommandError) as refused:
        call_command(
            "risk", "mark", req.key, "money", "--reason", "钱", "--as", "lei", "--language", "en"
        )
    assert "lei is not one" in str(refused.value)
    req.refresh_from_db()
    assert req.risk == ""
