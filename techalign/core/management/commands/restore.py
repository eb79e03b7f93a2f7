"""`techalign restore FILE`: replace the database's content with a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from techalign.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `techalign backup`. Stop the server first. Refuses a database "
        "that already holds data unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already holds data (everything in it is lost).",
        )

    def handle(self, *args: Any, file: Path, force: bool, **options: Any) -> None:
        try:
            outcome = restore(file, force=force)
        except BackupError as error:
            raise CommandError(str(error), returncode=1) from error
        self.stdout.write(
            f"restored {outcome.path} ({outcome.vendor}); run `techalign migrate` if the backup "
            "is from an older version, then `techalign audit verify`"
        )
