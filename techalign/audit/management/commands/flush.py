"""`flush` empties every table, the append-only audit log included, as its operator asks."""

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush

from techalign.audit.guard import unlocked_audit_log


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        with unlocked_audit_log():
            super().handle(**options)
