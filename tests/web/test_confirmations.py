"""A confirm step names what a click would cost: the gaps of a plan submitted anyway, and the
review or approval a plan change withdraws."""

from django.urls import reverse

from techalign.plans import services as plans
from techalign.requirements import services as requirements
from tests.factories import advance


def _plan(client, req):
    return client.get(reverse("web:plan", args=[req.key])).content.decode()


def test_submitting_a_plan_with_gaps_asks_first_and_names_them(w, as_user):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="新场景")  # S-4: no item
    number = req.plan.current_revision.number
    page = _plan(as_user(w.lei, "zh-hans"), req)
    confirm = f'hx-confirm="修订 {number} 存在评审人必须驳回的缺口：'
    assert confirm in page
    assert "S-4" in page.split(confirm)[1].split('"')[0]


def test_submitting_a_complete_plan_asks_nothing(w, as_user):
    req = advance(w, "planning")
    page = _plan(as_user(w.lei), req)
    submit = page.split("/do/submit_for_review/")[1].split(">")[0]
    assert "hx-confirm" not in submit


def test_changing_items_in_review_asks_first_and_names_the_review_request(w, as_user):
    req = advance(w, "in_review")
    page = _plan(as_user(w.lei, "zh-hans"), req)
    warning = "保存此修改会生成新修订并撤回修订 3 的评审请求，方案将退回到制定阶段。确定继续吗？"
    add_form = page.split("/do/add_item/")[1].split(">")[0]
    assert warning in add_form
    assert page.count(warning) >= 2  # the remove buttons say it too


def test_after_approval_the_warning_names_the_approval(w, as_user):
    req = advance(w, "approved")
    page = _plan(as_user(w.lei), req)
    assert "withdraws the approval of revision 3; the plan goes back to planning" in page


def test_while_planning_a_change_withdraws_nothing_and_asks_nothing(w, as_user):
    req = advance(w, "planning")
    page = _plan(as_user(w.lei), req)
    assert "withdraws" not in page
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=3)
    assert "withdraws the review request for revision 3" in _plan(as_user(w.lei), req)
