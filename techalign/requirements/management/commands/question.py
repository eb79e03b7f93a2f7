"""`techalign question list REQ [--open]`, `ask REQ --body ... --as USER [--item I-3 |
--scenario S-2] [--blocking]`, and for one question `reply`, `answer`, `accept`, `reject`,
`reopen REQ Q-4 --as USER [--body ...]`.

A script or a chat bot drives a question's thread with the same services, and so the same
gates, as the pages and the API: only the asker's side accepts, rejects or reopens, the other
side proposes the answer. Exit status 1 with the refusal's message when refused; nothing is
written then.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from techalign.core.errors import Refused
from techalign.org.models import User
from techalign.org.selectors import get_user
from techalign.requirements import services
from techalign.requirements.models import Question, Requirement
from techalign.requirements.selectors import get_question, get_requirement, get_scenario

# Actions whose --body is the thread's text (a reply, an answer, a reason).
_NEEDS_TEXT = {"reply", "answer", "reject", "reopen"}


class Command(BaseCommand):
    help = "List a requirement's questions, ask one, or move one along its thread."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        listed = actions.add_parser("list", help="the requirement's questions, one a line")
        listed.add_argument("requirement", help="REQ-12 or 12")
        listed.add_argument("--open", action="store_true", help="only those not yet accepted")
        ask = actions.add_parser("ask", help="raise a question for your side")
        ask.add_argument("requirement", help="REQ-12 or 12")
        ask.add_argument("--body", required=True, help="the question")
        target = ask.add_mutually_exclusive_group()
        target.add_argument("--item", default="", help="the plan item it is about (I-3)")
        target.add_argument("--scenario", default="", help="the scenario it is about (S-2)")
        ask.add_argument("--blocking", action="store_true", help="holds finalizing until settled")
        subs = [listed, ask]
        for name, what in (
            ("reply", "add a reply to the thread"),
            ("answer", "propose the answer (the other side)"),
            ("accept", "accept the proposed answer (the asker's side)"),
            ("reject", "reject the proposed answer, saying why (the asker's side)"),
            ("reopen", "reopen a settled question, saying why (the asker's side)"),
        ):
            sub = actions.add_parser(name, help=what)
            sub.add_argument("requirement", help="REQ-12 or 12")
            sub.add_argument("question", help="Q-4 or 4")
            if name in _NEEDS_TEXT:
                sub.add_argument("--body", required=True, help="the text (kept in the thread)")
            subs.append(sub)
        for sub in subs[1:]:
            sub.add_argument("--as", dest="username", required=True, help="who acts")
        for sub in subs:
            sub.add_argument("--language", default=None, help="language of the messages")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        with translation.override(options["language"] or translation.get_language()):
            try:
                requirement = get_requirement(None, options["requirement"])
                if action == "list":
                    self._list(requirement, only_open=options["open"])
                    return
                actor = get_user(options["username"])
                if action == "ask":
                    question = self._ask(requirement, actor, options)
                else:
                    question = get_question(requirement, options["question"])
                    self._move_along(action, question, actor, options.get("body", ""))
                    question.refresh_from_db()
            except Refused as refused:
                raise CommandError(refused.message, returncode=1) from refused
        self.stdout.write(f"{requirement.key}/{question.key}: {question.state}")

    def _ask(self, requirement: Requirement, actor: User, options: dict[str, Any]) -> Question:
        scenario = get_scenario(requirement, options["scenario"]) if options["scenario"] else None
        return services.raise_question(
            requirement=requirement,
            actor=actor,
            body=options["body"],
            scenario=scenario,
            item_key=options["item"],
            is_blocking=options["blocking"],
        )

    def _move_along(self, action: str, question: Question, actor: User, text: str) -> None:
        if action == "reply":
            services.reply_to_question(question=question, actor=actor, body=text)
        elif action == "answer":
            services.propose_answered(question=question, actor=actor, body=text)
        elif action == "accept":
            services.accept_answer(question=question, actor=actor)
        elif action == "reject":
            services.reject_answer(question=question, actor=actor, reason=text)
        else:
            services.reopen_question(question=question, actor=actor, reason=text)

    def _list(self, requirement: Requirement, *, only_open: bool) -> None:
        questions = requirement.questions.select_related("raised_by", "scenario").order_by("number")
        if only_open:
            questions = questions.exclude(state=Question.State.ACCEPTED)
        for question in questions:
            about = question.item_key or (question.scenario.key if question.scenario else "-")
            blocking = "blocking" if question.is_blocking else "-"
            body = " ".join(question.body.split())
            self.stdout.write(
                f"{question.key}\t{question.state}\t{blocking}\t{about}\t"
                f"{question.raised_by.username}\t{body}"
            )
