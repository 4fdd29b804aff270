"""The embedded mode's task thread: enqueueing returns at once, the work runs after, in due order."""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.utils import timezone
from django_tasks import task

from boardroom import thread_tasks

RAN: list[str] = []
GATE = threading.Event()


@task()
def record(name: str) -> str:
    GATE.wait(10)
    RAN.append(name)
    return name


@task()
def explode() -> None:
    raise RuntimeError("this task fails")


def wait_idle(limit: float = 10) -> None:
    deadline = time.monotonic() + limit
    while not thread_tasks.WORKER.idle() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_enqueue_returns_before_the_task_runs_and_due_order_is_kept(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "boardroom.thread_tasks.ThreadBackend"}}
    RAN.clear()
    GATE.clear()
    later = record.using(run_after=timezone.now() + dt.timedelta(seconds=0.3))
    try:
        later.enqueue("deferred")
        record.enqueue("first")
        record.enqueue("second")
        assert RAN == []  # the request would have returned by now: the task waits on the gate
    finally:
        GATE.set()
    wait_idle()
    assert RAN == ["first", "second", "deferred"]


def test_a_failing_task_does_not_stop_the_thread(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "boardroom.thread_tasks.ThreadBackend"}}
    GATE.set()
    wait_idle()
    RAN.clear()
    failing = explode.enqueue()
    after = record.enqueue("after")
    wait_idle()
    assert failing.status == "FAILED"
    assert after.status == "SUCCESSFUL"
    assert RAN == ["after"]
