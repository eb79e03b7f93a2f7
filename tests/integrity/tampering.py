"""Rewriting the audit log behind the application's back, as an insider with database access
would: past PostgreSQL's triggers as a superuser, past SQLite's by dropping them. Both are undone
with the test's transaction."""

from __future__ import annotations

from django.db import connection

TRIGGERS_SQLITE = ("audit_auditevent_no_update", "audit_auditevent_no_delete")


def sqlite_trigger_sql() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'"
        )
        return [row[0] for row in cursor.fetchall()]


def tamper(*statements: tuple[str, list]) -> None:
    """Run raw statements on the audit table with its append-only guard out of the way."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            saved = sqlite_trigger_sql()
            for name in TRIGGERS_SQLITE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            for sql in saved:
                cursor.execute(sql)
