"""The audit log is split into partitions (issue 16), and `techalign audit verify` still catches
every way of rewriting it: an event edited, one removed from the middle, the newest ones cut off,
a whole partition emptied, an event moved to another partition.

Each requirement's events chain in its partition (requirement id modulo the stored number of
partitions; events about no requirement in partition 0); anchors record every partition's head.
The tampering goes around the application with raw SQL, as an insider with database access would.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from techalign.audit.anchors import Anchor
from techalign.audit.models import AuditEvent, ChainLayout
from techalign.audit.services import (
    GENESIS,
    audit_keys,
    chain_partitions,
    event_hash,
    verify_chain,
)
from techalign.org.services import issue_token
from techalign.requirements import services as requirements
from tests.integrity.tampering import tamper

TABLE = AuditEvent._meta.db_table


@pytest.fixture(autouse=True)
def anchor_dir(settings, tmp_path):
    settings.TECHALIGN_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    return settings.TECHALIGN_AUDIT_ANCHOR_DIR


def verify_fails() -> str:
    with pytest.raises(CommandError) as broken:
        call_command("audit", "verify")
    assert broken.value.returncode == 1
    return str(broken.value)


def requirement_with_scenarios(w, title: str, scenarios: int):
    """A draft requirement of the order team and its scenarios: 1 + `scenarios` events."""
    requirement = requirements.create_requirement(actor=w.ming, lead_team=w.order, title=title)
    for n in range(1, scenarios + 1):
        requirements.add_scenario(requirement=requirement, actor=w.ming, title=f"场景 {n}")
    return requirement


def chain_of(requirement) -> list[AuditEvent]:
    partition = requirement.pk % chain_partitions()
    return list(AuditEvent.objects.filter(partition=partition).order_by("seq"))


@pytest.fixture
def one_requirement_per_partition(w):
    """As many partitions as a small integer holds: in a test, each requirement (ids are the
    database's to give) gets a partition of its own, never 0."""
    ChainLayout.objects.update_or_create(pk=1, defaults={"partitions": 32_767})


@pytest.fixture
def log(w, one_requirement_per_partition):
    """A token (partition 0), then two requirements of three events each in partitions of
    their own, written in turns so the partitions' events interleave in seq order."""
    issue_token(actor=w.ming, user=w.ming, name="one")
    first = requirements.create_requirement(actor=w.ming, lead_team=w.order, title="部分退款")
    second = requirements.create_requirement(actor=w.ming, lead_team=w.order, title="分期付款")
    for n in (1, 2):
        for requirement in (first, second):
            requirements.add_scenario(requirement=requirement, actor=w.ming, title=f"场景 {n}")
    assert AuditEvent.objects.count() == 7
    return first, second


def test_each_requirements_events_chain_in_its_own_partition(log):
    first, second = log

    for requirement in (first, second):
        chain = chain_of(requirement)
        assert [e.requirement_id for e in chain] == [requirement.pk] * 3
        assert chain[0].prev_hash == GENESIS
        assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    token = AuditEvent.objects.get(action="token.issued")
    assert (token.partition, token.prev_hash) == (0, GENESIS)
    assert verify_chain() == (7, None)


def test_an_edited_event_in_a_partition_is_named_as_the_broken_link(log):
    first, _ = log
    edited = chain_of(first)[1]
    tamper((f"UPDATE {TABLE} SET summary = %s WHERE seq = %s", ['{"title": "forged"}', edited.seq]))

    message = verify_fails()

    assert f"broken at seq {edited.seq} (scenario.added), partition {edited.partition}" in message
    assert "does not match its hash" in message


def test_a_removed_middle_event_of_a_partition_breaks_the_link_after_it(log):
    _, second = log
    chain = chain_of(second)
    tamper((f"DELETE FROM {TABLE} WHERE seq = %s", [chain[1].seq]))

    message = verify_fails()

    assert f"broken at seq {chain[2].seq} (scenario.added)" in message
    assert "prev_hash is not the hash of the event before it" in message


def test_an_event_moved_to_another_partition_breaks_the_chain(log):
    first, second = log
    moved = chain_of(first)[-1]
    tamper(
        (
            f"UPDATE {TABLE} SET partition = %s WHERE seq = %s",
            [second.pk % chain_partitions(), moved.seq],
        )
    )

    assert f"broken at seq {moved.seq}" in verify_fails()


def test_cutting_the_newest_events_off_one_partition_is_caught_by_the_anchor(w, log, capsys):
    first, second = log
    call_command("audit", "anchor")
    tail = chain_of(first)[-1]
    # The other partition carries on after the cut, so the log's newest event is untouched.
    requirements.add_scenario(requirement=second, actor=w.ming, title="场景 3")
    tamper((f"DELETE FROM {TABLE} WHERE seq = %s", [tail.seq]))
    assert verify_chain() == (7, None)  # what is left still links up

    message = verify_fails()

    assert "audit log truncated" in message
    assert f"partition {tail.partition} has no event seq {tail.seq}" in message
    assert "(it ends at seq" in message and "with 2 events)" in message


def test_emptying_a_whole_partition_is_caught_by_the_anchor(log):
    first, _ = log
    call_command("audit", "anchor")
    tamper((f"DELETE FROM {TABLE} WHERE partition = %s", [first.pk % chain_partitions()]))
    assert verify_chain()[1] is None

    assert "audit log truncated" in verify_fails()


def test_a_partitions_head_re_chained_with_the_key_is_caught_by_the_anchor(log):
    first, _ = log
    call_command("audit", "anchor")
    head = chain_of(first)[-1]
    head.summary = {"title": "forged"}
    head.hash = event_hash(head, audit_keys()[0])
    tamper(
        (
            f"UPDATE {TABLE} SET summary = %s, hash = %s WHERE seq = %s",
            [json.dumps(head.summary), head.hash, head.seq],
        )
    )
    assert verify_chain()[1] is None

    message = verify_fails()

    assert "audit log rewritten" in message
    assert f"partition {head.partition} with head" in message


def test_the_anchor_records_every_partitions_head(log, anchor_dir, capsys):
    first, second = log
    call_command("audit", "anchor")

    line = json.loads((anchor_dir / "anchors.jsonl").read_text())

    expected = {
        str(chain[-1].partition): [chain[-1].seq, chain[-1].hash]
        for chain in (chain_of(first), chain_of(second))
    }
    token = AuditEvent.objects.get(action="token.issued")
    expected["0"] = [token.seq, token.hash]
    assert line["heads"] == expected
    assert line["count"] == 7
    assert line["seq"] == AuditEvent.objects.order_by("-seq").first().seq
    call_command("audit", "verify")
    assert "audit chain OK: 7 events" in capsys.readouterr().out


def test_an_anchor_line_written_before_partitions_is_still_checked(w, anchor_dir):
    for name in ("one", "two", "three"):
        issue_token(actor=w.ming, user=w.ming, name=name)
    last = AuditEvent.objects.order_by("-seq").first()
    old = Anchor(seq=last.seq, head=last.hash, count=3, written_at="2026-11-30T08:00:00+00:00")
    anchor_dir.mkdir(parents=True)
    line = {"seq": old.seq, "head": old.head, "count": 3, "written_at": old.written_at}
    (anchor_dir / "anchors.jsonl").write_text(
        json.dumps({**line, "mac": old.signed(audit_keys()[0])}) + "\n"
    )
    call_command("audit", "verify")

    tamper((f"DELETE FROM {TABLE} WHERE seq = %s", [last.seq]))

    assert f"partition 0 has no event seq {last.seq}" in verify_fails()


def test_the_number_of_partitions_is_the_stored_one_not_the_current_setting(w, settings):
    stored = chain_partitions()
    settings.TECHALIGN_AUDIT_PARTITIONS = stored + 3

    requirement = requirement_with_scenarios(w, "部分退款", 1)

    assert ChainLayout.objects.get().partitions == stored
    partitions = set(AuditEvent.objects.filter(requirement=requirement).values_list("partition"))
    assert partitions == {(requirement.pk % stored,)}


def test_verify_says_when_the_setting_differs_from_the_stored_layout(w, settings, capsys):
    settings.TECHALIGN_AUDIT_PARTITIONS = chain_partitions() + 1

    call_command("audit", "verify")

    err = capsys.readouterr().err
    assert f"TECHALIGN_AUDIT_PARTITIONS={chain_partitions() + 1} is ignored" in err
    assert f"laid out in {chain_partitions()} partitions" in err
