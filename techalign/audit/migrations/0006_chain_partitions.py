"""Split the audit log into partitions, each its own chain (issue 16).

Existing events are not rewritten: the single chain they form becomes partition 0's beginning,
as it is (partition 0 leaves the partition out of the hashed content), so every hash and every
anchor written before stays valid and `techalign audit verify` walks it as before. New events
join their requirement's partition, with a seq from the table's id sequence on PostgreSQL. The
number of partitions is stored now, from TECHALIGN_AUDIT_PARTITIONS, and read from the database
from then on.

On SQLite adding the column rebuilds the table, which drops its append-only triggers (0005):
they are created again after it, and before the column is removed on the way back.
"""

from django.conf import settings
from django.db import migrations, models



def _sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from importlib import import_module

    append_only = import_module("techalign.audit.migrations.0005_append_only_on_sqlite")
    append_only.drop(apps, schema_editor)
    append_only.create(apps, schema_editor)


def seq_from_the_id_sequence(apps, schema_editor):
    """On PostgreSQL new events take their seq from the table's id sequence: move it past every
    seq already given (rows loaded with explicit ids may have left it behind)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), greatest(m, 1), m > 0) "
        "FROM (SELECT coalesce(greatest(max(id), max(seq)), 0) AS m FROM audit_auditevent) AS highest"
    )


def store_layout(apps, schema_editor):
    ChainLayout = apps.get_model("audit", "ChainLayout")
    ChainLayout.objects.get_or_create(
        pk=1, defaults={"partitions": settings.TECHALIGN_AUDIT_PARTITIONS}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_append_only_on_sqlite"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, _sqlite_triggers),
        migrations.AddField(
            model_name="auditevent",
            name="partition",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["partition", "seq"], name="audit_audit_partiti_33b8fc_idx"),
        ),
        migrations.CreateModel(
            name="ChainLayout",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("partitions", models.PositiveSmallIntegerField()),
            ],
            options={
                "verbose_name": "audit chain layout",
                "verbose_name_plural": "audit chain layouts",
            },
        ),
        migrations.RunPython(store_layout, migrations.RunPython.noop),
        migrations.RunPython(seq_from_the_id_sequence, migrations.RunPython.noop),
        migrations.RunPython(_sqlite_triggers, migrations.RunPython.noop),
    ]
