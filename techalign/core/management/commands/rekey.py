"""`techalign rekey`: re-seal every stored credential with the first TECHALIGN_SEALING_KEY."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from techalign.calendars.sealing import UnreadableSecrets, reseal_all


class Command(BaseCommand):
    help = (
        "Re-seal calendar credentials, feed URLs and webhook secrets with the first sealing key, "
        "so older keys can be dropped from TECHALIGN_SEALING_KEY."
    )

    def handle(self, *args: object, **options: object) -> None:
        try:
            count = reseal_all()
        except UnreadableSecrets as unreadable:
            raise CommandError(
                f"no sealing key opens the secrets of {unreadable}; nothing was re-sealed "
                "(add the key they were sealed with to TECHALIGN_SEALING_KEY)",
                returncode=1,
            ) from unreadable
        self.stdout.write(f"re-sealed {count} stored secrets with the first sealing key")
