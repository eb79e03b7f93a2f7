"""Comment threads on the requirement and plan pages: htmx forms, replies, refusals in place."""

from django.urls import reverse

from techalign.comments.models import Comment
from techalign.notify.models import Notification
from tests.factories import advance


def _do(client, req, name, data, ref=None):
    args = [req.key, name, ref] if ref else [req.key, name]
    url = reverse("web:do_on" if ref else "web:do", args=args)
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_a_scenario_thread_with_a_mention_and_a_reply_on_the_requirement_page(
    w, as_user, django_capture_on_commit_callbacks
):
    req = advance(w, "planning")
    ming = as_user(w.ming, "zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        response = _do(ming, req, "comment", {"on": "S-2", "body": "@jun 退款接口支持吗？"})
    assert response.status_code == 200 and response["HX-Retarget"] == "#comments"
    assert "退款接口支持吗" in response.content.decode()
    assert Notification.objects.filter(recipient=w.jun, event="comment.mentioned").exists()
    first = Comment.objects.get()
    assert first.scenario.number == 2
    response = _do(as_user(w.jun), req, "reply", {"body": "支持"}, ref=str(first.pk))
    assert response.status_code == 200
    page = ming.get(reverse("web:requirement", args=[req.key])).content.decode()
    assert f'id="comment-{first.pk}"' in page and "支持" in page and "评论" in page


def test_an_item_thread_lives_on_the_plan_page(w, as_user):
    req = advance(w, "planning")
    lei = as_user(w.lei)
    response = _do(lei, req, "comment_item", {"on": "I-3", "body": "总账字段要加"})
    assert response["HX-Retarget"] == "#item_comments"
    plan = lei.get(reverse("web:plan", args=[req.key])).content.decode()
    assert "总账字段要加" in plan
    overview = lei.get(reverse("web:requirement", args=[req.key])).content.decode()
    assert "总账字段要加" not in overview


def test_a_refused_comment_keeps_what_was_typed_beside_the_form(w, as_user):
    req = advance(w, "planning")
    response = _do(as_user(w.ming, "zh-hans"), req, "comment", {"on": req.key, "body": "@ghost 看"})
    page = response.content.decode()
    assert response["X-Refused"] == "comment.unknown_mention"
    assert "没有名为 @ghost 的用户" in page and "@ghost 看</textarea>" in page
    assert not Comment.objects.exists()


def test_a_plain_post_redirects_back_to_the_page_with_saved(w, as_user):
    req = advance(w, "draft")
    client = as_user(w.ming)
    response = client.post(
        reverse("web:do", args=[req.key, "comment"]), {"on": req.key, "body": "先对齐"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/r/{req.key}/#comments")
    assert "Saved." in client.get(response["Location"]).content.decode()
