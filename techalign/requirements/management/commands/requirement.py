"""`techalign requirement cancel REQ --reason ... --as USER`.

The same service as on the page and in the API, with its gates: the named user must be a PM
of the lead team, and the requirement not yet baselined. Exit status 1 with the refusal's
message when refused; nothing is written then.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from techalign.core.errors import Refused
from techalign.org.selectors import get_user
from techalign.requirements import services
from techalign.requirements.selectors import get_requirement


class Command(BaseCommand):
    help = "Cancel a requirement before its baseline."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        cancel = actions.add_parser("cancel", help="cancel a requirement before its baseline")
        cancel.add_argument("requirement", help="REQ-12 or 12")
        cancel.add_argument("--reason", required=True, help="why (told to the teams, audited)")
        cancel.add_argument("--as", dest="username", required=True, help="a PM of the lead team")
        cancel.add_argument("--language", default=None, help="language of the messages")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        with translation.override(options["language"] or translation.get_language()):
            try:
                requirement = services.cancel_requirement(
                    requirement=get_requirement(None, options["requirement"]),
                    actor=get_user(options["username"]),
                    reason=options["reason"],
                )
            except Refused as refused:
                raise CommandError(refused.message, returncode=1) from refused
        self.stdout.write(f"{requirement.key}: {requirement.status}")
