"""On the requirement page, a scenario edit that would withdraw the plan's approval is answered
with the confirm step (the posted form again, carrying `confirm=1`, without JavaScript); only
the confirmed post saves it."""

from django.urls import reverse

from techalign.requirements.models import Status
from tests.factories import advance
from tests.web.support import HTMX, confirm_form


def test_editing_a_scenario_after_approval_asks_first_and_keeps_the_text(w, as_user):
    req = advance(w, "approved")
    ming = as_user(w.ming, "zh-hans")
    url = reverse("web:do_on", args=[req.key, "update_scenario", "S-2"])
    data = {
        "title": "部分退款到余额",
        "priority": "P1",
        "description": "",
        "acceptance_criteria": "",
    }
    response = ming.post(url, data, **HTMX)
    assert response["X-Refused"] == "plan.withdrawal_unconfirmed"
    page = response.content.decode()
    assert "撤回修订 3 的评审通过" in page
    step = confirm_form(page)
    assert f'action="{url}"' in step and 'name="confirm" value="1"' in step
    assert 'name="title" value="部分退款到余额"' in step
    req.refresh_from_db()
    assert req.status == Status.APPROVED
    assert req.scenarios.get(number=2).title == "场景 2"  # nothing saved yet
    confirmed = ming.post(url, {**data, "confirm": "1"}, **HTMX)
    assert "X-Refused" not in confirmed
    req.refresh_from_db()
    assert req.status == Status.PLANNING
    assert req.scenarios.get(number=2).title == "部分退款到余额"


def test_adding_a_scenario_without_javascript_shows_the_step_after_the_redirect(w, as_user):
    req = advance(w, "in_review")
    ming = as_user(w.ming)
    url = reverse("web:do", args=[req.key, "add_scenario"])
    posted = ming.post(url, {"title": "场景 4", "priority": "P1"}, follow=True)
    page = posted.content.decode()
    assert "the review request for revision 3" in page
    assert 'name="confirm" value="1"' in confirm_form(page)
    assert req.scenarios.count() == 3
    ming.post(url, {"title": "场景 4", "priority": "P1", "confirm": "1"})
    assert req.scenarios.count() == 4
