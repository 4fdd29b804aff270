"""``manage.py task_worker``: django-tasks-db's ``db_worker`` that survives crashes.

Takes the same options as ``db_worker``, plus ``--recover-every``. See boardroom/taskrecovery.py
and README.md ("Background worker and scheduled jobs").
"""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.db import connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from boardroom import taskrecovery

logger = logging.getLogger("boardroom.taskrecovery")


class Command(DbWorkerCommand):
    help = "Run a background worker that also re-queues tasks whose worker died, and redoes stalled work."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=None, reload=False)
        parser.add_argument(
            "--recover-every",
            type=float,
            default=60.0,
            help="Seconds between looks for abandoned tasks and stalled work (default: 60; 0: only at start).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("reload"):
            raise CommandError("task_worker does not reload on code changes: restart it, or use db_worker --reload.")
        recover_every: float = options.pop("recover_every")
        backend_name: str = options["backend_name"]
        worker_id: str = options.pop("worker_id") or taskrecovery.new_worker_id()
        if not worker_id.startswith(taskrecovery.WORKER_PREFIX):
            worker_id = taskrecovery.WORKER_PREFIX + worker_id
        lease = taskrecovery.worker_lock(worker_id)
        if not lease.acquire(blocking=False):
            raise CommandError(f"A worker with the id {worker_id} is already running.")
        try:
            self._recover(backend_name)
            stop = threading.Event()
            if recover_every > 0:
                threading.Thread(
                    target=self._recover_loop, args=(backend_name, recover_every, stop), daemon=True, name="recovery"
                ).start()
            try:
                super().handle(*args, worker_id=worker_id, **options)
            finally:
                stop.set()
        finally:
            lease.release()

    def _recover(self, backend_name: str) -> None:
        try:
            counts = taskrecovery.recover(backend_name)
        except Exception:  # noqa: BLE001 — a failed look must not stop the worker; the next one retries
            logger.exception("Looking for abandoned tasks failed")
            return
        finally:
            connections.close_all()  # this thread's connections go back to the pool
        if any(counts.values()):
            logger.warning("Recovered after a crash: %s", ", ".join(f"{k}={v}" for k, v in counts.items() if v))

    def _recover_loop(self, backend_name: str, every: float, stop: threading.Event) -> None:
        while not stop.wait(every):
            self._recover(backend_name)
