"""`techalign import_org FILE.csv [--dry-run]`: departments, teams, users and roles from CSV.

Columns: department, team (required); department_name, team_name, committee, username,
display_name, email, roles (PM;DEV;TECH_LEAD;ARCHITECT;ADMIN), language, time_zone. Exit 1
(nothing written) when any row is bad, each problem with its line; exit 2 (nothing written)
with one line naming the limit when the file passes one of docs/limits.md (size, rows,
encoding).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from techalign.core import limits
from techalign.core.errors import Refused
from techalign.org.catalog import Changes, ImportProblems, apply_changes, csv_text, org_csv_changes


def report(out: OutputWrapper, changes: Changes, *, dry_run: bool) -> None:
    """Notes, then one line per change with where it comes from, then the counts."""
    for note in changes.notes:
        out.write(f"note: {note}\n")
    for change in changes.changes:
        out.write(f"{change}    [{change.source}]\n")
    prefix = "dry run, nothing written: " if dry_run else ""
    summary = changes.summary()
    if not dry_run:
        summary = summary.replace("to create", "created").replace("to update", "updated")
    out.write(f"{prefix}{summary}\n")


class Command(BaseCommand):
    help = "Import departments, teams, users and their roles from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, or GB18030 as Excel writes it)")
        parser.add_argument("--dry-run", action="store_true", help="print what would change")

    def handle(self, *args: Any, file: str, dry_run: bool, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file", returncode=2)
        try:
            text = csv_text(limits.read_file(path, "org_csv_bytes"), file=file)
            changes = org_csv_changes(file, text)
        except ImportProblems as problems:
            raise CommandError(f"nothing imported:\n{problems}") from problems
        except Refused as refused:
            raise CommandError(refused.message, returncode=2) from refused
        if not dry_run:
            apply_changes(actor=None, changes=changes, source="csv")
        report(self.stdout, changes, dry_run=dry_run)
