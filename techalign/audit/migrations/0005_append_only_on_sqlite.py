"""Make the audit log append-only on SQLite as well: UPDATE and DELETE of its rows abort.

The triggers ask `techalign_audit_unlocked()` (techalign.audit.guard), which only the
application registers and which says yes only while `flush` empties the database. Any other
client of the file lacks the function, so its UPDATE or DELETE fails as well. PostgreSQL has had
its own triggers since 0003.
"""

from django.db import migrations

TRIGGERS = [
    f"""CREATE TRIGGER audit_auditevent_no_{op.lower()}
    BEFORE {op} ON audit_auditevent
    WHEN NOT techalign_audit_unlocked()
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: {op} on audit_auditevent refused');
    END"""
    for op in ("UPDATE", "DELETE")
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in TRIGGERS:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for op in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS audit_auditevent_no_{op}")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_keyed_chain"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
