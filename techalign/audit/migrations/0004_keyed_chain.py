"""Re-chain the existing audit events with the keyed hash (HMAC-SHA256, see audit.services).

The old chain (plain SHA-256) is verified first: a log already broken is not laundered into a
valid keyed chain; the migration stops and names the first broken event. Then every event is
re-hashed in seq order with the current audit key, and one `audit.rechained` event records how
many events were re-chained and the old chain's head, so the step is itself in the log.
Going back leaves the keyed hashes in place.
"""

import hashlib

from django.db import migrations
from django.utils import timezone

GENESIS = "0" * 64


def rechain(apps, schema_editor):
    from techalign.audit.services import audit_keys, canonical_event, event_hash

    AuditEvent = apps.get_model("audit", "AuditEvent")
    events = list(AuditEvent.objects.order_by("seq"))
    if not events:
        return
    prev = GENESIS
    for event in events:
        if event.prev_hash != prev or hashlib.sha256(canonical_event(event)).hexdigest() != event.hash:
            raise RuntimeError(
                f"the audit chain is already broken at seq {event.seq} ({event.action}); "
                "it is not re-chained with the audit key. Find out what happened to it "
                "(`techalign audit verify` on the previous version names the link) first."
            )
        prev = event.hash
    legacy_head = prev
    key = audit_keys()[0]
    prev = GENESIS
    for event in events:
        event.prev_hash = prev
        event.hash = event_hash(event, key)
        prev = event.hash
    connection = schema_editor.connection
    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_auditevent_no_update_or_delete")
    AuditEvent.objects.bulk_update(events, ["prev_hash", "hash"], batch_size=1000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_auditevent_no_update_or_delete")
    last = events[-1]
    marker = AuditEvent(
        seq=last.seq + 1,
        occurred_at=timezone.now(),
        actor=None,
        action="audit.rechained",
        outcome="done",
        target_type="audit.auditevent",
        target_id=str(last.pk),
        target_label=f"#{last.seq} {last.action}"[:200],
        requirement=None,
        summary={"events": len(events), "legacy_head": legacy_head, "scheme": "hmac-sha256"},
        prev_hash=prev,
    )
    marker.hash = event_hash(marker, key)
    marker.save(force_insert=True)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_append_only_on_postgresql"),
    ]

    operations = [
        migrations.RunPython(rechain, migrations.RunPython.noop),
    ]
