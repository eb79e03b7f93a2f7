"""A Markdown import is a plan edit like any other: when it would withdraw a review, an
approval or sign-offs it goes ahead only when the DEV confirms (`confirm`, `--confirm`), and
the refusal says what it would withdraw."""

import io

import pytest
from django.core.management import CommandError, call_command

from techalign.core.errors import Refused
from techalign.plans import selectors
from techalign.plans.markdown import export_plan, import_plan
from techalign.requirements.models import Status
from tests.factories import advance


@pytest.mark.parametrize(
    ("step", "withdrawn"),
    [
        ("in_review", "the review request for revision 3"),
        ("approved", "the approval of revision 3"),
        ("aligning", "the approval of revision 3 and the sign-offs of the lead team"),
    ],
)
def test_an_import_that_withdraws_needs_confirming(w, step, withdrawn):
    req = advance(w, step)
    text = export_plan(req).replace("改 ledger", "改总账")
    with pytest.raises(Refused) as refused:
        import_plan(actor=w.lei, text=text)
    assert refused.value.code == "plan.withdrawal_unconfirmed"
    assert withdrawn in refused.value.message
    req.refresh_from_db()
    assert req.status == step  # nothing written
    assert selectors.current_revision(req).number == 3
    result = import_plan(actor=w.lei, text=text, confirm=True)
    assert result.revision.number == 4
    req.refresh_from_db()
    assert req.status == Status.PLANNING


def test_an_unchanged_import_under_review_needs_no_confirming(w):
    req = advance(w, "approved")
    assert import_plan(actor=w.lei, text=export_plan(req)).revision is None
    req.refresh_from_db()
    assert req.status == Status.APPROVED


def test_plan_command_imports_into_an_approved_plan_only_with_confirm(w, tmp_path):
    req = advance(w, "approved")
    path = tmp_path / "REQ-1.md"
    path.write_text(export_plan(req).replace("改 ledger", "改总账"))
    with pytest.raises(CommandError) as refused:
        call_command("plan", "import", str(path), "--as", "lei")
    assert "the approval of revision 3" in str(refused.value)
    assert refused.value.returncode == 1  # the plan edit is refused, not the file
    req.refresh_from_db()
    assert req.status == Status.APPROVED
    out = io.StringIO()
    call_command("plan", "import", str(path), "--as", "lei", "--confirm", stdout=out)
    assert "REQ-1: revision 4 (I-3 changed)." in out.getvalue()
    req.refresh_from_db()
    assert req.status == Status.PLANNING
