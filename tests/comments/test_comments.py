"""Comment threads on a requirement, a scenario and a plan item, with @mentions that notify."""

import pytest

from techalign.comments.selectors import threads_of
from techalign.comments.services import add_comment, mentioned_names
from techalign.core.errors import Refused
from techalign.notify.models import Notification
from techalign.requirements import services as requirements
from tests.factories import advance


def test_mentions_are_user_names_after_an_at_sign_not_email_addresses():
    assert mentioned_names("@lei 请看 @jun，还有 @lei 和 ming@example.com") == ["lei", "jun"]


def test_a_mention_notifies_the_person_in_their_inbox(w, django_capture_on_commit_callbacks):
    req = advance(w, "planning")
    scenario = req.scenarios.get(number=2)
    with django_capture_on_commit_callbacks(execute=True):
        comment = add_comment(
            requirement=req, actor=w.ming, body="@jun 退款接口能否支持部分金额？", scenario=scenario
        )
    assert list(comment.mentions.all()) == [w.jun]
    notice = Notification.objects.get(recipient=w.jun, event="comment.mentioned")
    assert "S-2" in notice.title and "退款接口能否支持部分金额" in notice.body
    assert notice.url.endswith(f"/r/{req.key}/#comment-{comment.pk}")
    assert not Notification.objects.filter(recipient=w.ming, event="comment.mentioned").exists()


def test_replies_join_their_thread_and_its_subject(w):
    req = advance(w, "planning")
    first = add_comment(requirement=req, actor=w.ming, body="I-2 的接口？", item_number=2)
    reply = add_comment(requirement=req, actor=w.jun, body="下周给", parent=first)
    again = add_comment(requirement=req, actor=w.ming, body="好", parent=reply)
    assert reply.item_number == 2 and again.parent == first
    threads = threads_of(req)
    assert [t.first for t in threads["I-2"]] == [first]
    assert threads["I-2"][0].replies == [reply, again]


def test_a_requirement_level_thread_is_listed_under_its_key(w):
    req = advance(w, "draft")
    comment = add_comment(requirement=req, actor=w.ming, body="先对齐范围")
    assert threads_of(req)[req.key][0].first == comment


def test_an_unknown_mention_is_refused_and_nothing_is_written(w):
    req = advance(w, "draft")
    with pytest.raises(Refused) as refused:
        add_comment(requirement=req, actor=w.ming, body="@nobody 看看")
    assert refused.value.code == "comment.unknown_mention"
    assert "@nobody" in refused.value.message
    assert not req.comments.exists()


def test_someone_who_cannot_see_a_private_requirement_cannot_be_mentioned(w):
    req = requirements.create_requirement(
        actor=w.ming, lead_team=w.order, title="保密", lead_dev=w.lei, is_private=True
    )
    with pytest.raises(Refused) as refused:
        add_comment(requirement=req, actor=w.ming, body="@charlie 看看")
    assert refused.value.code == "comment.mention_cannot_see"
    assert not req.comments.exists()


def test_an_outsider_cannot_comment_on_a_private_requirement(w):
    req = requirements.create_requirement(
        actor=w.ming, lead_team=w.order, title="保密", lead_dev=w.lei, is_private=True
    )
    with pytest.raises(Refused) as refused:
        add_comment(requirement=req, actor=w.charlie, body="hi")
    assert refused.value.code == "access.not_found"


def test_an_empty_comment_and_an_unknown_item_are_refused(w):
    req = advance(w, "planning")
    with pytest.raises(Refused) as refused:
        add_comment(requirement=req, actor=w.ming, body="   ")
    assert refused.value.code == "comment.empty"
    with pytest.raises(Refused) as refused:
        add_comment(requirement=req, actor=w.ming, body="x", item_number=99)
    assert refused.value.code == "access.not_found"
    assert not req.comments.exists()
