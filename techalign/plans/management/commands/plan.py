"""`techalign plan export REQ [-o FILE]` and `techalign plan import FILE --as USER`.

Plans as Markdown files (docs/plan-markdown.md). An import is a plan edit by the named user,
with every gate of a plan edit; it is refused when the plan changed since the export.
Exit status 2 with one line when the file itself is refused (its size, encoding, content or a
limit of docs/limits.md: HTTP 413 or 422 in the API), 1 when the plan edit is (role, step,
revision); nothing is written either way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from techalign.core import limits
from techalign.core.errors import Refused
from techalign.org.selectors import get_user
from techalign.plans.markdown import export_plan, import_plan, read_plan_file
from techalign.requirements.selectors import get_requirement


class Command(BaseCommand):
    help = "Export a technical plan as Markdown, or import an edited file as a new revision."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="write the current revision as Markdown")
        export.add_argument("requirement", help="REQ-12 or 12")
        export.add_argument("-o", "--output", help="file to write (default: standard output)")
        imported = actions.add_parser("import", help="apply an edited file as a new revision")
        imported.add_argument("file", help="the Markdown file, or - for standard input")
        imported.add_argument(
            "--as",
            dest="username",
            required=True,
            help="the DEV making the edit (recorded as its author)",
        )
        for sub in (export, imported):
            sub.add_argument("--language", default=None, help="language of the messages")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        with translation.override(options["language"] or translation.get_language()):
            try:
                if action == "export":
                    self._export(options["requirement"], options["output"])
                else:
                    self._import(options["file"], options["username"])
            except Refused as refused:
                about_the_file = refused.status in (413, 422)
                raise CommandError(
                    refused.message, returncode=2 if about_the_file else 1
                ) from refused

    def _export(self, key: str, output: str | None) -> None:
        text = export_plan(get_requirement(None, key))
        if output:
            Path(output).write_text(text, encoding="utf-8", newline="")
        else:
            self.stdout.write(text, ending="")

    def _import(self, file: str, username: str) -> None:
        # The file first, before the database is asked anything: a file that cannot be a plan
        # is refused the same whoever runs the command. Read as bytes, so line endings stay as
        # written: they may be part of an item's text.
        if file == "-":
            data = sys.stdin.buffer.read(limits.PLAN_FILE_BYTES + 1)
        elif Path(file).is_file():
            data = limits.read_file(Path(file), "plan_file_bytes")
        else:
            raise CommandError(f"{file}: no such file", returncode=2)
        text = read_plan_file(data, file=file)
        user = get_user(username)
        result = import_plan(actor=user, text=text, file=file)
        self.stdout.write(result.summary)
