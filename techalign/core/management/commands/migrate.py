"""`techalign migrate`: Django's migrate, one node at a time.

Several app servers may start together against one database; two of them applying the same
migration at once fail half-way (a table created twice) or, worse, interleave. Each run takes a
cluster-wide lock first: the others wait, then find nothing left to apply.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder

from techalign.core.db import refresh_planner_statistics

# Any constant works as long as every node uses the same one: "techalign" as a 63-bit integer.
ADVISORY_LOCK_KEY = int.from_bytes(b"techalig", "big") >> 1


@contextmanager
def migration_lock(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Hold the lock that serialises migrations on this database for the block's duration."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
        return
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or name == ":memory:" or "mode=memory" in name:
        yield
        return
    # SQLite has no lock that outlives a transaction; a file beside the database serves.
    with open(Path(f"{name}.migrate-lock"), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs on one node at a time: concurrent runs wait for each other."

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        with migration_lock(connection):
            before = _applied(connection)
            super().handle(*args, **options)
            if before and _applied(connection) - before:
                # An index a migration adds has no statistics until the next ANALYZE (the
                # worker's, hours later), and SQLite takes an index without statistics for a
                # very selective one: the inbox took 0.6 s instead of 0.1 s at S=10.
                refresh_planner_statistics(database=connection)


def _applied(connection: BaseDatabaseWrapper) -> set[tuple[str, str]]:
    return set(MigrationRecorder(connection).applied_migrations())
