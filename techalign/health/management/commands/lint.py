"""`techalign lint`: run the process-health rules; exit 1 when an error-level finding exists.

Exit codes: 0 no error finding (warnings allowed), 1 at least one error finding, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from techalign.core.errors import Refused
from techalign.health import formats
from techalign.health.docs import rules_markdown
from techalign.health.selectors import changed_since, evaluate, has_errors, scope_of

BAD_ARGUMENTS = 2
DURATION = re.compile(r"(\d+)([mhdw])")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def moment(text: str) -> dt.datetime:
    """A date (its local midnight), a local or zoned ISO time, or a duration back from now."""
    duration = DURATION.fullmatch(text.strip())
    if duration:
        amount, unit = duration.groups()
        return timezone.now() - dt.timedelta(**{UNITS[unit]: int(amount)})
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            day = dt.date.fromisoformat(text.strip())
            return timezone.make_aware(dt.datetime.combine(day, dt.time()))
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a date (2026-12-01), a time (2026-12-01T09:00, local unless it "
            "names its zone) or a duration back from now (90m, 24h, 7d, 2w)"
        ) from None
    return at if timezone.is_aware(at) else timezone.make_aware(at)


class Command(BaseCommand):
    help = "Check requirements against the process-health rules (exit 1 on error findings)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", help="team code: requirements it leads or is a party to")
        parser.add_argument("--department", help="department code: requirements of its teams")
        parser.add_argument("--format", choices=["text", "json", "sarif"], default="text")
        parser.add_argument(
            "--since",
            type=moment,
            metavar="DATE|TIME|DURATION",
            help=(
                "CI of recent changes: only the requirements changed since then (any audited "
                "write to them, their plan, meetings, questions, milestones or changes) and "
                "their findings dated since then; a date, an ISO time or a duration back from "
                "now (24h, 7d). Fast on any size of organisation, but blind to findings that "
                "come with time alone on requirements nobody touched (an action item or an "
                "alignment deadline passing) and to a changed membership or threshold: lint "
                "the whole organisation (no --since) nightly for those"
            ),
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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rules_markdown"]:
            self.stdout.write(rules_markdown(), ending="")
            return
        try:
            scope = scope_of(team=options["team"], department=options["department"])
        except Refused as refused:
            raise CommandError(refused.message, returncode=BAD_ARGUMENTS) from refused
        with translation.override(options["language"]):
            requirements = scope.requirements()
            since = options["since"]
            if since is not None:
                requirements = requirements.filter(pk__in=changed_since(since))
            findings = evaluate(requirements, team_ids=scope.team_ids)
            if since is not None:
                findings = [f for f in findings if f.at >= since]
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
