"""`techalign health refresh`: bring the stored process-health findings up to date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from techalign.health.services import refresh_findings


class Command(BaseCommand):
    help = "Process-health upkeep: `refresh` recomputes the stored findings that are stale."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        refresh = actions.add_parser("refresh", help="recompute stale stored findings")
        refresh.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help="recompute every requirement, stale or not",
        )

    def handle(self, *args: Any, action: str, everything: bool = False, **options: Any) -> None:
        fresh = refresh_findings(everything=everything)
        self.stdout.write(
            f"findings refreshed at {fresh.refreshed_at:%Y-%m-%d %H:%M:%S}, "
            f"through audit event #{fresh.through_seq}"
        )
