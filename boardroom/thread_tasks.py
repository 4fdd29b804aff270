"""A task backend for the embedded mode: tasks run in one background thread of the web process.

Like the database queue in production, a request that enqueues a task (an upload's checks, a
board pack's build) returns at once and the work is done after it; unlike it, nothing is kept
if the process stops (the embedded mode's trade: no service to run). Deferred tasks
(``run_after``, which the pack build uses to gather a burst of changes into one build) wait
in the thread's queue until they are due. Tasks run one at a time, in due order.

Chosen with ``BOARDROOM_TASKS=thread`` (``make run`` does; README.md, "Performance").
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from datetime import datetime
from typing import Any, TypeVar

from django.db import connections
from django.utils import timezone
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from typing_extensions import ParamSpec

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


class _Worker:
    """One daemon thread running queued task results as they fall due."""

    def __init__(self) -> None:
        self._due: list[tuple[datetime, int, ThreadBackend, TaskResult[Any]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = 0

    def put(self, when: datetime, backend: ThreadBackend, result: TaskResult[Any]) -> None:
        with self._wake:
            heapq.heappush(self._due, (when, next(self._order), backend, result))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="boardroom-tasks", daemon=True)
                self._thread.start()
            self._wake.notify()

    def idle(self) -> bool:
        """Nothing queued and nothing running (for tests and the bench)."""
        with self._wake:
            return not self._due and not self._running

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due or self._due[0][0] > timezone.now():
                    wait = (self._due[0][0] - timezone.now()).total_seconds() if self._due else None
                    self._wake.wait(timeout=wait)
                _when, _n, backend, result = heapq.heappop(self._due)
                self._running += 1
            try:
                backend._execute_task(result)  # records failures on the result, like the queue
            except Exception:  # noqa: BLE001 — the thread must outlive any one task
                logger.exception("Background task %s failed", result.task.name)
            finally:
                connections.close_all()  # this thread's connections only
                with self._wake:
                    self._running -= 1


WORKER = _Worker()


class ThreadBackend(ImmediateBackend):
    supports_defer = True

    def enqueue(
        self,
        task: Task[P, T],
        args: P.args,  # type: ignore[valid-type]
        kwargs: P.kwargs,  # type: ignore[valid-type]
    ) -> TaskResult[T]:
        self.validate_task(task)
        result: TaskResult[T] = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        WORKER.put(task.run_after or timezone.now(), self, result)
        return result
