"""`techalign lint`: run the process-health rules; exit 1 when an error-level finding exists.

Exit codes: 0 no error finding (warnings allowed), 1 at least one error finding, 2 bad arguments.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from techalign.core.errors import Refused
from techalign.health import formats
from techalign.health.docs import rules_markdown
from techalign.health.selectors import evaluate, has_errors, scope_of

BAD_ARGUMENTS = 2


def iso_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Command(BaseCommand):
    help = "Check requirements against the process-health rules (exit 1 on error findings)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", help="team code: requirements it leads or is a party to")
        parser.add_argument("--department", help="department code: requirements of its teams")
        parser.add_argument("--format", choices=["text", "json", "sarif"], default="text")
        parser.add_argument(
            "--since",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="only findings that happened on or after this date (CI on a living org)",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the messages",
        )
        parser.add_argument(
            "--base-url",
            default=os.environ.get("TECHALIGN_BASE_URL", "http://127.0.0.1:8000"),
            help="where techalign is served, for the rule links in SARIF",
        )
        parser.add_argument(
            "--rules-markdown",
            action="store_true",
            help="print the rule reference (docs/health-rules.md) instead of checking",
        )

    def handle(self, *args, **options) -> None:
        if options["rules_markdown"]:
            self.stdout.write(rules_markdown(), ending="")
            return
        try:
            scope = scope_of(team=options["team"], department=options["department"])
        except Refused as refused:
            raise CommandError(refused.message, returncode=BAD_ARGUMENTS) from refused
        with translation.override(options["language"]):
            requirements = scope.requirements()
            findings = evaluate(requirements, team_ids=scope.team_ids)
            since = options["since"]
            if since is not None:
                findings = [f for f in findings if timezone.localtime(f.at).date() >= since]
            checked = requirements.count()
            if options["format"] == "json":
                output = formats.as_json(findings, checked=checked, scope=scope.slug)
            elif options["format"] == "sarif":
                output = formats.as_sarif(findings, base_url=options["base_url"])
            else:
                output = formats.as_text(findings, checked=checked)
        self.stdout.write(output, ending="")
        self.stdout.flush()
        if has_errors(findings):
            sys.exit(1)
