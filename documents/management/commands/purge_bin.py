"""``manage.py purge_bin``: delete the papers that have been in a meeting's bin for thirty days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from documents.models import BIN_DAYS
from documents.services import purge_bin


class Command(BaseCommand):
    help = (
        f"Delete, with all their versions and stored files, the papers removed from an agenda more than "
        f"{BIN_DAYS} days ago. task_worker runs it with the other scheduled jobs; without a worker, run it "
        "daily from cron. Running it twice deletes each paper once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_bin()
        self.stdout.write(f"Deleted {count} paper{'s' if count != 1 else ''} from the bins.")
