"""`techalign question`: a question's whole thread from the command line, with the pages'
gates — the other side proposes, only the asker's side accepts, rejects or reopens."""

import io

import pytest
from django.core.management import CommandError, call_command

from techalign.audit.models import AuditEvent
from techalign.requirements.models import Question
from tests.factories import advance


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("question", *args, stdout=out)
    return out.getvalue().strip()


def test_a_thread_from_asking_to_reopening(w):
    req = advance(w, "planning")
    asked = run(
        "ask", req.key, "--body", "退款要走原路吗？", "--item", "I-2", "--blocking", "--as", "jun"
    )
    assert asked == f"{req.key}/Q-1: open"
    assert run("reply", req.key, "Q-1", "--body", "我们再看看", "--as", "lei").endswith(": open")
    assert run("answer", req.key, "Q-1", "--body", "走原路", "--as", "lei").endswith(": proposed")
    assert run("reject", req.key, "Q-1", "--body", "部分退款呢？", "--as", "jun").endswith(": open")
    run("answer", req.key, "Q-1", "--body", "部分退款也走原路", "--as", "lei")
    assert run("accept", req.key, "Q-1", "--as", "jun").endswith(": accepted")
    assert run("list", req.key, "--open") == ""
    assert run("reopen", req.key, "Q-1", "--body", "财务有异议", "--as", "hua").endswith(": open")
    listed = run("list", req.key)
    assert listed == "Q-1\topen\tblocking\tI-2\tjun\t退款要走原路吗？"
    actions = list(
        AuditEvent.objects.filter(target_type="requirements.question").values_list(
            "action", flat=True
        )
    )
    assert actions[0] == "question.raised" and actions[-1] == "question.reopened"


def test_only_the_askers_side_accepts_and_the_refusal_says_why(w):
    req = advance(w, "planning")
    run("ask", req.key, "--body", "对账周期？", "--as", "jun")
    run("answer", req.key, "Q-1", "--body", "T+1", "--as", "lei")
    with pytest.raises(CommandError) as refused:
        run("accept", req.key, "Q-1", "--as", "lei", "--language", "en")
    assert refused.value.returncode == 1
    assert "jun" in str(refused.value)
    assert Question.objects.get(requirement=req).state == Question.State.PROPOSED


def test_an_outsider_cannot_ask_and_an_unknown_question_is_named(w):
    req = advance(w, "planning")
    with pytest.raises(CommandError) as refused:
        run("ask", req.key, "--body", "?", "--as", "charlie", "--language", "en")
    assert "raise a question" in str(refused.value)
    with pytest.raises(CommandError) as missing:
        run("accept", req.key, "Q-9", "--as", "jun", "--language", "en")
    assert "Q-9" in str(missing.value)
    assert not req.questions.exists()
