"""Questions answered before threads existed keep their meaning: the data migration turns each
resolved question's answer into its accepted first reply, by whoever resolved it, and gives
every question the side it was raised for."""

import importlib

from django.apps import apps
from django.utils import timezone

from techalign.requirements.models import Question, QuestionReply
from techalign.requirements.services import raise_question
from tests.factories import advance

migration = importlib.import_module(
    "techalign.requirements.migrations.0004_question_threads_from_answers"
)


def as_stored_before_threads(question: Question, **answered) -> None:
    """The row as the old answer_question left it: no thread, no state, no asker's side."""
    Question.objects.filter(pk=question.pk).update(
        state=Question.State.OPEN, raised_for_team=None, answer_reply=None, **answered
    )


def test_an_old_answer_becomes_the_accepted_first_reply(w):
    req = advance(w, "aligning")
    answered = raise_question(requirement=req, actor=w.jun, body="补偿？", is_blocking=True)
    still_open = raise_question(requirement=req, actor=w.fang, body="灰度？")
    resolved_at = timezone.now()
    as_stored_before_threads(
        answered, answer="自动重试三次", resolved_by=w.lei, resolved_at=resolved_at
    )
    as_stored_before_threads(still_open)

    migration.forwards(apps, None)

    answered.refresh_from_db()
    reply = answered.replies.get()
    assert (reply.author, reply.body, reply.kind) == (
        w.lei,
        "自动重试三次",
        QuestionReply.Kind.PROPOSAL,
    )
    assert reply.created_at == resolved_at
    assert answered.state == Question.State.ACCEPTED and answered.answer_reply == reply
    assert answered.is_resolved and answered.resolved_by == w.lei
    assert answered.raised_for_team == w.payments
    still_open.refresh_from_db()
    assert still_open.state == Question.State.OPEN and not still_open.replies.exists()
    assert still_open.raised_for_team == w.order
