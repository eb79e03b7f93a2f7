"""A refused plain (no-JavaScript) form post is redirected to its page (post/redirect/get):
the address bar shows the page, the refusal is shown beside the form, what was typed comes
back, and a reload shows the page as it is, posting nothing again."""

from django.urls import reverse

from techalign.requirements.models import Status
from tests.factories import advance


def test_a_refused_post_lands_on_the_page_with_the_refusal_beside_its_form(w, as_user):
    req = advance(w, "draft")
    lei = as_user(w.lei)
    response = lei.post(reverse("web:do", args=[req.key, "hand_off"]))
    assert response.status_code == 302
    assert response["Location"] == f"/r/{req.key}/#scenarios"
    page = lei.get(response["Location"]).content.decode()
    assert 'data-code="role.not_allowed"' in page and "may hand off the requirement" in page
    # Shown once: a reload is the plain page.
    assert "may hand off the requirement" not in lei.get(response["Location"]).content.decode()
    req.refresh_from_db()
    assert req.status == Status.DRAFT


def test_a_refused_form_comes_back_as_it_was_typed(w, as_user):
    req = advance(w, "planning")
    lei = as_user(w.lei)
    data = {
        "based_on": 1,  # stale: the plan is at revision 3
        "component": "order-service",
        "kind": "api_change",
        "title": "一个不会被保存的条目",
        "description": "typed by hand",
        "scenario_keys": ["S-2"],
    }
    response = lei.post(reverse("web:do", args=[req.key, "add_item"]), data, follow=True)
    assert response.redirect_chain == [(f"/r/{req.key}/plan/#items", 302)]
    page = response.content.decode()
    assert 'data-code="plan.stale_revision"' in page
    assert 'value="一个不会被保存的条目"' in page and "typed by hand" in page
    assert req.plan.current_revision.number == 3  # nothing written


def test_an_invalid_form_comes_back_with_its_errors_on_the_page(w, as_user):
    req = advance(w, "planning")
    lei = as_user(w.lei)
    data = {"based_on": 3, "component": "order-service", "kind": "nonsense", "title": "x"}
    response = lei.post(reverse("web:do", args=[req.key, "add_item"]), data, follow=True)
    assert response.redirect_chain[-1][0] == f"/r/{req.key}/plan/#items"
    page = response.content.decode()
    assert "Please correct:" in page and 'value="x"' in page
    assert req.plan.current_revision.number == 3


def test_the_refusal_is_shown_on_the_actions_page_only(w, as_user):
    req = advance(w, "draft")
    lei = as_user(w.lei)
    lei.post(reverse("web:do", args=[req.key, "hand_off"]))
    # Another page of the requirement first: the refusal waits for its own page.
    assert "may hand off" not in lei.get(reverse("web:plan", args=[req.key])).content.decode()
    page = lei.get(reverse("web:requirement", args=[req.key])).content.decode()
    assert "may hand off the requirement" in page


def test_a_refused_new_requirement_lands_on_the_list_with_what_was_typed(w, as_user):
    ming = as_user(w.ming)
    data = {"title": "退款到余额", "lead_team": w.order.pk, "lead_dev": w.jun.pk}  # not order's
    response = ming.post(reverse("web:requirement_create"), data, follow=True)
    assert response.redirect_chain == [("/requirements/#new-requirement", 302)]
    page = response.content.decode()
    assert 'value="退款到余额"' in page and 'class="errorlist' in page
    assert "退款到余额" not in ming.get(reverse("web:requirements")).content.decode()
