"""Anchors: the audit chain's head written outside the database, so a cut-off end shows.

A chain verifies from its first event to whatever its last one is; deleting the newest events
leaves a shorter chain that still verifies. An anchor line records the seq, the head hash and the
count at one moment, in an append-only file of a folder outside the database
(TECHALIGN_AUDIT_ANCHOR_DIR); `techalign audit verify` checks the latest one is still there.
Each line carries an HMAC with the audit key, so it cannot be forged from the database alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
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

    def signed(self, key: bytes) -> str:
        return hmac.new(key, self._message(), hashlib.sha256).hexdigest()

    def _message(self) -> bytes:
        return f"{self.seq}:{self.head}:{self.count}:{self.written_at}".encode()


def default_anchor_file() -> Path:
    return Path(settings.TECHALIGN_AUDIT_ANCHOR_DIR) / ANCHOR_FILE


def write_anchor(to: Path | None = None) -> Anchor:
    """Append the chain's current head to the anchor file (created with its folder if need be)."""
    with transaction.atomic():
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        count = AuditEvent.objects.count()
    seq, head = last if last else (0, GENESIS)
    anchor = Anchor(seq=seq, head=head, count=count, written_at=timezone.now().isoformat())
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
    """Raise AnchorProblem when the log lost events or its head since the anchor was written."""
    head = AuditEvent.objects.filter(seq=anchor.seq).values_list("hash", flat=True).first()
    kept = AuditEvent.objects.filter(seq__lte=anchor.seq).count()
    recorded = (
        f"the anchor written at {anchor.written_at} records {anchor.count} events "
        f"up to seq {anchor.seq}"
    )
    if anchor.seq and head is None:
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
        raise AnchorProblem(
            f"audit log truncated: {recorded}, but the log has no event seq {anchor.seq} "
            f"(it ends at seq {last or 0} with {AuditEvent.objects.count()} events)"
        )
    if kept < anchor.count:
        raise AnchorProblem(f"audit log truncated: {recorded}, but only {kept} of them are left")
    if anchor.seq and head is not None and head != anchor.head:
        raise AnchorProblem(
            f"audit log rewritten: {recorded} with head {anchor.head[:16]}…, but event seq "
            f"{anchor.seq} now has hash {head[:16]}…"
        )
