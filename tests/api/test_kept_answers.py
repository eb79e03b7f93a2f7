"""The second reader of an unchanged requirement, plan or milestone list gets the answer the
first reader's request built, after their own access check; any change gives a new answer."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sqlite3
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from techalign.core.answers import KeptAnswers, NodeAnswers, kept_answers
from techalign.core.management.commands.serve import node_answers_file
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


# --- the node's workers share what one built --------------------------------------------------


@pytest.fixture
def node_file(tmp_path):
    return tmp_path / "answers.sqlite3"


def test_what_one_worker_built_serves_a_reader_on_another(node_file):
    one = KeptAnswers(budget=1 << 20, node=NodeAnswers(node_file, budget=1 << 20))
    other = KeptAnswers(budget=1 << 20, node=NodeAnswers(node_file, budget=1 << 20))
    key = ("plan", 7, '"r3-1.2.3"', "zh-hans", "Asia/Shanghai")
    assert other.get(key) is None
    one.put(key, "计划".encode())
    assert other.get(key) == "计划".encode()
    # Another language, zone or tag is another answer.
    assert other.get(("plan", 7, '"r3-1.2.3"', "en", "Asia/Shanghai")) is None
    assert other.get(("plan", 7, '"r4-1.2.3"', "zh-hans", "Asia/Shanghai")) is None


def _read_in_a_forked_worker(kept, key, found):
    with kept._lock:  # what the master kept in memory is not what is tested here
        kept._entries.clear()
    found.put((kept.get(key), kept.node._connection is not None and kept.node._pid))


def test_a_forked_worker_opens_its_own_connection_and_reads_the_node_file(node_file):
    """gunicorn forks its workers from the master: a connection opened before the fork must
    not be used after it."""
    kept = KeptAnswers(budget=1 << 20, node=NodeAnswers(node_file, budget=1 << 20))
    kept.put(("requirement", 1, '"v1"', "en", "UTC"), b"built before the fork")
    fork = multiprocessing.get_context("fork")
    found = fork.Queue()
    child = fork.Process(
        target=_read_in_a_forked_worker,
        args=(kept, ("requirement", 1, '"v1"', "en", "UTC"), found),
    )
    child.start()
    child.join(30)
    assert child.exitcode == 0
    content, connected_in = found.get(timeout=5)
    assert content == b"built before the fork"
    assert connected_in == child.pid


def test_the_node_file_keeps_the_newest_answers_within_its_budget(node_file, monkeypatch):
    monkeypatch.setattr(NodeAnswers, "PRUNE_EVERY", 5)
    node = NodeAnswers(node_file, budget=1000)
    for n in range(40):
        node.put(f"answer {n}", b"x" * 100)
    kept = [n for n in range(40) if node.get(f"answer {n}") is not None]
    assert 9 <= len(kept) <= 14, kept  # pruned to nine tenths, then grown by up to 4 puts
    assert kept == list(range(40 - len(kept), 40))  # the oldest went first


def test_a_damaged_node_file_only_costs_the_sharing(node_file, caplog):
    node_file.write_bytes(b"this is not a database" * 100)
    kept = KeptAnswers(budget=1 << 20, node=NodeAnswers(node_file, budget=1 << 20))
    kept.put(("plan", 1, '"r1"', "en", "UTC"), b"body")
    assert kept.get(("plan", 1, '"r1"', "en", "UTC")) == b"body"  # the worker's own still work
    assert kept.get(("plan", 2, '"r1"', "en", "UTC")) is None
    assert "cannot be used" in caplog.text


def test_a_node_file_held_by_another_writer_is_a_put_not_made(node_file):
    node = NodeAnswers(node_file, budget=1 << 20)
    node.put("first", b"1")
    holder = sqlite3.connect(node_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        node.put("second", b"2")  # waits a moment, then gives up without raising
        assert time.monotonic() - started < 2
        assert node.get("first") == b"1"  # readers are not held up by a writer
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert node.get("second") is None


def test_a_reader_on_another_worker_gets_the_same_bytes_for_the_cost_of_the_access_check(
    w, as_, node_file, monkeypatch
):
    monkeypatch.setattr(kept_answers, "node", NodeAnswers(node_file, budget=1 << 20))
    req = advance(w, "finalized")
    path = f"/requirements/{req.key}/plan"
    ming, jun = as_("ming"), as_("jun")
    first, built = _read(ming, path)
    with kept_answers._lock:  # the next reader lands on a worker that has kept nothing
        kept_answers._entries.clear()
        kept_answers.size = 0
    second, kept = _read(jun, path)
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert kept <= 4 < built


def test_the_server_gives_its_workers_a_new_node_file_at_each_start(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    ended = tmp_path / "answers" / "serve-999999999"
    ended.mkdir(parents=True)
    (ended / "answers.sqlite3").write_bytes(b"an earlier server's answers")
    path = node_answers_file()
    assert path.parent == tmp_path / "answers" / f"serve-{os.getpid()}"
    assert not path.exists()
    assert not ended.exists()  # nobody reads an ended server's answers again
