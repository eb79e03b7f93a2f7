"""Concurrent appenders on PostgreSQL, each thread on its own connection: writers on different
partitions do not wait for each other, writers on one partition take turns, and whatever the
interleaving the log verifies with every seq unique."""

from __future__ import annotations

import threading

from django.db import connections, transaction

from techalign.audit.models import AuditEvent, ChainLayout
from techalign.audit.services import chain_partitions, record, verify_chain
from techalign.requirements import services as requirements
from tests.integrity.conftest import postgresql_only

pytestmark = postgresql_only


def own_connection(work):
    """Run `work` in a thread on a connection of its own; errors are collected, not lost."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_appenders_on_shared_and_separate_partitions_leave_a_chain_that_verifies(tw):
    ChainLayout.objects.update_or_create(pk=1, defaults={"partitions": 3})
    drafts = [
        requirements.create_requirement(actor=tw.ming, lead_team=tw.order, title=f"需求 {n}")
        for n in range(4)
    ]
    partitions = [draft.pk % chain_partitions() for draft in drafts]
    # Four requirements in three partitions: some share one, and not all do.
    assert 2 <= len(set(partitions)) < 4

    def add_scenarios(draft, thread: int):
        def work() -> None:
            for n in range(10):
                requirements.add_scenario(
                    requirement=draft, actor=tw.ming, title=f"线程 {thread} 场景 {n}"
                )

        return work

    started = [own_connection(add_scenarios(d, t)) for t in range(2) for d in drafts]
    for thread, _ in started:
        thread.join(timeout=120)

    assert [error for _, errors in started for error in errors] == []
    assert verify_chain() == (4 + 80, None)
    seqs = list(AuditEvent.objects.values_list("seq", flat=True))
    assert len(seqs) == len(set(seqs)) == 84
    for draft, partition in zip(drafts, partitions, strict=True):
        assert set(
            AuditEvent.objects.filter(requirement=draft).values_list("partition", flat=True)
        ) == {partition}


def test_a_writer_waits_only_for_writers_of_its_own_partition(tw):
    ChainLayout.objects.update_or_create(pk=1, defaults={"partitions": 32_767})
    held, other = (
        requirements.create_requirement(actor=tw.ming, lead_team=tw.order, title=title)
        for title in ("部分退款", "分期付款")
    )
    holding, release = threading.Event(), threading.Event()

    def hold_the_partition() -> None:
        with transaction.atomic():
            record(actor=tw.ming, target=held, action="requirement.touched")
            holding.set()
            release.wait(timeout=60)

    def append_to(requirement):
        def work() -> None:
            with transaction.atomic():
                record(actor=tw.ming, target=requirement, action="requirement.touched")

        return work

    holder, holder_errors = own_connection(hold_the_partition)
    try:
        assert holding.wait(timeout=30)
        elsewhere, elsewhere_errors = own_connection(append_to(other))
        elsewhere.join(timeout=30)
        same, same_errors = own_connection(append_to(held))
        same.join(timeout=2)

        assert not elsewhere.is_alive() and elsewhere_errors == []
        assert same.is_alive()  # waiting for the holder's commit
    finally:
        release.set()
        holder.join(timeout=30)
    same.join(timeout=30)

    assert holder_errors == same_errors == []
    assert verify_chain() == (5, None)
    touched = AuditEvent.objects.filter(requirement=held, action="requirement.touched")
    first, second = touched.order_by("seq")
    assert second.prev_hash == first.hash


def test_transactions_appending_about_two_requirements_in_opposite_orders_both_commit(tw):
    """A transaction's later events join the partition it already holds, so two transactions
    never each hold one partition while waiting for the other's."""
    ChainLayout.objects.update_or_create(pk=1, defaults={"partitions": 32_767})
    first, second = (
        requirements.create_requirement(actor=tw.ming, lead_team=tw.order, title=title)
        for title in ("部分退款", "分期付款")
    )
    both_hold_one = threading.Barrier(2, timeout=30)

    def append_about(one, other):
        def work() -> None:
            with transaction.atomic():
                record(actor=tw.ming, target=one, action="requirement.touched")
                both_hold_one.wait()
                record(actor=tw.ming, target=other, action="requirement.touched")

        return work

    started = [
        own_connection(append_about(first, second)),
        own_connection(append_about(second, first)),
    ]
    for thread, _ in started:
        thread.join(timeout=60)

    assert [error for _, errors in started for error in errors] == []
    assert verify_chain() == (6, None)
    touched = AuditEvent.objects.filter(action="requirement.touched")
    assert touched.count() == 4
    # Each transaction's two events are in the partition of the requirement it began with.
    assert set(touched.values_list("partition", flat=True)) == {first.pk, second.pk}
