"""Anchors: the audit chains' heads written outside the database, so a cut-off end shows.

A chain verifies from its first event to whatever its last one is; deleting the newest events
leaves a shorter chain that still verifies. An anchor line records, at one moment, the head (seq
and hash) of every partition's chain and the count of events, in an append-only file of a folder
outside the database (TECHALIGN_AUDIT_ANCHOR_DIR); `techalign audit verify` checks every head of
the latest one is still there, so cutting the end off any one partition shows. `seq`, `head` are
the newest event of the whole log, as in lines written before partitions (which recorded only
those: they are read as partition 0's head, which the whole log then was). Each line carries an
HMAC with the audit key, so it cannot be forged from the database alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.audit.services import GENESIS, audit_keys

ANCHOR_FILE = "anchors.jsonl"


@dataclass(frozen=True)
class Anchor:
    seq: int
    head: str
    count: int
    written_at: str
    # Partition -> [seq, hash] of its newest event; empty in lines written before partitions.
    heads: dict[str, list[int | str]] = field(default_factory=dict)

    def signed(self, key: bytes) -> str:
        return hmac.new(key, self._message(), hashlib.sha256).hexdigest()

    def _message(self) -> bytes:
        message = f"{self.seq}:{self.head}:{self.count}:{self.written_at}"
        if self.heads:
            message += ":" + json.dumps(self.heads, sort_keys=True, separators=(",", ":"))
        return message.encode()

    def partition_heads(self) -> dict[int, tuple[int, str]]:
        """Each anchored partition's (seq, hash); an old line's head is partition 0's."""
        if not self.heads:
            return {0: (self.seq, self.head)} if self.seq else {}
        return {int(p): (int(seq), str(head)) for p, (seq, head) in self.heads.items()}


def default_anchor_file() -> Path:
    return Path(settings.TECHALIGN_AUDIT_ANCHOR_DIR) / ANCHOR_FILE


def write_anchor(to: Path | None = None) -> Anchor:
    """Append every chain's current head to the anchor file (created with its folder if need
    be). Heads and counts come from one statement, so they agree even while events are added."""
    tails = list(
        AuditEvent.objects.order_by()
        .values("partition")
        .annotate(last=Max("seq"), events=Count("pk"))
        .values_list("partition", "last", "events")
    )
    # Events never change once written: their hashes can be read in a second statement.
    hashes = dict(
        AuditEvent.objects.filter(seq__in=[last for _, last, _ in tails]).values_list("seq", "hash")
    )
    heads = {str(p): [last, hashes[last]] for p, last, _ in sorted(tails)}
    seq = max((last for _, last, _ in tails), default=0)
    anchor = Anchor(
        seq=seq,
        head=hashes.get(seq, GENESIS),
        count=sum(events for _, _, events in tails),
        written_at=timezone.now().isoformat(),
        heads=heads,
    )
    path = to or default_anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({**asdict(anchor), "mac": anchor.signed(audit_keys()[0])}) + "\n"
    # O_APPEND: lines from several writers never interleave or overwrite each other.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line.encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return anchor


class AnchorProblem(Exception):
    """The log no longer holds what the latest anchor recorded, or the anchor is not genuine."""


def latest_anchor(path: Path) -> Anchor | None:
    """The last line of the anchor file, checked against the audit keys; None without a file."""
    if not path.exists():
        return None
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        return None
    try:
        fields = json.loads(lines[-1])
        mac = fields.pop("mac")
        anchor = Anchor(**fields)
    except (ValueError, TypeError, KeyError) as error:
        raise AnchorProblem(f"the latest anchor in {path} is unreadable ({error})") from error
    if not any(hmac.compare_digest(anchor.signed(key), str(mac)) for key in audit_keys()):
        raise AnchorProblem(
            f"the latest anchor in {path} is not signed with the audit key "
            "(written with another key, or forged)"
        )
    return anchor


def check_anchor(anchor: Anchor) -> None:
    """Raise AnchorProblem when any partition lost events or its head since the anchor was
    written."""
    recorded = (
        f"the anchor written at {anchor.written_at} records {anchor.count} events "
        f"up to seq {anchor.seq}"
    )
    heads = sorted(anchor.partition_heads().items())
    now: dict[int, str | None] = {}
    kept = 0
    for partition, (seq, _) in heads:
        chain = AuditEvent.objects.filter(partition=partition)
        now[partition] = head = chain.filter(seq=seq).values_list("hash", flat=True).first()
        if head is None:
            last = chain.order_by("-seq").values_list("seq", flat=True).first()
            raise AnchorProblem(
                f"audit log truncated: {recorded}, but partition {partition} has no event "
                f"seq {seq} (it ends at seq {last or 0} with {chain.count()} events)"
            )
        kept += chain.filter(seq__lte=seq).count()
    if kept < anchor.count:
        raise AnchorProblem(f"audit log truncated: {recorded}, but only {kept} of them are left")
    for partition, (seq, anchored) in heads:
        if now[partition] != anchored:
            raise AnchorProblem(
                f"audit log rewritten: {recorded}, partition {partition} with head "
                f"{anchored[:16]}…, but event seq {seq} now has hash {str(now[partition])[:16]}…"
            )
