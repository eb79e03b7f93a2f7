"""Writing the audit log, and the `transition` decorator every state-changing service wears.

A transition runs in one transaction with its audit event. When it is refused, the transaction
rolls back and the refusal itself is recorded in a transaction of its own, so the log shows who
tried what and which condition stopped them.

Each event's hash is an HMAC-SHA256 of its content and the previous event's hash, keyed with a
key kept outside the database (TECHALIGN_AUDIT_KEY, else derived from SECRET_KEY): whoever can
write the database but not read that key cannot rewrite an event and re-chain the ones after it.
Cutting the end off the log is caught against an anchor kept outside the database
(`techalign audit anchor`, see `techalign.audit.anchors`).

The log is several chains, not one (issue 16): an event belongs to the partition of its
requirement (requirement id modulo the number of partitions, stored once in `ChainLayout`;
events about no requirement go to partition 0), and each partition links its events through
`prev_hash` on its own, under its own lock. Writes about different requirements no longer wait
for each other; `seq` still orders the whole log (taken after the partition's lock, so within a
partition it follows commit order; across partitions it may have gaps). The single chain
written before partitions existed is partition 0's beginning, unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from techalign.audit.models import AuditEvent, ChainLayout
from techalign.core.errors import Refused
from techalign.core.prepared import first, prepared

GENESIS = "0" * 64
_CHAIN_LOCK_KEY = 7_437_001

# The audit action of the transition running now: `record` defaults to it.
_running_action: ContextVar[str | None] = ContextVar("audit_action", default=None)
# Inside `batch()`, transitions join the batch's transaction instead of each being its own.
_in_batch: ContextVar[bool] = ContextVar("audit_batch", default=False)

P = ParamSpec("P")
R = TypeVar("R")


def canonical_event(event: AuditEvent) -> bytes:
    """The bytes hashed for one event: stable key order, times as epoch microseconds.

    The partition is hashed too, so an event cannot be moved to another chain unnoticed; in
    partition 0 it is left out, so events written before partitions keep their hashes."""
    occurred = event.occurred_at
    micros = int(occurred.timestamp()) * 1_000_000 + occurred.microsecond
    body = {
        "seq": event.seq,
        "occurred_at": micros,
        "actor": event.actor_id,
        "action": event.action,
        "outcome": event.outcome,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "requirement": event.requirement_id,
        "summary": event.summary,
        "prev": event.prev_hash,
    }
    # Historical models of the migrations before partitions have no such field.
    partition = getattr(event, "partition", 0)
    if partition:
        body["partition"] = partition
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _derived_key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"techalign audit chain"
    ).derive(secret.encode())


def audit_keys() -> list[bytes]:
    """The chain's keys: the first signs new events, every one verifies (for rotation).

    TECHALIGN_AUDIT_KEY when set; otherwise keys derived from SECRET_KEY and from each of
    SECRET_KEY_FALLBACKS, so rotating SECRET_KEY with the old one kept as a fallback keeps the
    chain verifiable.
    """
    explicit = list(getattr(settings, "TECHALIGN_AUDIT_KEY", None) or [])
    if explicit:
        return [key.encode() for key in explicit]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_derived_key(secret) for secret in secrets if secret]


def event_hash(event: AuditEvent, key: bytes) -> str:
    """The keyed hash of one event, chained through its `prev_hash`."""
    return hmac.new(key, canonical_event(event), hashlib.sha256).hexdigest()


def is_sealed_by_any(event: AuditEvent, keys: list[bytes]) -> bool:
    return any(hmac.compare_digest(event_hash(event, key), event.hash) for key in keys)


def requirement_id_of(target: Any) -> int | None:
    """The requirement a domain object belongs to, without extra queries where possible."""
    from techalign.requirements.models import Requirement

    if isinstance(target, Requirement):
        return target.pk
    for attr in ("requirement_id",):
        requirement_id: int | None = getattr(target, attr, None)
        if requirement_id:
            return requirement_id
    for parent in ("requirement", "plan", "revision", "meeting"):
        obj = getattr(target, parent, None)
        if obj is not None and obj is not target:
            return requirement_id_of(obj)
    return None


def record(
    *,
    actor: Any,
    target: models.Model,
    action: str | None = None,
    summary: dict[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.DONE,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction of the change it records.

    `action` defaults to the one the running `@transition` names; pass it only for a second,
    different event of the same transition."""
    action = action or _running_action.get()
    if action is None:
        raise TypeError("record() outside a @transition needs an action")
    requirement_id = requirement_id_of(target)
    running = _running_transaction()
    partition = getattr(running, "audit_partition", None)
    if partition is None:
        partition = partition_of(requirement_id)
        if running is not None:
            running.audit_partition = partition  # type: ignore[attr-defined]
    seq, prev_hash = _next_link(partition)
    event = AuditEvent(
        id=seq if connection.vendor == "postgresql" else None,
        seq=seq,
        partition=partition,
        occurred_at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        outcome=outcome,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        requirement_id=requirement_id,
        summary=_jsonable(summary or {}),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event, audit_keys()[0])
    event.save(force_insert=True)
    return event


def chain_partitions() -> int:
    """How many partitions the log is split into: fixed when the first event is written (or
    by the migration that introduced them), whatever the setting says later."""
    layout, _ = ChainLayout.objects.get_or_create(
        pk=1, defaults={"partitions": settings.TECHALIGN_AUDIT_PARTITIONS}
    )
    return layout.partitions


def partition_of(requirement_id: int | None) -> int:
    """The chain an event joins: its requirement's partition, or 0 without a requirement."""
    return requirement_id % chain_partitions() if requirement_id else 0


def _running_transaction() -> transaction.Atomic | None:
    """The atomic block that is the running transaction, whose events share one partition.

    A transaction's later events join the partition of its first, whatever their requirement:
    it then holds one partition's lock, never two, so two transactions can never wait for each
    other in a circle (one appending about A then B, the other about B then A). Blocks a test
    case wraps around the test are not the application's transactions."""
    for block in connection.atomic_blocks:
        if not getattr(block, "_from_testcase", False):
            return block
    return None


def _next_link(partition: int) -> tuple[int, str]:
    """(seq, prev_hash) of the event appended now to `partition`, holding its lock until commit.

    On PostgreSQL, appenders to the same partition wait for each other on an advisory lock of
    their own; seq is then taken from the table's id sequence, so it is unique, and larger than
    every seq the partition already holds (the previous holder took its own before committing).
    SQLite has one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CHAIN_LOCK_KEY, partition])
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [AuditEvent._meta.db_table]
            )
            seq = cursor.fetchone()[0]
        return seq, first(_last_hash(partition)) or GENESIS
    return (first(_last_seq()) or 0) + 1, first(_last_hash(partition)) or GENESIS


# Every audited write appends: SQL compiled once (core.prepared).
@prepared
def _last_seq() -> models.QuerySet[AuditEvent, int]:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[:1]


@prepared
def _last_hash(partition: int) -> models.QuerySet[AuditEvent, str]:
    return (
        AuditEvent.objects.filter(partition=partition)
        .order_by("-seq")
        .values_list("hash", flat=True)[:1]
    )


def committed_through() -> int:
    """The largest seq below which no event can still appear: every event up to it is
    committed. On PostgreSQL an appender takes its seq under its partition's lock and holds the
    lock until commit, so a partition's events commit in seq order but two partitions' may not
    (seq 100 can commit after 101). Holding every partition's lock for the instant of the read
    waits out those in flight: what a reader of "events past seq N" (stored findings) must use
    as its next N. SQLite has one writer at a time."""
    newest = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)
    if connection.vendor != "postgresql":
        return newest.first() or 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, p) FROM generate_series(0, %s - 1) AS p ORDER BY p",
            [_CHAIN_LOCK_KEY, chain_partitions()],
        )
        return newest.first() or 0


def _target_of(kwargs: dict[str, Any]) -> models.Model | None:
    """The object a refused attempt was about. Keyword order is the caller's, so prefer an
    object inside a requirement over, say, the team someone tried to sign for."""
    candidates = [v for v in kwargs.values() if isinstance(v, models.Model) and not _is_user(v)]
    for value in candidates:
        if value.pk is not None and requirement_id_of(value) is not None:
            return value
    return candidates[0] if candidates else None


def _is_user(obj: Any) -> bool:
    from django.contrib.auth import get_user_model

    return isinstance(obj, get_user_model())


@contextmanager
def batch() -> Iterator[None]:
    """Run several transitions as one transaction, all or nothing (loading the demo, its
    history): inside, they nest in it instead of committing one by one."""
    outermost = not _in_batch.get()
    entered = _in_batch.set(True)
    try:
        with transaction.atomic(durable=outermost):
            yield
    finally:
        _in_batch.reset(entered)


def transition(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a service atomically; on refusal, roll back and record the refused attempt.

    Durable outside a `batch`: a transition is never silently part of a caller's transaction,
    so when it returns its change and its audit event are committed (and the notifications
    it emitted on commit are on their way), and a refused attempt's record cannot be rolled
    back by someone else's failure."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            running = _running_action.set(action)
            try:
                with transaction.atomic(durable=not _in_batch.get()):
                    return service(*args, **kwargs)
            except Refused as refusal:
                target = _target_of(kwargs)
                if target is not None and target.pk is not None:
                    with transaction.atomic():
                        record(
                            actor=kwargs.get("actor"),
                            action=action,
                            target=target,
                            outcome=AuditEvent.Outcome.REFUSED,
                            summary={"code": refusal.code, "details": _jsonable(refusal.details)},
                        )
                raise
            finally:
                _running_action.reset(running)

        run.action = action  # type: ignore[attr-defined]
        return run

    return decorate


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    jsonable: dict[str, Any] = json.loads(json.dumps(details, default=str, ensure_ascii=False))
    return jsonable


def verify_chain() -> tuple[int, AuditEvent | None]:
    """Walk every partition's chain in seq order; return (events checked, first broken event
    or None). Each partition starts from GENESIS and links only its own events."""
    keys = audit_keys()
    partition, prev = None, GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("partition", "seq").iterator(chunk_size=2000):
        if event.partition != partition:
            partition, prev = event.partition, GENESIS
        if event.prev_hash != prev or not is_sealed_by_any(event, keys):
            return checked, event
        prev = event.hash
        checked += 1
    return checked, None
