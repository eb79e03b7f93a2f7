"""Who hears of a question's thread: the asker hears of replies and of a proposed answer; whoever
proposed it hears whether the asker's side accepted it or not."""

from django.utils import translation

from techalign.notify.models import Notification
from techalign.requirements import services as requirements
from tests.factories import advance


def inbox(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("event", flat=True)
    )


def test_the_asker_hears_of_replies_and_proposals_and_the_proposer_of_the_outcome(
    w, django_capture_on_commit_callbacks
):
    req = advance(w, "aligning")
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        question = requirements.raise_question(
            requirement=req, actor=w.jun, body="退款失败怎么补偿？", item_key="I-2"
        )
        requirements.reply_to_question(question=question, actor=w.fang, body="在查")
        requirements.propose_answered(question=question, actor=w.lei, body="自动重试")
        requirements.reject_answer(question=question, actor=w.jun, reason="重试之后呢？")
        requirements.propose_answered(question=question, actor=w.lei, body="三次后转人工")
        requirements.accept_answer(question=question, actor=w.hua)

    assert inbox(w.jun) == [
        "question.replied",
        "question.answered",
        "question.answered",
        "question.accepted",  # hua accepted on jun's behalf
    ]
    assert inbox(w.lei)[-2:] == ["question.rejected", "question.accepted"]
    rejected = Notification.objects.get(recipient=w.lei, event="question.rejected")
    with translation.override("en"):
        assert rejected.shown_title == f"jun did not accept the answer to Q-1 on I-2 of {req.key}"
        assert rejected.shown_body == "重试之后呢？"
    assert "question.accepted" not in inbox(w.hua)
    assert "question.replied" not in inbox(w.fang)
