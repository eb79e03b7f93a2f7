"""The plan page marks suspect items (with the scenario's diff) and lets a DEV confirm them; the
requirement page lets the lead DEV delegate acknowledging."""

from django.urls import reverse

from techalign.plans.selectors import current_revision, suspect_by_item
from tests.factories import advance, rewrite_scenario

HTMX = {"HTTP_HX_REQUEST": "true"}


def do(client, req, name, ref=None, **data):
    args = [req.key, name, *([ref] if ref else [])]
    return client.post(reverse("web:do_on" if ref else "web:do", args=args), data, **HTMX)


def test_the_plan_page_shows_the_suspect_item_with_the_diff_and_a_dev_confirms_it(w, as_user):
    req = advance(w, "planning")
    rewrite_scenario(w, req, acceptance_criteria="到账不超过 1 分钟")
    lei = as_user(w.lei)

    page = lei.get(reverse("web:plan", args=[req.key])).content.decode()

    assert 'id="suspect-I-2"' in page and 'id="suspect-I-1"' not in page
    assert "S-2 changed since this item was written" in page
    assert "到账不超过 1 分钟" in page
    assert page.count('class="cell hit suspect"') == 1
    assert "Confirm as it stands" in page

    response = do(lei, req, "confirm_item", "I-2", revision=current_revision(req).number)

    assert response.status_code == 200
    assert 'id="suspect-I-2"' not in response.content.decode()
    assert suspect_by_item(req, current_revision(req)) == {}


def test_the_pm_sees_the_mark_but_no_confirm_button(w, as_user):
    req = advance(w, "planning")
    rewrite_scenario(w, req, acceptance_criteria="到账不超过 1 分钟")

    page = as_user(w.ming).get(reverse("web:plan", args=[req.key])).content.decode()

    assert 'id="suspect-I-2"' in page
    assert "Confirm as it stands" not in page


def test_the_lead_dev_delegates_from_the_requirement_page(w, as_user):
    req = advance(w, "handed_off")
    lei = as_user(w.lei)
    page = lei.get(reverse("web:requirement", args=[req.key])).content.decode()
    assert "Who acknowledges the scenarios" in page
    assert "Who acknowledges the scenarios" not in (
        as_user(w.fang).get(reverse("web:requirement", args=[req.key])).content.decode()
    )

    do(lei, req, "delegate_acknowledgement", delegate=w.fang.pk)

    assert list(req.acknowledgement_delegates.all()) == [w.fang]
    do(lei, req, "undelegate_acknowledgement", "fang")
    assert not req.acknowledgement_delegates.exists()


def test_a_dev_who_is_not_the_lead_dev_is_told_whom_to_ask(w, as_user):
    req = advance(w, "handed_off")

    response = do(as_user(w.fang), req, "acknowledge", "S-1")

    assert response["X-Refused"] == "scenario.not_lead_dev"
    assert "Only the lead DEV lei" in response.content.decode()
