"""`techalign report NAME [--team T | --department D] [--from DATE] [--to DATE]
[--format text|csv|svg|json]`: one process report, as a table, CSV, SVG chart(s) or JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from techalign.core.errors import Refused
from techalign.health.management.commands.lint import BAD_ARGUMENTS
from techalign.health.reports import REPORTS, Period, Report, build_report
from techalign.health.selectors import scope_of


def as_text(report: Report) -> str:
    lines = [f"{report.title} — {report.scope}, {report.period.start} – {report.period.end}"]
    lines += [f"  {label}: {value}" for label, value in report.headline]
    rows = [
        [str(c.label) for c in report.columns],
        *[["" if v is None else str(v) for v in row] for row in report.rows],
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    body = {
        "report": report.slug,
        "title": report.title,
        "scope": report.scope,
        "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(),
        "headline": dict(report.headline),
        "rows": [
            dict(zip([c.key for c in report.columns], row, strict=True)) for row in report.rows
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n"


def iso_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Command(BaseCommand):
    help = "Print a process report: " + ", ".join(REPORTS) + "."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=list(REPORTS))
        parser.add_argument("--team", help="team code (requirements it leads)")
        parser.add_argument("--department", help="department code")
        parser.add_argument(
            "--from",
            dest="start",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="first day (default: the start of the month 11 months ago)",
        )
        parser.add_argument(
            "--to",
            dest="end",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="last day (default: today)",
        )
        parser.add_argument("--format", choices=["text", "csv", "svg", "json"], default="text")
        parser.add_argument(
            "--language",
            choices=[c for c, _n in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            scope = scope_of(team=options["team"], department=options["department"])
        except Refused as refused:
            raise CommandError(refused.message, returncode=BAD_ARGUMENTS) from refused
        default = Period.last_months(12)
        period = Period(options["start"] or default.start, options["end"] or default.end)
        if period.end < period.start or period.end - period.start > dt.timedelta(days=3660):
            raise CommandError(
                "--to must be after --from, within ten years", returncode=BAD_ARGUMENTS
            )
        with translation.override(options["language"]):
            report = build_report(options["name"], scope, period)
            formats: dict[str, Callable[[], str]] = {
                "csv": report.as_csv,
                "svg": lambda: "\n".join(report.charts) + "\n",
                "json": lambda: as_json(report),
                "text": lambda: as_text(report),
            }
            output = formats[options["format"]]()
        self.stdout.write(output, ending="")
