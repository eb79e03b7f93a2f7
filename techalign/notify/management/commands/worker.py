"""`techalign worker`: run background tasks and the periodic sweep until stopped.

`--once` runs one sweep and every task that is due, then exits (for cron or tests). Every few
hours (and at start) it also prunes old task results and refreshes the database's planner
statistics.

A database error (locked, read-only, connection lost, server down) does not stop the worker:
it logs the error, drops its connection, waits (doubling the wait up to `--max-backoff`) and
carries on with a fresh connection. Work interrupted that way is picked up again by the sweep.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, InterfaceError, close_old_connections, connections

from techalign.notify.worker import maintain, run_ready_tasks, sweep

MAINTAIN_EVERY = 6 * 3600.0

log = logging.getLogger("techalign.worker")


def backoff_delay(failures: int, *, first: float, largest: float) -> float:
    """Seconds to wait after the `failures`-th database error in a row: first, 2x, 4x, … capped."""
    return min(largest, first * 2.0 ** max(failures - 1, 0))


class Command(BaseCommand):
    help = "Send notifications and refresh calendars in the background."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds to wait when no task is due"
        )
        parser.add_argument(
            "--sweep-every",
            type=float,
            default=60.0,
            help="seconds between sweeps for due feeds, retries and reminders",
        )
        parser.add_argument(
            "--backoff",
            type=float,
            default=0.5,
            help="seconds to wait after a database error; doubled after each one in a row",
        )
        parser.add_argument(
            "--max-backoff",
            type=float,
            default=30.0,
            help="the longest wait between attempts while the database keeps failing",
        )
        parser.add_argument("--once", action="store_true")

    def handle(
        self,
        *args: Any,
        interval: float,
        sweep_every: float,
        backoff: float,
        max_backoff: float,
        once: bool,
        **options: Any,
    ) -> None:
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            self.running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.verbose = options["verbosity"] > 1
        self.last_sweep = 0.0
        self.last_upkeep: float | None = None
        failures = 0
        while self.running:
            try:
                ran = self.one_round(interval=interval, sweep_every=sweep_every, once=once)
            except (DatabaseError, InterfaceError) as error:
                # DatabaseError covers OperationalError ("database is locked", "server closed
                # the connection"), a read-only or full database, and the like.
                if once:
                    raise
                failures += 1
                delay = backoff_delay(failures, first=backoff, largest=max_backoff)
                log.warning(
                    "database error in the worker (%s: %s); reconnecting in %.1f s (%d in a row)",
                    type(error).__name__,
                    str(error).strip().splitlines()[0] if str(error).strip() else "",
                    delay,
                    failures,
                )
                self.drop_connections()
                self.sleep(delay)
                continue
            if failures:
                log.warning("the worker reaches the database again after %d error(s)", failures)
                failures = 0
            if once:
                return
            if not ran:
                self.sleep(interval)

    def one_round(self, *, interval: float, sweep_every: float, once: bool) -> int:
        """Upkeep and sweep when due, then every task that is ready; returns how many ran."""
        close_old_connections()
        if not once and (
            self.last_upkeep is None or time.monotonic() - self.last_upkeep >= MAINTAIN_EVERY
        ):
            maintain()
            self.last_upkeep = time.monotonic()
        if time.monotonic() - self.last_sweep >= sweep_every or once:
            counts = sweep()
            self.last_sweep = time.monotonic()
            if self.verbose:
                self.stdout.write(f"sweep: {counts}")
        ran = run_ready_tasks()
        if self.verbose and ran:
            self.stdout.write(f"ran {ran} task(s)")
        return ran

    @staticmethod
    def drop_connections() -> None:
        """Close every connection, even a broken one, so the next round opens a fresh one."""
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except Exception:  # a dead connection may fail to close; it is gone either way
                log.debug("closing a broken connection failed", exc_info=True)

    def sleep(self, seconds: float) -> None:
        """Wait, but stop waiting soon after a stop signal."""
        until = time.monotonic() + seconds
        while self.running and time.monotonic() < until:
            time.sleep(min(0.2, max(until - time.monotonic(), 0)))
