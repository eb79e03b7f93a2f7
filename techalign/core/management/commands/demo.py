"""`techalign demo`: load the demo organisation (once) and print its logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from techalign import demo

MESSAGES = {
    demo.Outcome.LOADED: "Demo organisation loaded.",
    demo.Outcome.ALREADY_LOADED: "Demo organisation already loaded; nothing changed.",
    demo.Outcome.NOT_EMPTY: "The database already holds an organisation; demo not loaded.",
}


class Command(BaseCommand):
    help = "Load the demo organisation through the services (once) and print its logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only into a database that holds no organisation yet.",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Leave out the year of past requirements behind the health reports.",
        )

    def handle(self, *args: Any, if_empty: bool, no_history: bool, **options: Any) -> None:
        outcome = demo.load_demo(only_if_empty=if_empty, with_history=not no_history)
        self.stdout.write(MESSAGES[outcome])
        if outcome == demo.Outcome.NOT_EMPTY:
            return
        self.stdout.write("")
        self.stdout.write(demo.format_logins(demo.demo_logins()))
        self.stdout.write("")
        self.stdout.write(f"Password for every demo login: {demo.DEMO_PASSWORD}")
        # The password is printed for anyone to read; say so where an operator will see it.
        self.stdout.write("These logins are public: never load the demo into a real deployment.")
