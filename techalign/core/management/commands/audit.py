"""`techalign audit verify`: check that no audit event was changed, removed or reordered."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from techalign.audit.models import AuditEvent
from techalign.audit.services import GENESIS, verify_chain


def why_broken(event: AuditEvent) -> str:
    """Which link of the chain fails at `event`."""
    previous = (
        AuditEvent.objects.filter(seq__lt=event.seq)
        .order_by("-seq")
        .values_list("hash", flat=True)
        .first()
    )
    if event.prev_hash != (previous or GENESIS):
        return "its prev_hash is not the hash of the event before it (one was removed or changed)"
    return "its content does not match its hash (the event was changed after it was written)"


class Command(BaseCommand):
    help = "Verify the audit log's hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("verify", help="Walk the chain; exit 1 at the first broken link.")

    def handle(self, *args, action: str, **options) -> None:
        checked, broken = verify_chain()
        if broken is None:
            self.stdout.write(f"audit chain OK: {checked} events")
            return
        raise CommandError(
            f"audit chain broken at seq {broken.seq} ({broken.action}): {why_broken(broken)}; "
            f"{checked} events before it are intact",
            returncode=1,
        )
