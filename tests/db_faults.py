"""Real database errors for tests of what a failure leaves behind: the database itself refuses
some rows, through a trigger, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from django.db import connection


def refuse_inserts(table: str, *, column: str, value: int) -> None:
    """From now on, inserting a row into `table` whose `column` is `value` fails."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_refuse_insert() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'disk trouble'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER test_refuse BEFORE INSERT ON {table} FOR EACH ROW "
                f"WHEN (NEW.{column} = {int(value)}) EXECUTE FUNCTION test_refuse_insert()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_refuse BEFORE INSERT ON {table} "
                f"WHEN NEW.{column} = {int(value)} BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
            )


def allow_inserts(table: str) -> None:
    """Undo `refuse_inserts` on `table`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER test_refuse ON {table}")
            cursor.execute("DROP FUNCTION test_refuse_insert()")
        else:
            cursor.execute("DROP TRIGGER test_refuse")
