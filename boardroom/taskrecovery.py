"""Background tasks survive a worker that dies mid-task (README.md, "Background worker and
scheduled jobs").

django-tasks-db's worker claims a task by setting its row to RUNNING; if the worker is then
killed (SIGKILL, out of memory, a redeploy, a machine restart), the row stays RUNNING for good
and nobody runs the task again. Boardroom's worker (``manage.py task_worker``) therefore:

- holds a lock for as long as it lives (``boardroom.locks``: released by PostgreSQL or the kernel
  the moment the process dies), named after its worker id;
- at start, and every minute after, puts back in the queue every RUNNING task whose worker no
  longer holds its lock, so another worker runs it again. A task claimed by a worker without
  such a lock (plain ``db_worker``) is put back only once it has run longer than
  BOARDROOM_TASK_LEASE_SECONDS. A task whose workers died BOARDROOM_TASK_MAX_ATTEMPTS times is
  failed instead of being tried forever (a file that kills every worker that opens it);
- then looks for the work itself left half-done (``documents.tasks.recover_stalled``).

Each of Boardroom's tasks is safe to run again: see ``documents.tasks``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from .locks import ProcessLock, is_held

logger = logging.getLogger(__name__)

WORKER_PREFIX = "brw-"


class WorkerDied(Exception):
    """Recorded on a task whose workers kept dying while running it."""


def max_attempts() -> int:
    return int(getattr(settings, "BOARDROOM_TASK_MAX_ATTEMPTS", 3))


def lease_seconds() -> int:
    return int(getattr(settings, "BOARDROOM_TASK_LEASE_SECONDS", 3600))


def new_worker_id() -> str:
    """Unique across machines and restarts; at most 64 characters, as django-tasks-db wants."""
    host = socket.gethostname().split(".")[0][:30]
    return f"{WORKER_PREFIX}{host}-{os.getpid()}-{get_random_string(8)}"


def worker_lock(worker_id: str) -> ProcessLock:
    return ProcessLock(f"worker:{worker_id}")


def worker_alive(worker_id: str) -> bool | None:
    """Whether the worker is alive; None for a worker that keeps no lock (not Boardroom's)."""
    if not worker_id.startswith(WORKER_PREFIX):
        return None
    return is_held(worker_lock(worker_id).name)


def requeue_abandoned(backend_name: str = "default") -> dict[str, int]:
    """Put RUNNING tasks whose worker died back in the queue (or fail them after too many tries)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    counts = {"requeued": 0, "failed": 0}
    lease_start = timezone.now() - dt.timedelta(seconds=lease_seconds())
    running = DBTaskResult.objects.running().filter(backend_name=backend_name)
    for row in running.only("pk", "worker_ids", "started_at"):
        last = row.worker_ids[-1] if row.worker_ids else ""
        alive = worker_alive(last)
        if alive is None:
            alive = row.started_at is not None and row.started_at > lease_start
        if alive:
            continue
        with transaction.atomic():
            task = DBTaskResult.objects.select_for_update().filter(pk=row.pk, status=TaskResultStatus.RUNNING).first()
            if task is None or task.worker_ids != row.worker_ids:
                continue  # finished, or claimed again, meanwhile
            if len(task.worker_ids) >= max_attempts():
                task.set_failed(WorkerDied(f"its worker stopped {len(task.worker_ids)} times while running it"))
                counts["failed"] += 1
                logger.error("Task %s (%s) failed: its workers kept dying", task.pk, task.task_path)
                continue
            task.status = TaskResultStatus.READY
            task.started_at = None
            task.save(update_fields=["status", "started_at"])
            counts["requeued"] += 1
            logger.warning("Task %s (%s) was left by stopped worker %s; queued again", task.pk, task.task_path, last)
    return counts


def recover(backend_name: str = "default") -> dict[str, int]:
    """Everything a worker does about crashes, at start and every minute: tasks, then the work."""
    from documents.tasks import recover_stalled

    counts = requeue_abandoned(backend_name)
    counts.update(recover_stalled())
    return counts
