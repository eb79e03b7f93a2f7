"""An action on one scenario or question posted without naming it (its address has no
reference) is refused as not found, never an error, and changes nothing."""

from django.urls import reverse

from tests.factories import advance

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_acknowledging_no_scenario_is_not_found_and_acknowledges_none(w, as_user):
    req = advance(w, "handed_off")
    response = as_user(w.lei).post(reverse("web:do", args=[req.key, "acknowledge"]), **HTMX)
    assert response.status_code == 200
    assert response["X-Refused"] == "access.not_found"
    assert not req.scenarios.filter(acknowledged_at__isnull=False).exists()


def test_accepting_no_question_is_not_found(w, as_user):
    req = advance(w, "handed_off")
    response = as_user(w.ming).post(reverse("web:do", args=[req.key, "accept"]), **HTMX)
    assert response.status_code == 200
    assert response["X-Refused"] == "access.not_found"


def test_acknowledging_a_named_scenario_is_done(w, as_user):
    req = advance(w, "handed_off")
    url = reverse("web:do_on", args=[req.key, "acknowledge", "S-1"])
    response = as_user(w.lei).post(url, **HTMX)
    assert response.status_code == 200
    assert not response.has_header("X-Refused")
    assert req.scenarios.get(number=1).acknowledged_at is not None
    assert req.scenarios.get(number=2).acknowledged_at is None
