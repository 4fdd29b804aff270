"""``manage.py recover_tasks``: re-queue tasks whose worker died and redo or fail stalled work, once.

``task_worker`` does this by itself at start and every minute; this command is for a scheduler
(cron) where tasks run in process (no BOARDROOM_TASKS=database) or plain ``db_worker`` is used.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from boardroom import taskrecovery


class Command(BaseCommand):
    help = "Re-queue background tasks whose worker died; redo or fail paper checks and pack builds left half-done."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = taskrecovery.recover()
        self.stdout.write(", ".join(f"{name}={value}" for name, value in counts.items()))
