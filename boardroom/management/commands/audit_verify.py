from typing import Any

from django.core.management.base import BaseCommand, CommandError

from boardroom import audit
from boardroom.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit log's hash chain and name the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = audit.verify()
        if broken is not None:
            where = f"entry {broken.entry_id}" if broken.entry_id else "the end of the log"
            raise CommandError(f"Audit chain broken at {where}: {broken.reason}.")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} entries verified."))
