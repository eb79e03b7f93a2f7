"""Acting from the pages: each write goes through its service, a refusal is shown inline with
the unmet condition, and what was refused leaves nothing behind."""

import datetime as dt

from django.urls import reverse

from techalign.org.models import User
from techalign.plans.selectors import current_revision
from techalign.requirements.models import Question, Status
from tests.factories import advance, sign_all

HTMX = {"HTTP_HX_REQUEST": "true"}


def do(client, req, name, ref=None, **data):
    args = [req.key, name, *([ref] if ref else [])]
    return client.post(reverse("web:do_on" if ref else "web:do", args=args), data, **HTMX)


def test_hand_off_then_acknowledge_moves_the_stepper(w, as_user):
    req = advance(w, "draft")
    response = do(as_user(w.ming), req, "hand_off")
    assert response.status_code == 200
    assert 'hx-swap-oob="true"' in response.content.decode()  # the header follows
    req.refresh_from_db()
    assert req.status == Status.HANDED_OFF
    lei = as_user(w.lei)
    for scenario in req.scenarios.all():
        assert do(lei, req, "acknowledge", scenario.key).status_code == 200
    req.refresh_from_db()
    assert req.status == Status.PLANNING


def test_a_question_at_hand_off_is_answered_by_the_pm_and_accepted_by_the_asker(w, as_user):
    req = advance(w, "handed_off")
    do(as_user(w.lei), req, "ask", "S-1", body="部分退款包含运费吗？")
    question = req.questions.get()
    page = as_user(w.ming).get(reverse("web:requirement", args=[req.key])).content.decode()
    assert "部分退款包含运费吗？" in page and f"thread-{question.key}" in page
    do(as_user(w.ming), req, "thread", question.key, body="不含运费", do="propose")
    question.refresh_from_db()
    assert question.state == Question.State.PROPOSED and not question.is_resolved
    page = as_user(w.lei).get(reverse("web:requirement", args=[req.key])).content.decode()
    assert f"Accept the answer to {question.key}" in page
    do(as_user(w.lei), req, "accept", question.key)
    question.refresh_from_db()
    assert question.is_resolved


def test_a_pm_editing_the_plan_is_refused_with_the_reason(w, as_user):
    req = advance(w, "planning")
    response = do(
        as_user(w.ming),
        req,
        "add_item",
        component=w.order_service.key,
        kind="api_change",
        title="PM 写的条目",
        based_on=3,
    )
    body = response.content.decode()
    assert response["X-Refused"] == "role.not_allowed"
    assert "Only a Developer of team 订单组 may edit the technical plan" in body
    assert current_revision(req).number == 3  # nothing written


def test_an_edit_based_on_an_old_revision_names_the_current_one(w, as_user):
    req = advance(w, "planning")
    response = do(
        as_user(w.fang),
        req,
        "update_item",
        "I-1",
        component=w.order_service.key,
        kind="api_change",
        title="改标题",
        based_on=2,
    )
    assert response["X-Refused"] == "plan.stale_revision"
    assert "The plan is at revision 3; your change was based on revision 2" in (
        response.content.decode()
    )
    assert 'value="改标题"' in response.content.decode()  # what was typed is kept


def test_missing_fields_are_shown_next_to_the_form(w, as_user):
    req = advance(w, "planning")
    response = do(as_user(w.lei), req, "add_item", kind="api_change", based_on=3)
    assert response.status_code == 200 and response["X-Refused"] == "input.invalid"
    assert 'class="errorlist"' in response.content.decode()


def test_approving_with_an_uncovered_scenario_is_refused(w, as_user):
    req = advance(w, "handed_off", scenarios=4)
    for scenario in req.scenarios.all():
        do(as_user(w.lei), req, "acknowledge", scenario.key)
    do(
        as_user(w.lei),
        req,
        "add_item",
        component=w.order_service.key,
        kind="api_change",
        title="只覆盖 S-1",
        scenario_keys=["S-1"],
        based_on=0,
    )
    do(as_user(w.lei), req, "submit_for_review", revision=1, confirm="1")
    seen = current_revision(req).content_hash
    response = do(as_user(w.qiang), req, "approve", revision=1, content_hash=seen)
    assert response["X-Refused"] == "plan.coverage_incomplete"
    assert "S-2, S-3, S-4" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_finalizing_lists_and_refuses_a_missing_sign_off(w, as_user):
    req = advance(w, "aligning")
    sign_all(w, req, [w.order, w.payments])
    revision = current_revision(req)
    page = as_user(w.ming).get(reverse("web:align", args=[req.key])).content.decode()
    assert f"Not signed on revision {revision.number} by: 财务组" in page
    response = do(
        as_user(w.ming),
        req,
        "finalize",
        revision=revision.number,
        content_hash=revision.content_hash,
    )
    assert response["X-Refused"] == "finalize.signoffs_missing"
    do(
        as_user(w.wei),
        req,
        "sign_off",
        team=w.finance.pk,
        revision=revision.number,
        content_hash=revision.content_hash,
        decision="approve",
    )
    response = do(
        as_user(w.ming),
        req,
        "finalize",
        revision=revision.number,
        content_hash=revision.content_hash,
    )
    assert "X-Refused" not in response
    req.refresh_from_db()
    assert req.status == Status.FINALIZED


def test_a_plain_form_post_is_redirected_after_success(w, as_user):
    req = advance(w, "draft")
    response = as_user(w.ming).post(reverse("web:do", args=[req.key, "hand_off"]))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/r/{req.key}/#scenarios")


def test_a_plain_form_post_refused_shows_the_page_with_the_reason(w, as_user):
    req = advance(w, "draft")
    response = as_user(w.lei).post(reverse("web:do", args=[req.key, "hand_off"]), follow=True)
    assert response.redirect_chain == [(f"/r/{req.key}/#scenarios", 302)]
    assert "may hand off the requirement" in response.content.decode()


def test_the_language_switch_is_remembered_on_the_user(w, client):
    client.force_login(w.ming)
    client.post(reverse("web:language"), {"language": "en", "next": "/requirements/"})
    assert User.objects.get(pk=w.ming.pk).language == "en"
    assert "Requirements" in client.get(reverse("web:requirements")).content.decode()
    client.post(reverse("web:language"), {"language": "zh-hans", "next": "https://evil.example"})
    assert User.objects.get(pk=w.ming.pk).language == "zh-hans"


def test_times_show_in_the_users_time_zone(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    User.objects.filter(pk=w.hua.pk).update(time_zone="Europe/Berlin")
    w.hua.refresh_from_db()
    page = as_user(w.hua).get(reverse("web:meeting", args=[req.key, meeting.key]))
    berlin = meeting.starts_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    shanghai = meeting.starts_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    body = page.content.decode()
    assert berlin.strftime("%Y-%m-%d %H:%M") in body or "CEST" in body
    assert shanghai.strftime("%Y-%m-%d %H:%M") not in body


def test_markdown_preview_is_sanitised(w, as_user):
    response = as_user(w.lei).post(
        reverse("web:markdown_preview"), {"description": "**粗体** <script>x</script>"}
    )
    assert "<strong>粗体</strong>" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_an_outsider_cannot_see_a_private_requirement(w, as_user):
    req = advance(w, "draft")
    req.__class__.objects.filter(pk=req.pk).update(is_private=True)
    assert as_user(w.charlie).get(reverse("web:requirement", args=[req.key])).status_code == 404


def test_minutes_recorded_by_one_invitee_reach_the_others_page(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    url = reverse("web:meeting_do", args=[req.key, meeting.key, "decision"])
    response = as_user(w.ming).post(url, {"decision-text": "重试三次后转人工"}, **HTMX)
    assert "重试三次后转人工" in response.content.decode()
    record = as_user(w.jun).get(reverse("web:minutes_record", args=[req.key, meeting.key]))
    assert 'hx-trigger="every 15s"' in record.content.decode()
    assert "重试三次后转人工" in record.content.decode()


def test_a_pm_creates_a_requirement_and_lands_on_it(w, as_user):
    response = as_user(w.ming).post(
        reverse("web:requirement_create"),
        {"title": "退款到余额", "lead_team": w.order.pk, "lead_dev": w.lei.pk},
    )
    assert response.status_code == 302
    page = as_user(w.ming).get(response["Location"]).content.decode()
    assert "退款到余额" in page and "Write the scenarios and hand off" in page


def test_a_developer_is_offered_no_requirement_form(w, as_user):
    page = as_user(w.lei).get(reverse("web:requirements")).content.decode()
    assert "requirements/new" not in page


def meeting_do(client, req, meeting, name, ref=None, **data):
    args = [req.key, meeting.key, name, *([ref] if ref else [])]
    url = reverse("web:meeting_do_on" if ref else "web:meeting_do", args=args)
    return client.post(url, data, **HTMX)


def test_the_meeting_never_drops_below_its_minimum(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    ming = as_user(w.ming)
    response = meeting_do(ming, req, meeting, "uninvite", "jun")
    assert response["X-Refused"] == "meeting.below_minimum"
    assert meeting.invitees.filter(user=w.jun).exists()
    meeting_do(ming, req, meeting, "invite", user=w.fang.pk)
    assert meeting.invitees.filter(user=w.fang, is_required=False).exists()
    meeting_do(ming, req, meeting, "make_presenter", "fang")
    meeting.refresh_from_db()
    assert meeting.presenter == w.fang
    response = meeting_do(ming, req, meeting, "make_presenter", "hua")
    assert response["X-Refused"] == "meeting.presenter_not_dev"


def test_action_items_are_recorded_and_completed_by_their_owner(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    meeting_do(
        as_user(w.ming),
        req,
        meeting,
        "action_item",
        **{"action-text": "补充退款幂等说明", "action-owner": w.jun.pk, "action-due_on": due},
    )
    item = meeting.action_items.get()
    response = meeting_do(as_user(w.jun), req, meeting, "complete_action_item", str(item.pk))
    assert "X-Refused" not in response
    item.refresh_from_db()
    assert item.done_at is not None


def test_a_change_request_reopens_the_plan_and_can_be_withdrawn(w, as_user):
    req = advance(w, "finalized")
    response = do(
        as_user(w.jun),
        req,
        "open_change",
        title="退款接口增加回调重试",
        reason="提测时发现渠道回调丢失",
        phase_found="testing",
        affected_teams=[w.payments.pk],
        root_cause="technical_discovery",
    )
    assert "X-Refused" not in response
    change = req.change_requests.get()
    assert change.cost_weight == 15
    req.refresh_from_db()
    assert req.status == Status.PLANNING
    page = as_user(w.ming).get(reverse("web:baseline", args=[req.key])).content.decode()
    assert "CR-1" in page and "退款接口增加回调重试" in page
    do(as_user(w.ming), req, "withdraw_change", "CR-1")
    req.refresh_from_db()
    assert req.status == Status.FINALIZED


def test_a_milestone_for_another_party_is_refused(w, as_user):
    req = advance(w, "finalized")
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    response = do(as_user(w.jun), req, "set_milestone", team=w.finance.pk, kind="test", due_on=due)
    assert response["X-Refused"] == "role.not_party_member"
    do(as_user(w.jun), req, "set_milestone", team=w.payments.pk, kind="test", due_on=due)
    assert req.milestones.get().team == w.payments


def test_an_item_names_its_component_by_catalog_key_and_an_unknown_key_is_refused(w, as_user):
    req = advance(w, "planning")
    fang = as_user(w.fang)
    response = do(
        fang, req, "add_item", component="no-such-service", kind="api_change", title="x", based_on=3
    )
    assert response["X-Refused"] == "input.invalid"
    assert "No component no-such-service in the catalog." in response.content.decode()
    assert current_revision(req).number == 3

    do(fang, req, "add_item", component=w.ledger.key, kind="api_change", title="记账", based_on=3)
    assert current_revision(req).items.get(title="记账").component == w.ledger


def test_the_component_field_suggests_catalog_entries_as_one_types(w, as_user):
    req = advance(w, "planning")
    fang = as_user(w.fang)
    plan_page = fang.get(reverse("web:plan", args=[req.key])).content.decode()
    # The lead team's components are suggested before anything is typed.
    assert f'<option value="{w.order_service.key}">' in plan_page
    options = fang.get(reverse("web:component_options"), {"component": "ledg"}).content.decode()
    assert f'<option value="{w.ledger.key}">' in options
    assert w.order_service.key not in options


def test_component_suggestions_need_a_signed_in_user(client):
    assert "/login" in client.get(reverse("web:component_options"))["Location"]
