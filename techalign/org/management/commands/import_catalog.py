"""`techalign import_catalog PATH… [--dry-run]`: Backstage catalog files into the org.

PATH is a catalog file, or a directory searched for catalog-info.yaml files. Exit 1 (nothing
written) when any file is bad, each problem with its file and line.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from techalign.org.catalog import ImportProblems, apply_changes, backstage_changes, decode
from techalign.org.management.commands.import_org import report


def catalog_files(paths: list[str]) -> list[tuple[str, str]]:
    files = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("catalog-info*.y*ml") if p.is_file())
            files += [(str(p), decode(p.read_bytes())) for p in found]
        elif path.is_file():
            files.append((str(path), decode(path.read_bytes())))
        else:
            raise CommandError(f"{given}: no such file or directory", returncode=2)
    return files


class Command(BaseCommand):
    help = "Import departments, teams, systems, components and APIs from Backstage catalog files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="catalog files or directories")
        parser.add_argument("--dry-run", action="store_true", help="print what would change")

    def handle(self, *args, paths: list[str], dry_run: bool, **options) -> None:
        files = catalog_files(paths)
        if not files:
            raise CommandError("no catalog-info.yaml files found", returncode=2)
        try:
            changes = backstage_changes(files)
        except ImportProblems as problems:
            raise CommandError(f"nothing imported:\n{problems}") from problems
        if not dry_run:
            apply_changes(actor=None, changes=changes, source="backstage")
        report(self.stdout, changes, dry_run=dry_run)
