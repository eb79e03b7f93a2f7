"""The requirement list and a requirement's questions through the API: who sees which line,
each filter, the pages and their count, and SQL compiled once for later pages."""

import pytest

from techalign.requirements import services
from techalign.requirements.models import Requirement
from tests.factories import advance


@pytest.fixture
def listed(w):
    """Four order-team requirements: public draft and planning ones, a private draft (only its
    side sees it) and a private one at planning, whose plan makes payments and finance parties."""
    public_draft = advance(w, "draft")
    public_planned = advance(w, "planning")
    private_draft = advance(w, "draft")
    private_planned = advance(w, "planning")
    Requirement.objects.filter(pk__in=[private_draft.pk, private_planned.pk]).update(
        is_private=True
    )
    return public_draft, public_planned, private_draft, private_planned


def keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return [line["key"] for line in body["items"]]


def test_each_reader_sees_the_lines_the_visibility_rule_allows(listed, as_):
    public_draft, public_planned, private_draft, private_planned = (r.key for r in listed)
    everything = [private_planned, private_draft, public_planned, public_draft]
    assert keys(as_("ming").get("/requirements")) == everything  # the lead team, newest first
    assert keys(as_("hua").get("/requirements")) == [private_planned, public_planned, public_draft]
    assert keys(as_("charlie").get("/requirements")) == [public_planned, public_draft]


def test_each_filter_narrows_the_list(listed, as_, w):
    public_draft, public_planned, private_draft, private_planned = (r.key for r in listed)
    ming, hua = as_("ming"), as_("hua")
    assert keys(ming.get("/requirements", status="planning")) == [private_planned, public_planned]
    assert keys(hua.get("/requirements", status="draft")) == [public_draft]
    assert keys(ming.get("/requirements", team="payments")) == []
    assert len(keys(hua.get("/requirements", team="order"))) == 3
    assert len(keys(ming.get("/requirements", mine=True))) == 4  # the owning PM
    assert len(keys(as_("lei").get("/requirements", mine=True))) == 4  # the lead DEV
    assert keys(hua.get("/requirements", mine=True)) == []
    assert keys(ming.get("/requirements", risk="high")) == []
    services.mark_high_risk(requirement=listed[2], actor=w.ming, risk="money", reason="钱")
    assert keys(ming.get("/requirements", risk="high")) == [private_draft]
    assert keys(ming.get("/requirements", risk="money")) == [private_draft]
    assert keys(ming.get("/requirements", risk="security")) == []
    assert len(keys(ming.get("/requirements", risk="no-such-risk"))) == 4  # no filter, as before
    assert keys(ming.get("/requirements", status="draft", mine=True, risk="high")) == [
        private_draft
    ]
    # A hostile value is compared, never run.
    assert keys(ming.get("/requirements", team="order' OR '1'='1")) == []


def test_pages_and_their_count_and_later_pages_compile_no_sql(listed, as_, compiles):
    ming = as_("ming")
    first = ming.get("/requirements", limit=3, offset=0).json()
    assert first["count"] == 4 and len(first["items"]) == 3
    compiles.clear()
    rest = ming.get("/requirements", limit=3, offset=3).json()
    assert rest["count"] == 4 and [r["key"] for r in rest["items"]] == [listed[0].key]
    far = ming.get("/requirements", limit=3, offset=2**31 - 1).json()
    assert far == {"items": [], "count": 4}
    assert Requirement not in compiles
    assert ming.get("/requirements", offset=2**31).status_code == 422


def test_the_count_reads_the_requirements_alone(listed, as_):
    """The lines' lead team, owner and lead DEV are joins a count would keep: at S=10 they
    made the count 500 ms of the list's 530."""
    from django.db import connection

    ran = []

    def answered(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        ran.append(sql)  # what the database answered: the count's first SQL is only looked at
        return result

    with connection.execute_wrapper(answered):
        answer = as_("ming").get("/requirements", limit=2, status="draft").json()
    counts = [sql for sql in ran if "COUNT(" in sql]
    assert answer["count"] >= 1 and len(counts) == 1
    assert "JOIN" not in counts[0].split(" WHERE ")[0], counts[0]


def test_a_requirements_questions_page_by_page_and_only_the_open_ones(w, as_):
    req = advance(w, "handed_off")
    asked = [
        services.raise_question(requirement=req, actor=w.lei, body=f"问题 {n}") for n in (1, 2, 3)
    ]
    proposed = services.propose_answered(question=asked[0], actor=w.ming, body="按重试策略处理。")
    services.accept_answer(question=proposed, actor=w.lei)
    ming = as_("ming")
    every = ming.get(f"/requirements/{req.key}/questions").json()
    assert every["count"] == 3
    assert [q["key"] for q in every["items"]] == [q.key for q in asked]
    assert every["items"][0]["replies"][0]["body"] == "按重试策略处理。"
    opened = ming.get(f"/requirements/{req.key}/questions", open=True, limit=1, offset=1).json()
    assert opened["count"] == 2
    assert [q["key"] for q in opened["items"]] == [asked[2].key]
