"""Question threads and action items on the pages: each button shows only to who may press it
(derived from the same checks the services raise), the inbox lists what waits for me, and the
meeting minutes record action items for a plan item and decisions that settle questions."""

import datetime as dt

from django.urls import reverse

from techalign.meetings.models import ActionItem
from techalign.requirements import services as requirements
from techalign.requirements.models import Question
from tests.factories import advance

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(client, req) -> str:
    return client.get(reverse("web:requirement", args=[req.key])).content.decode()


def meeting_do(client, req, name, ref=None, **data):
    args = [req.key, "M-1", name, *([ref] if ref else [])]
    url = reverse("web:meeting_do_on" if ref else "web:meeting_do", args=args)
    return client.post(url, data, **HTMX)


def proposed_question(w, req):
    question = requirements.raise_question(
        requirement=req, actor=w.jun, body="退款失败怎么补偿？", item_key="I-2", is_blocking=True
    )
    requirements.propose_answered(question=question, actor=w.lei, body="自动重试三次")
    return question


def test_only_the_askers_side_sees_the_accept_button(w, as_user):
    req = advance(w, "aligning")
    proposed_question(w, req)
    accept = "Accept the answer to Q-1"

    assert accept in page(as_user(w.jun), req)
    assert accept in page(as_user(w.hua), req)
    for outsider in (w.lei, w.ming, w.wei):
        html = page(as_user(outsider), req)
        assert accept not in html, outsider
    assert 'value="propose"' in page(as_user(w.lei), req)
    assert 'value="propose"' not in page(as_user(w.jun), req), "the asker does not propose"
    assert 'value="reject"' in page(as_user(w.jun), req)


def test_a_refused_accept_names_the_asker_inline(w, as_user):
    req = advance(w, "aligning")
    question = proposed_question(w, req)

    response = as_user(w.ming).post(
        reverse("web:do_on", args=[req.key, "accept", question.key]), {}, **HTMX
    )

    assert response["X-Refused"] == "question.not_asker_side"
    assert "Only jun, who asked Q-1" in response.content.decode()
    question.refresh_from_db()
    assert question.state == Question.State.PROPOSED


def test_the_inbox_lists_answers_to_accept_and_my_action_items(w, as_user):
    req = advance(w, "aligning")
    proposed_question(w, req)
    due = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    meeting_do(
        as_user(w.ming),
        req,
        "action_item",
        **{
            "action-text": "补充重试策略",
            "action-owner": w.jun.pk,
            "action-due_on": due,
            "action-serves": "I-2",
        },
    )
    item = ActionItem.objects.get()
    assert (item.owner, item.item_key) == (w.jun, "I-2")

    inbox = as_user(w.jun).get(reverse("web:inbox")).content.decode()

    assert 'id="inbox-accept"' in inbox and "退款失败怎么补偿？" in inbox
    assert 'id="inbox-actions"' in inbox and "补充重试策略" in inbox
    plan = as_user(w.lei).get(reverse("web:plan", args=[req.key])).content.decode()
    assert "补充重试策略" in plan and "Q-1" in plan


def test_a_decision_recorded_in_the_minutes_settles_the_questions_it_cites(w, as_user):
    req = advance(w, "aligning")
    question = proposed_question(w, req)

    response = meeting_do(
        as_user(w.ming),
        req,
        "decision",
        **{"decision-text": "失败三次转人工", "decision-closes": ["Q-1"]},
    )

    assert response.status_code == 200
    question.refresh_from_db()
    assert question.is_resolved and question.answer == "失败三次转人工"
    minutes = response.content.decode()
    assert "Settles" in minutes and "Q-1" in minutes
