"""A question belongs to its asker: the other side replies and proposes an answer, and only the
asker (or a PM or DEV of the team they asked for) accepts it, which closes the question. A
meeting decision that cites a question closes it too."""

import pytest

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.meetings import services as meetings
from techalign.plans.models import Baseline
from techalign.requirements import services as requirements
from techalign.requirements.models import Question, QuestionReply, Status
from tests.domain.support import finalize_current, status_of
from tests.factories import advance, sign_all


def blocking_question_of_payments(w, req):
    """jun, a DEV of the payments party, asks a blocking question on the refund API's item."""
    return requirements.raise_question(
        requirement=req, actor=w.jun, body="退款失败怎么补偿？", item_key="I-2", is_blocking=True
    )


def fresh(question):
    return Question.objects.get(pk=question.pk)


def test_a_question_is_raised_for_the_askers_own_team(w):
    req = advance(w, "aligning")

    by_party = blocking_question_of_payments(w, req)
    by_lead = requirements.raise_question(requirement=req, actor=w.fang, body="要灰度吗？")

    assert by_party.raised_for_team == w.payments
    assert by_lead.raised_for_team == w.order
    assert by_party.state == Question.State.OPEN


def test_the_lead_dev_proposing_an_answer_does_not_close_a_party_devs_blocking_question(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)

    requirements.propose_answered(question=question, actor=w.lei, body="自动重试三次后人工处理")

    question = fresh(question)
    assert question.state == Question.State.PROPOSED
    assert not question.is_resolved
    assert question.answer == ""
    assert [(r.author, r.kind) for r in question.replies.all()] == [
        (w.lei, QuestionReply.Kind.PROPOSAL)
    ]


def test_the_asker_accepting_the_proposed_answer_closes_the_question(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)
    requirements.propose_answered(question=question, actor=w.lei, body="自动重试三次后人工处理")

    requirements.accept_answer(question=question, actor=w.jun)

    question = fresh(question)
    assert question.state == Question.State.ACCEPTED
    assert question.is_resolved
    assert question.answer == "自动重试三次后人工处理"
    assert question.resolved_by == w.jun
    event = AuditEvent.objects.filter(requirement=req).order_by("-seq").first()
    assert event.action == "question.answer_accepted"


def test_a_pm_of_the_askers_team_may_accept_on_their_behalf(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)
    requirements.propose_answered(question=question, actor=w.lei, body="自动重试")

    requirements.accept_answer(question=question, actor=w.hua)

    assert fresh(question).resolved_by == w.hua


@pytest.mark.parametrize("persona", ["fang", "ming", "li", "wei"])
def test_someone_outside_the_askers_side_cannot_accept_and_is_told_who_may(w, persona):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)
    requirements.propose_answered(question=question, actor=w.lei, body="自动重试")

    with pytest.raises(Refused) as refused:
        requirements.accept_answer(question=question, actor=getattr(w, persona))

    assert refused.value.code == "question.not_asker_side"
    assert refused.value.details["asker"] == "jun"
    assert refused.value.details["team"] == w.payments.name
    assert "jun" in refused.value.message
    assert fresh(question).state == Question.State.PROPOSED


def test_the_proposer_cannot_accept_their_own_answer(w):
    """At hand-off the lead PM answers a lead DEV's question: a PM of the asker's team, but the
    answer's author, so the asking DEV's side must accept it."""
    req = advance(w, "handed_off")
    question = requirements.raise_question(
        requirement=req, actor=w.lei, body="要对账吗？", scenario=req.scenarios.get(number=1)
    )
    requirements.propose_answered(question=question, actor=w.ming, body="要")

    with pytest.raises(Refused) as refused:
        requirements.accept_answer(question=question, actor=w.ming)

    assert refused.value.code == "question.own_answer"
    requirements.accept_answer(question=question, actor=w.fang)  # a DEV of the asker's team
    assert fresh(question).is_resolved


def test_the_asker_cannot_propose_an_answer_to_their_own_question(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)

    with pytest.raises(Refused) as refused:
        requirements.propose_answered(question=question, actor=w.jun, body="算了")

    assert refused.value.code == "question.asker_cannot_propose"


def test_accepting_without_any_answer_is_refused(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)

    with pytest.raises(Refused) as refused:
        requirements.accept_answer(question=question, actor=w.jun)

    assert refused.value.code == "question.no_answer"


def test_the_asker_may_accept_a_plain_reply_by_naming_it(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)
    reply = requirements.reply_to_question(question=question, actor=w.wei, body="财务侧按日对账")

    requirements.accept_answer(question=question, actor=w.jun, reply=reply)

    assert fresh(question).answer == "财务侧按日对账"


def test_finalizing_is_refused_while_a_blocking_answer_is_only_proposed(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    question = blocking_question_of_payments(w, req)
    requirements.propose_answered(question=question, actor=w.lei, body="自动重试")

    with pytest.raises(Refused) as refused:
        finalize_current(req, w.ming)

    assert refused.value.code == "finalize.blocking_questions"
    assert refused.value.details == {"questions": ["Q-1"]}
    assert not Baseline.objects.exists()
    requirements.accept_answer(question=question, actor=w.jun)
    finalize_current(req, w.ming)
    assert status_of(req) == Status.FINALIZED


def test_the_asker_rejecting_a_proposal_reopens_it_with_their_reason(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)
    requirements.propose_answered(question=question, actor=w.lei, body="自动重试")

    requirements.reject_answer(question=question, actor=w.jun, reason="重试失败之后呢？")

    question = fresh(question)
    assert question.state == Question.State.OPEN
    assert question.answer_reply is None
    assert [r.kind for r in question.replies.all()] == ["proposal", "rejection"]
    with pytest.raises(Refused) as refused:
        requirements.reject_answer(question=question, actor=w.jun, reason="again")
    assert refused.value.code == "question.nothing_proposed"


def test_the_askers_side_may_reopen_an_accepted_question_with_a_reason(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    question = blocking_question_of_payments(w, req)
    requirements.propose_answered(question=question, actor=w.lei, body="自动重试")
    requirements.accept_answer(question=question, actor=w.jun)

    with pytest.raises(Refused) as refused:
        requirements.reopen_question(question=question, actor=w.lei, reason="我想再改")
    assert refused.value.code == "question.not_asker_side"

    requirements.reopen_question(question=question, actor=w.hua, reason="补偿金额没有说明")

    question = fresh(question)
    assert question.state == Question.State.OPEN and not question.is_resolved
    assert question.answer == "" and question.resolved_by is None
    with pytest.raises(Refused) as refused:
        finalize_current(req, w.ming)
    assert refused.value.code == "finalize.blocking_questions"


def test_reopening_an_open_question_is_refused(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)

    with pytest.raises(Refused) as refused:
        requirements.reopen_question(question=question, actor=w.jun, reason="?")

    assert refused.value.code == "question.not_accepted"


def test_nobody_replies_to_a_closed_question(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)
    requirements.propose_answered(question=question, actor=w.lei, body="自动重试")
    requirements.accept_answer(question=question, actor=w.jun)

    with pytest.raises(Refused) as refused:
        requirements.reply_to_question(question=question, actor=w.lei, body="补充")

    assert refused.value.code == "question.already_resolved"
    assert fresh(question).replies.count() == 1


def test_an_outsider_cannot_reply(w):
    req = advance(w, "aligning")
    question = blocking_question_of_payments(w, req)

    with pytest.raises(Refused) as refused:
        requirements.reply_to_question(question=question, actor=w.charlie, body="路过")

    assert refused.value.code == "role.not_allowed"
    assert not fresh(question).replies.exists()


def test_a_meeting_decision_citing_a_question_closes_it(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    meeting = req.meetings.get()
    question = blocking_question_of_payments(w, req)
    other = requirements.raise_question(requirement=req, actor=w.li, body="报表要改吗？")

    decision = meetings.record_decision(
        meeting=meeting, actor=w.ming, text="失败三次转人工，补偿按原路退回", questions=[question]
    )

    question = fresh(question)
    assert question.is_resolved and question.state == Question.State.ACCEPTED
    assert question.answer == "失败三次转人工，补偿按原路退回"
    assert list(decision.closes.all()) == [question]
    assert question.replies.get().kind == QuestionReply.Kind.DECISION
    assert not fresh(other).is_resolved
    assert AuditEvent.objects.filter(requirement=req, action="question.closed_by_decision").exists()
    finalize_current(req, w.ming)
    assert status_of(req) == Status.FINALIZED


def test_a_decision_citing_a_closed_question_is_refused_whole(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    question = blocking_question_of_payments(w, req)
    meetings.record_decision(meeting=meeting, actor=w.ming, text="定了", questions=[question])

    with pytest.raises(Refused) as refused:
        meetings.record_decision(meeting=meeting, actor=w.ming, text="再定", questions=[question])

    assert refused.value.code == "question.already_resolved"
    assert meeting.decisions.count() == 1


def test_hand_off_completes_when_the_asking_dev_accepts_the_pms_answer(w):
    req = advance(w, "handed_off")
    for scenario in req.scenarios.exclude(number=1):
        requirements.acknowledge_scenario(scenario=scenario, actor=w.lei)
    question = requirements.raise_question(
        requirement=req, actor=w.lei, body="要对账吗？", scenario=req.scenarios.get(number=1)
    )
    requirements.propose_answered(question=question, actor=w.ming, body="要，T+1")
    with pytest.raises(Refused) as refused:
        requirements.acknowledge_scenario(scenario=req.scenarios.get(number=1), actor=w.lei)
    assert refused.value.code == "scenario.open_questions"
    assert status_of(req) == Status.HANDED_OFF

    requirements.accept_answer(question=question, actor=w.lei)
    requirements.acknowledge_scenario(scenario=req.scenarios.get(number=1), actor=w.lei)

    assert status_of(req) == Status.PLANNING
