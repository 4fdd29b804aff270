"""``manage.py task_worker``: django-tasks-db's ``db_worker`` that survives crashes and runs the
scheduled jobs.

Takes the same options as ``db_worker``, plus ``--recover-every`` and ``--scheduled-every``. See
boardroom/taskrecovery.py and README.md ("Background worker and scheduled jobs").
"""

from __future__ import annotations

import io
import logging
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from boardroom import taskrecovery
from boardroom.locks import ProcessLock

logger = logging.getLogger("boardroom.taskrecovery")

# Jobs that fall due by the clock. Each is safe to run twice; the scheduled-jobs lock keeps it to
# one worker at a time all the same.
SCHEDULED = ("close_resolutions", "send_notices", "purge_bin")
PRUNE_EVERY = 24 * 60 * 60


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
        parser.add_argument(
            "--scheduled-every",
            type=float,
            default=60.0,
            help=(
                "Seconds between runs of close_resolutions, send_notices and purge_bin, and daily pruning of "
                "finished task rows (default: 60; 0: never, e.g. when cron runs them)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("reload"):
            raise CommandError("task_worker does not reload on code changes: restart it, or use db_worker --reload.")
        recover_every: float = options.pop("recover_every")
        scheduled_every: float = options.pop("scheduled_every")
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
            if scheduled_every > 0:
                threading.Thread(
                    target=self._scheduled_loop, args=(backend_name, scheduled_every, stop), daemon=True, name="jobs"
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

    def _scheduled_loop(self, backend_name: str, every: float, stop: threading.Event) -> None:
        pruned_at: float | None = None
        lock = ProcessLock("scheduled-jobs")
        while not stop.wait(every):
            if not lock.acquire(blocking=False):
                continue  # another worker runs them this time
            try:
                for name in SCHEDULED:
                    self._run_job(name)
                days = int(getattr(settings, "BOARDROOM_TASK_RESULT_DAYS", 14))
                if days and (pruned_at is None or time.monotonic() - pruned_at > PRUNE_EVERY):
                    prune = ["--backend", backend_name, "--queue-name", "*", "--min-age-days", str(days)]
                    self._run_job("prune_db_task_results", *prune)
                    pruned_at = time.monotonic()
            finally:
                lock.release()
                connections.close_all()

    def _run_job(self, name: str, *args: str) -> None:
        out = io.StringIO()
        try:
            call_command(name, *args, stdout=out)
        except Exception:  # noqa: BLE001 — one failing job must not stop the others or the worker
            logger.exception("Scheduled job %s failed", name)
            return
        logger.debug("Scheduled job %s: %s", name, out.getvalue().strip().splitlines()[-1:] or "done")
