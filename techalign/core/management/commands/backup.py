"""`techalign backup FILE`: a consistent copy of the whole database, also while it is in use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from techalign.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database to FILE: an SQLite database file, or a "
        "pg_dump custom-format archive on PostgreSQL. Safe while the server is running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Where to write the backup.")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            outcome = backup(file)
        except BackupError as error:
            raise CommandError(str(error), returncode=1) from error
        self.stdout.write(
            f"backup written: {outcome.path} ({outcome.vendor}, {outcome.size} bytes)"
        )
