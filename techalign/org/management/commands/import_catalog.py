"""`techalign import_catalog PATH… [--dry-run]`: Backstage catalog files into the org.

PATH is a catalog file, or a directory searched for catalog-info.yaml files. Exit 1 (nothing
written) when any file is bad, each problem with its file and line; exit 2 (nothing written)
with one line naming the file and the limit when a file passes a limit of docs/limits.md (its
size, UTF-8, YAML nesting, documents or aliases).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from techalign.core import limits
from techalign.core.errors import Refused
from techalign.org.catalog import ImportProblems, apply_changes, backstage_changes, catalog_text
from techalign.org.management.commands.import_org import report


def catalog_files(paths: list[str]) -> list[tuple[str, str]]:
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found += sorted(p for p in path.rglob("catalog-info*.y*ml") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{given}: no such file or directory", returncode=2)
    limits.check_count("catalog_files", len(found))
    return [
        (str(p), catalog_text(limits.read_file(p, "catalog_file_bytes"), file=str(p)))
        for p in found
    ]


class Command(BaseCommand):
    help = "Import departments, teams, systems, components and APIs from Backstage catalog files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="catalog files or directories")
        parser.add_argument("--dry-run", action="store_true", help="print what would change")

    def handle(self, *args: Any, paths: list[str], dry_run: bool, **options: Any) -> None:
        try:
            files = catalog_files(paths)
            if not files:
                raise CommandError("no catalog-info.yaml files found", returncode=2)
            changes = backstage_changes(files)
        except ImportProblems as problems:
            raise CommandError(f"nothing imported:\n{problems}") from problems
        except Refused as refused:
            raise CommandError(refused.message, returncode=2) from refused
        if not dry_run:
            apply_changes(actor=None, changes=changes, source="backstage")
        report(self.stdout, changes, dry_run=dry_run)
