"""`techalign worker`: run background tasks and the periodic sweep until stopped.

`--once` runs one sweep and every task that is due, then exits (for cron or tests). Every few
hours (and at start) it also prunes old task results and refreshes the database's planner
statistics.
"""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from techalign.notify.worker import maintain, run_ready_tasks, sweep

MAINTAIN_EVERY = 6 * 3600.0


class Command(BaseCommand):
    help = "Send notifications and refresh calendars in the background."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds to wait when no task is due"
        )
        parser.add_argument(
            "--sweep-every",
            type=float,
            default=60.0,
            help="seconds between sweeps for due feeds, retries and reminders",
        )
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, interval: float, sweep_every: float, once: bool, **options) -> None:
        self.running = True

        def stop(signum, frame) -> None:
            self.running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        verbose = options["verbosity"] > 1
        last_sweep = 0.0
        last_upkeep = None
        while self.running:
            close_old_connections()
            if not once and (
                last_upkeep is None or time.monotonic() - last_upkeep >= MAINTAIN_EVERY
            ):
                maintain()
                last_upkeep = time.monotonic()
            if time.monotonic() - last_sweep >= sweep_every or once:
                counts = sweep()
                last_sweep = time.monotonic()
                if verbose:
                    self.stdout.write(f"sweep: {counts}")
            ran = run_ready_tasks()
            if verbose and ran:
                self.stdout.write(f"ran {ran} task(s)")
            if once:
                return
            if not ran:
                time.sleep(interval)
