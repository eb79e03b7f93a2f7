"""The second reader of an unchanged requirement, plan or milestone list gets the answer the
first reader's request built, after their own access check; any change gives a new answer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from techalign.core.answers import KeptAnswers, kept_answers
from techalign.org.models import Role
from techalign.org.services import revoke_role
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from tests.factories import advance

PATHS = {
    "requirement": "/requirements/{key}",
    "plan": "/requirements/{key}/plan",
    "milestones": "/requirements/{key}/milestones",
}


def _read(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return response, len(queries)


def _built_afresh(client, path):
    kept_answers.clear()
    return client.get(path).content


@pytest.mark.parametrize("name", PATHS)
def test_a_second_reader_gets_the_same_answer_for_the_cost_of_the_access_check(w, as_, name):
    req = advance(w, "finalized")
    path = PATHS[name].format(key=req.key)
    # Both clients first: issuing a token is an organisation event, which moves every tag.
    ming, jun = as_("ming"), as_("jun")
    first, built = _read(ming, path)
    second, kept = _read(jun, path)
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == first["Content-Type"]
    # Who is asking, the requirement as they may see it, its marks: the body costs nothing.
    assert kept <= 4 < built


@pytest.mark.parametrize("name", PATHS)
def test_a_change_gives_the_next_reader_the_new_answer(w, as_, name):
    # Milestones are planned against a baseline; questions are raised before it.
    req = advance(w, "finalized" if name == "milestones" else "aligning")
    path = PATHS[name].format(key=req.key)
    ming, jun = as_("ming"), as_("jun")
    before, _ = _read(ming, path)
    if name == "milestones":
        plans.set_milestone(
            requirement=req,
            actor=w.jun,
            team=w.payments,
            kind="test",
            due_on=dt.date.today() + dt.timedelta(days=9),
        )
    else:
        requirements.raise_question(requirement=req, actor=w.jun, body="退款要走原路吗？")
    after, _ = _read(jun, path)
    assert after["ETag"] != before["ETag"]
    assert after.content == _built_afresh(jun, path)


def test_who_acts_next_follows_a_role_taken_away_in_the_organisation(w, as_, ada):
    req = advance(w, "aligning")
    path = f"/requirements/{req.key}"
    ming = as_("ming")
    before, _ = _read(ming, path)
    revoke_role(actor=ada, user=w.jun, team=w.payments, role=Role.DEV)
    after, _ = _read(ming, path)
    assert after["ETag"] != before["ETag"]
    assert after.content != before.content
    assert after.content == _built_afresh(ming, path)


def test_a_kept_answer_is_never_given_to_someone_who_may_not_read_it(w, as_):
    req = requirements.create_requirement(
        actor=w.ming, lead_team=w.order, title="保密需求", is_private=True, lead_dev=w.lei
    )
    path = f"/requirements/{req.key}"
    ming, charlie = as_("ming"), as_("charlie")
    assert ming.get(path).status_code == 200
    assert len(kept_answers) == 1
    refused = charlie.get(path)
    assert refused.status_code == 404
    assert b"\xe4\xbf\x9d\xe5\xaf\x86" not in refused.content  # the title, 保密


def test_each_language_has_its_own_answer(w, as_):
    req = advance(w, "handed_off")
    path = f"/requirements/{req.key}"
    ming, lei, fang = as_("ming", "en"), as_("lei", "zh-hans"), as_("fang", "en")
    english, _ = _read(ming, path)
    chinese, _ = _read(lei, path)
    assert english["ETag"] == chinese["ETag"]
    assert english.json()["next_actions"][0]["message"].startswith("Acknowledge")
    assert (
        chinese.json()["next_actions"][0]["message"] != english.json()["next_actions"][0]["message"]
    )
    again, _ = _read(fang, path)
    assert again.content == english.content


def test_the_kept_answers_stay_within_their_byte_budget():
    kept = KeptAnswers(budget=1600)  # the largest kept answer is 100 bytes
    kept.put("huge", b"x" * 101)
    assert kept.get("huge") is None
    for n in range(20):
        kept.put(n, b"y" * 100)
    assert kept.size <= 1600 and len(kept) == 16
    assert kept.get(0) is None and kept.get(19) is not None  # the oldest went first
    kept.get(4)  # read again: now the most recent
    kept.put("new", b"z" * 100)
    assert kept.get(4) is not None and kept.get(5) is None


def test_a_budget_of_nothing_keeps_nothing():
    kept = KeptAnswers(budget=0)
    kept.put("a", b"")
    kept.put("b", b"1")
    assert len(kept) == 0
