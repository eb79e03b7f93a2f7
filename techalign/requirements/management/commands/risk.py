"""`techalign risk list`, `techalign risk mark REQ CATEGORY --reason ... --as USER` and
`techalign risk clear REQ --reason ... --as USER`.

Marking and clearing are the same services as on the pages and in the API, with their gates:
the named user must be a PM or tech lead of the lead team. Exit status 1 with the refusal's
message when refused; nothing is written then.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from techalign.core.errors import Refused
from techalign.org.selectors import get_user
from techalign.requirements import services
from techalign.requirements.models import Requirement, Risk
from techalign.requirements.selectors import get_requirement


class Command(BaseCommand):
    help = "List high-risk requirements, or mark or clear a requirement's high risk."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="the high-risk requirements, one a line")
        mark = actions.add_parser("mark", help="mark a requirement high-risk")
        mark.add_argument("requirement", help="REQ-12 or 12")
        mark.add_argument("category", choices=Risk.values)
        clear = actions.add_parser("clear", help="clear a requirement's high risk")
        clear.add_argument("requirement", help="REQ-12 or 12")
        for sub in (mark, clear):
            sub.add_argument("--reason", required=True, help="why (kept in the audit log)")
            sub.add_argument("--as", dest="username", required=True, help="a PM or tech lead")
            sub.add_argument("--language", default=None, help="language of the messages")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            for requirement in Requirement.objects.exclude(risk="").select_related("lead_team"):
                self.stdout.write(
                    f"{requirement.key}\t{requirement.risk}\t{requirement.lead_team.code}\t"
                    f"{requirement.title}"
                )
            return
        with translation.override(options["language"] or translation.get_language()):
            try:
                requirement = get_requirement(None, options["requirement"])
                actor = get_user(options["username"])
                if action == "mark":
                    services.mark_high_risk(
                        requirement=requirement,
                        actor=actor,
                        risk=options["category"],
                        reason=options["reason"],
                    )
                else:
                    services.clear_high_risk(
                        requirement=requirement, actor=actor, reason=options["reason"]
                    )
            except Refused as refused:
                raise CommandError(refused.message, returncode=1) from refused
        self.stdout.write(f"{requirement.key}: {requirement.risk or '-'}")
