"""Seal the audit log with a key kept outside the database (README.md, "The audit log").

Entries written before this migration carry only the plain hash chain; here each gets its
keyed seal, in order, from the key the installation runs with. From now on every entry is
sealed when it is written.
"""

from typing import Any

from django.db import migrations, models


def seal_existing(apps: Any, schema_editor: Any) -> None:
    from boardroom.audit import GENESIS, audit_key, seal

    AuditEvent = apps.get_model("boardroom", "AuditEvent")
    AuditHead = apps.get_model("boardroom", "AuditHead")
    key = audit_key()
    previous = GENESIS
    for pk, entry_hash in AuditEvent.objects.order_by("pk").values_list("pk", "hash").iterator(chunk_size=2000):
        previous = seal(previous, entry_hash, key)
        AuditEvent.objects.filter(pk=pk).update(mac=previous)
    AuditHead.objects.filter(pk=1).update(last_mac=previous)


class Migration(migrations.Migration):
    dependencies = [
        ("boardroom", "0003_calendar_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="audithead",
            name="last_mac",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
