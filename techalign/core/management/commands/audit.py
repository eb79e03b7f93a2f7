"""`techalign audit verify|anchor`: check that no audit event was changed, removed or reordered,
and write the chain's head outside the database so a cut-off end is caught too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from techalign.audit.anchors import (
    AnchorProblem,
    check_anchor,
    default_anchor_file,
    latest_anchor,
    write_anchor,
)
from techalign.audit.models import AuditEvent
from techalign.audit.services import GENESIS, chain_partitions, verify_chain


def why_broken(event: AuditEvent) -> str:
    """Which link of its partition's chain fails at `event`."""
    previous = (
        AuditEvent.objects.filter(partition=event.partition, seq__lt=event.seq)
        .order_by("-seq")
        .values_list("hash", flat=True)
        .first()
    )
    if event.prev_hash != (previous or GENESIS):
        return "its prev_hash is not the hash of the event before it (one was removed or changed)"
    return (
        "its content does not match its hash (the event was changed after it was written, "
        "or re-hashed without the audit key)"
    )


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or anchor its head outside the database."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        verify = actions.add_parser(
            "verify", help="Walk the chain and check the latest anchor; exit 1 if either fails."
        )
        verify.add_argument("--anchor", type=Path, help="anchor file (default: the configured)")
        anchor = actions.add_parser(
            "anchor", help="Append every partition's head (seq, hash) and the count to the file."
        )
        anchor.add_argument("--to", type=Path, help="anchor file (default: the configured)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "anchor":
            path = options["to"] or default_anchor_file()
            try:
                written = write_anchor(path)
            except OSError as error:
                raise CommandError(
                    f"cannot append the anchor to {path}: {error.strerror}", returncode=1
                ) from error
            self.stdout.write(
                f"audit anchor written to {path}: seq {written.seq}, {written.count} events, "
                f"head {written.head[:16]}…"
            )
            return
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"audit chain broken at seq {broken.seq} ({broken.action}), "
                f"partition {broken.partition}: "
                f"{why_broken(broken)}; {checked} events before it are intact",
                returncode=1,
            )
        path = options["anchor"] or default_anchor_file()
        try:
            anchor = latest_anchor(path)
            if anchor is not None:
                check_anchor(anchor)
        except AnchorProblem as problem:
            raise CommandError(str(problem), returncode=1) from problem
        self.stdout.write(f"audit chain OK: {checked} events")
        stored = chain_partitions()
        if stored != settings.TECHALIGN_AUDIT_PARTITIONS:
            self.stderr.write(
                f"TECHALIGN_AUDIT_PARTITIONS={settings.TECHALIGN_AUDIT_PARTITIONS} is ignored: "
                f"the log was laid out in {stored} partitions when it was installed"
            )
        if anchor is None:
            self.stderr.write(f"no anchor yet in {path}: run `techalign audit anchor`")
        else:
            self.stdout.write(
                f"latest anchor ({anchor.written_at}: seq {anchor.seq}, {anchor.count} events) "
                "is in the log"
            )
