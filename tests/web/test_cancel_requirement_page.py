"""The requirement page offers its lead PM to cancel it, with a reason, and then says it was
cancelled and why; nobody else is offered it."""

from django.urls import reverse

from techalign.requirements.models import Status
from tests.factories import advance


def test_the_lead_pm_cancels_from_the_page_and_the_page_says_why(w, as_user):
    req = advance(w, "planning")
    page = reverse("web:requirement", args=[req.key])
    action = f"/r/{req.key}/do/cancel_requirement/"
    client = as_user(w.ming, "zh-hans")
    shown = client.get(page).content.decode()
    assert f'action="{action}"' in shown and "取消需求" in shown
    assert 'hx-confirm="确定取消此需求？此操作无法撤销。"' in shown

    refused = client.post(action, {"cancel-reason": "  "}, headers={"HX-Request": "true"})
    assert refused["X-Refused"] == "input.invalid"
    assert "原因: 这个字段是必填项。" in refused.content.decode()  # said in the open form
    req.refresh_from_db()
    assert req.status == Status.PLANNING

    client.post(action, {"cancel-reason": "业务方不再需要部分退款。"})
    req.refresh_from_db()
    assert req.status == Status.CANCELLED
    after = client.get(page).content.decode()
    assert 'id="cancelled"' in after and "业务方不再需要部分退款。" in after
    assert f'action="{action}"' not in after  # nothing more to do on it


def test_nobody_but_a_pm_of_the_lead_team_is_offered_it(w, as_user):
    req = advance(w, "planning")
    page = reverse("web:requirement", args=[req.key])
    for someone in (w.lei, w.hua, w.qiang):
        assert "cancel_requirement" not in as_user(someone).get(page).content.decode()
    finalized = advance(w, "finalized")
    shown = as_user(w.ming).get(reverse("web:requirement", args=[finalized.key]))
    assert "cancel_requirement" not in shown.content.decode()
