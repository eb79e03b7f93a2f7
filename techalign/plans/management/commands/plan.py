"""`techalign plan export REQ [-o FILE]` and `techalign plan import FILE --as USER`; and
`techalign plan suspect REQ` / `techalign plan confirm REQ ITEM --as USER` for suspect items.

Plans as Markdown files (docs/plan-markdown.md). An import is a plan edit by the named user,
with every gate of a plan edit; it is refused when the plan changed since the export, and
when it would withdraw a review, an approval or sign-offs unless given `--confirm`.
Exit status 2 with one line when the file itself is refused (its size, encoding, content or a
limit of docs/limits.md: HTTP 413 or 422 in the API), 1 when the plan edit is (role, step,
revision); nothing is written either way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from techalign.core import limits
from techalign.core.errors import Refused
from techalign.org.selectors import get_user
from techalign.plans import selectors, services
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
        imported.add_argument(
            "--confirm",
            action="store_true",
            help="go ahead although the edit withdraws a review, an approval or sign-offs",
        )
        suspect = actions.add_parser(
            "suspect", help="list the items whose covered scenario changed (exit 1 if any)"
        )
        suspect.add_argument("requirement", help="REQ-12 or 12")
        confirm = actions.add_parser(
            "confirm", help="confirm a suspect item as it stands (no new revision)"
        )
        confirm.add_argument("requirement", help="REQ-12 or 12")
        confirm.add_argument("item", help="I-3 or 3")
        confirm.add_argument("--as", dest="username", required=True, help="the confirming DEV")
        for sub in (export, imported, suspect, confirm):
            sub.add_argument("--language", default=None, help="language of the messages")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        with translation.override(options["language"] or translation.get_language()):
            try:
                if action == "export":
                    self._export(options["requirement"], options["output"])
                elif action == "suspect":
                    self._suspect(options["requirement"])
                elif action == "confirm":
                    self._confirm(options["requirement"], options["item"], options["username"])
                else:
                    self._import(options["file"], options["username"], options["confirm"])
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

    def _import(self, file: str, username: str, confirm: bool) -> None:
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
        result = import_plan(actor=user, text=text, file=file, confirm=confirm)
        self.stdout.write(result.summary)

    def _suspect(self, key: str) -> None:
        requirement = get_requirement(None, key)
        revision = selectors.current_revision(requirement)
        marks = selectors.suspect_links(requirement, revision)
        for mark in marks:
            changed = ", ".join(mark.after)
            self.stdout.write(
                f"{requirement.key} {mark.item_key} {mark.scenario.key}: {changed} "
                f"({mark.marked_by.username}, {timezone.localtime(mark.marked_at):%Y-%m-%d})"
            )
        if marks:
            raise CommandError(
                _("%(n)d suspect mark(s) to confirm or edit.") % {"n": len(marks)}, returncode=1
            )

    def _confirm(self, key: str, item: str, username: str) -> None:
        requirement = get_requirement(None, key)
        item_key = selectors.item_key(item)
        plan = selectors.plan_of(requirement)
        number = plan.current_number if plan else 0
        services.confirm_item(
            requirement=requirement, actor=get_user(username), based_on=number, item_key=item_key
        )
        self.stdout.write(
            _("%(requirement)s %(item)s confirmed; the plan stays at revision %(revision)d.")
            % {"requirement": requirement.key, "item": item_key, "revision": number}
        )
