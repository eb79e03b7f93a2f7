"""A confirm step names what a click would cost, on the server and without JavaScript: the
gaps of a plan submitted anyway, and the review or approval a plan change withdraws. The
first post is answered with the step (the posted form again, carrying `confirm=1`); only
the second one acts."""

from django.urls import reverse

from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from tests.factories import advance

HTMX = {"HTTP_HX_REQUEST": "true"}


def _plan(client, req):
    return client.get(reverse("web:plan", args=[req.key])).content.decode()


def _confirm_form(page: str) -> str:
    before, after = page.split('class="inline confirm-step"')
    return before.rsplit("<form", 1)[1] + after.split("</form>")[0]


def test_submitting_a_plan_with_gaps_asks_first_and_names_them(w, as_user):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="新场景")  # S-4: no item
    number = req.plan.current_revision.number
    lei = as_user(w.lei, "zh-hans")
    url = reverse("web:do", args=[req.key, "submit_for_review"])
    posted = lei.post(url, {"revision": number}, follow=True)
    page = posted.content.decode()
    assert posted.redirect_chain[-1][0].endswith(f"/r/{req.key}/plan/#review")
    assert f"修订 {number} 存在评审人必须驳回的缺口" in page and "S-4" in page
    step = _confirm_form(page)
    assert f'action="{url}"' in step
    assert 'name="confirm" value="1"' in step and f'name="revision" value="{number}"' in step
    assert "仍要提交" in step and "返回" in step
    req.refresh_from_db()
    assert req.status == Status.PLANNING  # nothing submitted yet
    lei.post(url, {"revision": number, "confirm": "1"})
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_submitting_a_complete_plan_asks_nothing(w, as_user):
    req = advance(w, "planning")
    url = reverse("web:do", args=[req.key, "submit_for_review"])
    response = as_user(w.lei).post(url, {"revision": 3}, **HTMX)
    assert "X-Refused" not in response and "confirm-step" not in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_changing_items_in_review_asks_first_and_names_the_review_request(w, as_user):
    req = advance(w, "in_review")
    lei = as_user(w.lei, "zh-hans")
    url = reverse("web:do_on", args=[req.key, "remove_item", "I-3"])
    response = lei.post(url, {"revision": 3}, **HTMX)
    assert response["X-Refused"] == "plan.withdrawal_unconfirmed"
    page = response.content.decode()
    assert "保存此修改会生成新修订并撤回修订 3 的评审请求，方案将退回到制定阶段" in page
    assert 'name="confirm" value="1"' in _confirm_form(page)
    assert req.plan.current_revision.items.count() == 3  # nothing removed yet
    confirmed = lei.post(url, {"revision": 3, "confirm": "1"}, **HTMX)
    assert "X-Refused" not in confirmed
    req.refresh_from_db()
    assert req.status == Status.PLANNING
    assert req.plan.current_revision.items.count() == 2


def test_an_item_edit_after_approval_keeps_what_was_typed_on_the_step(w, as_user):
    req = advance(w, "approved")
    lei = as_user(w.lei)
    data = {
        "based_on": 3,
        "component": "order-service",
        "kind": "api_change",
        "title": "改 order-service 的退款接口",
        "ask": "",
        "scenario_keys": ["S-1"],
    }
    url = reverse("web:do_on", args=[req.key, "update_item", "I-1"])
    page = lei.post(url, data, follow=True).content.decode()
    assert "withdraws the approval of revision 3; the plan goes back to planning" in page
    step = _confirm_form(page)
    assert 'value="改 order-service 的退款接口"' in step  # the typed title is carried
    assert "Save anyway" in step
    lei.post(url, {**data, "confirm": "1"})
    req.refresh_from_db()
    assert req.status == Status.PLANNING
    assert req.plan.current_revision.items.get(number=1).title == "改 order-service 的退款接口"


def test_while_planning_a_change_withdraws_nothing_and_asks_nothing(w, as_user):
    req = advance(w, "planning")
    url = reverse("web:do_on", args=[req.key, "remove_item", "I-3"])
    response = as_user(w.lei).post(url, {"revision": 3}, **HTMX)
    assert "X-Refused" not in response
    assert req.plan.current_revision.items.count() == 2
