"""Whole-database backups and restores behind `techalign backup` and `techalign restore`.

SQLite: the online backup API copies the database as one snapshot, also while the server is
writing. Copying the file (and its -wal beside it) gives corrupt copies.
PostgreSQL: pg_dump in its custom format (one snapshot by design) and pg_restore.

A backup is written beside its destination first and renamed into place when complete, so a
failed run never leaves a half-written file under the name asked for.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from techalign.audit.models import AuditEvent
from techalign.org.models import User

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
# Waiting this long for the server's write lock is better than refusing a restore at once.
SQLITE_LOCK_TIMEOUT = 30


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason for the operator."""


@dataclass(frozen=True)
class Outcome:
    vendor: str
    path: Path
    size: int


def backup(destination: Path) -> Outcome:
    """Write a consistent copy of the whole database to `destination`."""
    destination = destination.resolve()
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if connection.vendor == "sqlite":
            _sqlite_backup(Path(connection.settings_dict["NAME"]), partial)
        elif connection.vendor == "postgresql":
            _run(_pg_tool("pg_dump"), "--format=custom", f"--file={partial}")
        else:
            raise BackupError(f"backups of {connection.vendor} databases are not supported")
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(connection.vendor, destination, destination.stat().st_size)


def restore(source: Path, *, force: bool = False) -> Outcome:
    """Replace the database's content with the backup in `source`.

    Refuses a database that already holds users or audit events unless `force`: a restore
    over live data loses every change made since the backup.
    """
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    kind = _format_of(source)
    if kind != connection.vendor:
        found = f"a {kind} backup" if kind else "not a backup"
        raise BackupError(f"{source} is {found}; this installation uses {connection.vendor}")
    if holds_data() and not force:
        raise BackupError(
            "the database already holds data; restoring replaces all of it "
            "(use --force if that is what you want)"
        )
    if kind == "sqlite":
        _sqlite_restore(source, Path(connection.settings_dict["NAME"]))
    else:
        # Reading the table of contents first refuses a damaged archive before anything is dropped.
        _run(_pg_tool("pg_restore"), "--list", str(source))
        _run(
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(source),
        )
    return Outcome(kind, source, source.stat().st_size)


def holds_data() -> bool:
    """Whether the database has any user or audit event: every real use leaves both."""
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in (User, AuditEvent):
            table = model._meta.db_table
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
                if cursor.fetchone():
                    return True
    return False


def _format_of(path: Path) -> str | None:
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    return None


def _check_sqlite(db: sqlite3.Connection, what: Path) -> None:
    problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{what} fails its integrity check: {'; '.join(problems[:5])}")


def _sqlite_backup(source: Path, destination: Path) -> None:
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist")
    src = sqlite3.connect(source, timeout=SQLITE_LOCK_TIMEOUT)
    dst = sqlite3.connect(destination)
    try:
        # One step (pages=-1) holds one read transaction: the copy is a single snapshot even
        # while other connections commit.
        src.backup(dst, pages=-1)
        # A self-contained file: no -wal or -shm needed beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
        _check_sqlite(dst, destination)
    finally:
        dst.close()
        src.close()
    with destination.open("rb") as file:
        os.fsync(file.fileno())


def _sqlite_restore(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    try:
        _check_sqlite(src, source)
        has_migrations = src.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
        ).fetchone()
        if not has_migrations:
            raise BackupError(f"{source} is not a techalign database")
        connection.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=SQLITE_LOCK_TIMEOUT)
        try:
            # The backup API writes the pages under the target's write lock, WAL included;
            # readers see the old content or the new one, never a mixture.
            src.backup(dst, pages=-1)
            _check_sqlite(dst, target)
        finally:
            dst.close()
    finally:
        src.close()


def _pg_tool(name: str) -> str:
    """pg_dump or pg_restore of the server's major version (an older one refuses to work)."""
    candidates = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]) / name)
    connection.ensure_connection()
    major = connection.pg_version // 10_000  # type: ignore[attr-defined]
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin") / name)
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found; install postgresql-client-{major} or set PG_BIN")
    return found


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database, so no password is on a command line."""
    db = connection.settings_dict
    values = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db.get("NAME") or "",
    }
    return {**os.environ, **{k: v for k, v in values.items() if v}}


def _run(*argv: str) -> None:
    done = subprocess.run(argv, env=_pg_environment(), capture_output=True, text=True)
    if done.returncode != 0:
        tool = Path(argv[0]).name
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
