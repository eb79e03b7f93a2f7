"""The plan page imports an edited Markdown export (pasted) as one plan edit: into an approved
plan it first shows the confirm step naming the approval it withdraws, carrying the file, and
works without JavaScript; a PM sees no import form."""

from django.urls import reverse

from techalign.plans import selectors
from techalign.plans.markdown import export_plan
from techalign.requirements.models import Status
from tests.factories import advance
from tests.web.support import HTMX, confirm_form


def test_importing_into_an_approved_plan_asks_first_and_keeps_the_file(w, as_user):
    req = advance(w, "approved")
    # As a browser sends a textarea: CRLF line breaks.
    text = export_plan(req).replace("改 ledger", "改总账").replace("\n", "\r\n")
    lei = as_user(w.lei, "zh-hans")
    url = reverse("web:do", args=[req.key, "import_markdown"])
    response = lei.post(url, {"markdown": text}, **HTMX)
    assert response["X-Refused"] == "plan.withdrawal_unconfirmed"
    page = response.content.decode()
    assert "撤回修订 3 的评审通过" in page
    step = confirm_form(page)
    assert f'action="{url}"' in step and 'name="confirm" value="1"' in step
    assert 'name="markdown"' in step and "改总账" in step
    req.refresh_from_db()
    assert req.status == Status.APPROVED and selectors.current_revision(req).number == 3
    confirmed = lei.post(url, {"markdown": text, "confirm": "1"}, **HTMX)
    assert "X-Refused" not in confirmed
    req.refresh_from_db()
    assert req.status == Status.PLANNING
    revision = selectors.current_revision(req)
    assert revision.number == 4 and revision.summary == "I-3 changed"  # only the edited item


def test_without_javascript_the_step_shows_after_the_redirect(w, as_user):
    req = advance(w, "in_review")
    text = export_plan(req).replace("改 ledger", "改总账")
    lei = as_user(w.lei)
    url = reverse("web:do", args=[req.key, "import_markdown"])
    posted = lei.post(url, {"markdown": text}, follow=True)
    page = posted.content.decode()
    assert "the review request for revision 3" in page
    assert 'name="confirm" value="1"' in confirm_form(page)
    lei.post(url, {"markdown": text, "confirm": "1"})
    assert selectors.current_revision(req).number == 4


def test_a_pm_sees_no_import_form_and_is_refused(w, as_user):
    req = advance(w, "planning")
    ming = as_user(w.ming)
    page = ming.get(reverse("web:plan", args=[req.key])).content.decode()
    assert "Import a Markdown file" not in page
    text = export_plan(req).replace("改 ledger", "PM 改")
    response = ming.post(
        reverse("web:do", args=[req.key, "import_markdown"]), {"markdown": text}, **HTMX
    )
    assert response["X-Refused"] == "role.not_allowed"
    assert selectors.current_revision(req).number == 3
