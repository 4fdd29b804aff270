"""A worker that dies mid-task does not leave work stuck: another worker runs the task again, and
each task is safe to run again, so the work is done exactly once (boardroom/taskrecovery.py,
README.md "Background worker and scheduled jobs").

Real ``manage.py task_worker`` processes run against the test database and are killed with
SIGKILL, as the out-of-memory killer or a redeploy would kill them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from boardroom import taskrecovery
from boardroom.models import AuditEvent
from documents import packpdf, packs
from documents.models import BoardPack, PackStatus
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.slow_tasks import note_when_allowed

BASE_DIR = Path(__file__).resolve().parent.parent
WAIT_S = 90.0


def wait_until(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.1)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def database_tasks(settings: Any) -> None:
    """Tasks queued in the test database, as BOARDROOM_TASKS=database does."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class Workers:
    """``task_worker`` processes on the test database; every one still running is killed at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if k != "BOARDROOM_TASKS"}
        env.update(
            DJANGO_SETTINGS_MODULE="tests.worker_settings",
            BOARDROOM_TEST_WORKER_DB=str(connection.settings_dict["NAME"]),
            PYTHONPATH=str(BASE_DIR),
            BOARDROOM_SITE_URL="https://board.example.org",
        )
        log = (self.logs / f"worker-{len(self.started)}.log").open("wb")
        command = [
            sys.executable,
            "manage.py",
            "task_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--recover-every",
            "0",
            *extra,
        ]
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # nosec B603
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


def row_of(result: Any) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=result.id)


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_was_killed_is_finished_by_another_exactly_once(
    database_tasks: None, workers: Workers, tmp_path: Path
) -> None:
    folder = tmp_path / "task"
    folder.mkdir()
    result = note_when_allowed.enqueue(str(folder))

    first = workers.start()
    wait_until("the first worker starts the task", lambda: len(lines(folder / "started")) == 1)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    stuck = row_of(result)
    assert stuck.status == TaskResultStatus.RUNNING  # what a dead worker leaves behind

    (folder / "go").touch()
    workers.start()
    wait_until("another worker finishes the task", lambda: row_of(result).status == TaskResultStatus.SUCCESSFUL)

    done = row_of(result)
    assert done.return_value == "finished"
    assert len(lines(folder / "started")) == 2  # killed once, run again once
    assert len(lines(folder / "finished")) == 1  # and finished exactly once
    assert len(done.worker_ids) == 2 and done.worker_ids[0] != done.worker_ids[1]
    assert all(worker.startswith(taskrecovery.WORKER_PREFIX) for worker in done.worker_ids)


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_is_alive_is_left_alone(database_tasks: None, workers: Workers, tmp_path: Path) -> None:
    folder = tmp_path / "task"
    folder.mkdir()
    result = note_when_allowed.enqueue(str(folder))
    worker = workers.start()
    wait_until("the worker starts the task", lambda: len(lines(folder / "started")) == 1)

    assert taskrecovery.requeue_abandoned() == {"requeued": 0, "failed": 0}
    assert row_of(result).status == TaskResultStatus.RUNNING

    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert taskrecovery.requeue_abandoned() == {"requeued": 1, "failed": 0}
    assert row_of(result).status == TaskResultStatus.READY


@pytest.mark.django_db(transaction=True)
def test_a_task_that_keeps_killing_its_workers_is_failed_not_retried_forever(database_tasks: None) -> None:
    result = note_when_allowed.enqueue("/nonexistent")
    dead = [f"{taskrecovery.WORKER_PREFIX}gone-{n}" for n in range(taskrecovery.max_attempts())]
    DBTaskResult.objects.filter(pk=result.id).update(status=TaskResultStatus.RUNNING, worker_ids=dead)

    assert taskrecovery.requeue_abandoned() == {"requeued": 0, "failed": 1}
    failed = row_of(result)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.exception_class_path == "boardroom.taskrecovery.WorkerDied"


@pytest.mark.django_db(transaction=True)
def test_a_claim_by_a_worker_without_a_lock_is_requeued_only_after_the_lease(
    database_tasks: None, settings: Any
) -> None:
    """Plain ``db_worker`` keeps no lock: its claims are trusted for BOARDROOM_TASK_LEASE_SECONDS."""
    from django.utils import timezone

    result = note_when_allowed.enqueue("/nonexistent")
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=["plain-db-worker"], started_at=timezone.now()
    )
    assert taskrecovery.requeue_abandoned()["requeued"] == 0
    settings.BOARDROOM_TASK_LEASE_SECONDS = 0
    assert taskrecovery.requeue_abandoned()["requeued"] == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_scheduled_jobs_and_prunes_old_task_rows(database_tasks: None, workers: Workers) -> None:
    import datetime as dt

    from django.utils import timezone

    old = note_when_allowed.enqueue("/nonexistent")
    recent = note_when_allowed.enqueue("/nonexistent")
    DBTaskResult.objects.filter(pk=old.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - dt.timedelta(days=30)
    )
    DBTaskResult.objects.filter(pk=recent.id).update(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())

    workers.start("--scheduled-every", "0.2")
    wait_until("the worker prunes the month-old row", lambda: not DBTaskResult.objects.filter(pk=old.id).exists())
    assert DBTaskResult.objects.filter(pk=recent.id).exists()  # kept for BOARDROOM_TASK_RESULT_DAYS


def _die_mid_build(monkeypatch: pytest.MonkeyPatch, meeting_id: int) -> BoardPack:
    """Start a build and stop it half-way as a killed process would: no clean-up, the lock gone."""

    class Killed(BaseException):
        pass

    real_assemble = packpdf.assemble
    calls = {"n": 0}

    def assemble_then_die(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 1:
            raise Killed
        return real_assemble(*args, **kwargs)

    monkeypatch.setattr(packpdf, "assemble", assemble_then_die)
    with pytest.raises(Killed):
        packs.pack_build(meeting_id)
    monkeypatch.setattr(packpdf, "assemble", real_assemble)
    left = BoardPack.objects.filter(meeting_id=meeting_id).order_by("-revision").first()
    assert left is not None and left.status == PackStatus.BUILDING
    assert left.copies.count() == 1  # one cut stored before it died
    return left


def test_a_build_that_died_is_finished_by_the_next_run_exactly_once(
    world: BoardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    left = _die_mid_build(monkeypatch, world.meeting.pk)
    compiled_before = AuditEvent.objects.filter(action="pack.compiled").count()

    again = packs.pack_build(world.meeting.pk)

    assert again is not None and again.pk == left.pk  # the same revision, resumed
    assert again.status == PackStatus.READY
    assert BoardPack.objects.filter(meeting=world.meeting).count() == 1
    assert AuditEvent.objects.filter(action="pack.compiled").count() == compiled_before + 1
    assert again.copies.filter(reader__isnull=True).count() >= 2
    # Once more: nothing changed, nothing is compiled.
    assert packs.pack_build(world.meeting.pk) == again
    assert AuditEvent.objects.filter(action="pack.compiled").count() == compiled_before + 1


def test_the_secretary_sees_a_build_that_died_as_failed_and_can_compile_again(
    world: BoardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    left = _die_mid_build(monkeypatch, world.meeting.pk)
    secretary = sign_in(Client(), world.secretary)

    panel = secretary.get(f"/meetings/{world.meeting.pk}/pack/status/")
    assert panel.status_code == 200
    text = panel.content.decode()
    assert "Compiling" not in text
    assert f"Revision {left.revision} could not be compiled" in text
    assert packs.STOPPED.split(";")[0] in text
    assert f'action="/meetings/{world.meeting.pk}/pack/compile/"' in text

    answer = secretary.post(f"/meetings/{world.meeting.pk}/pack/compile/")
    assert answer.status_code in (200, 302)
    current = packs.current_pack(world.meeting)
    assert current is not None and current.revision == left.revision + 1


def test_a_build_in_progress_is_not_mistaken_for_a_dead_one(world: BoardWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    left = _die_mid_build(monkeypatch, world.meeting.pk)
    with packs.build_lock(world.meeting.pk):  # a living build holds it
        assert packs.settle_stalled(world.meeting) == 0
        left.refresh_from_db()
        assert left.status == PackStatus.BUILDING
    assert packs.settle_stalled(world.meeting) == 1
    left.refresh_from_db()
    assert left.status == PackStatus.FAILED


def test_recovery_redoes_a_dead_build_of_a_published_meeting(
    world: BoardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tasks in process (no worker): ``recover_tasks`` fails the dead revision and builds anew."""
    from django.core.management import call_command

    left = _die_mid_build(monkeypatch, world.meeting.pk)
    call_command("recover_tasks")
    left.refresh_from_db()
    assert left.status == PackStatus.FAILED
    current = packs.current_pack(world.meeting)
    assert current is not None and current.revision == left.revision + 1


def test_ingest_runs_once_while_another_process_holds_the_version(world: BoardWorld) -> None:
    from documents import tasks
    from documents.models import VersionStatus

    version = world.public_paper.latest_version()
    assert version is not None
    version.status = VersionStatus.PROCESSING
    version.save(update_fields=["status"])
    with tasks.ingest_lock(version.pk):
        assert tasks.ingest_version.call(version.pk) == VersionStatus.PROCESSING.value
    version.refresh_from_db()
    assert version.status == VersionStatus.PROCESSING  # left to the process that holds it


def test_a_dead_build_whose_task_is_queued_again_is_left_for_that_task_to_resume(
    world: BoardWorld, monkeypatch: pytest.MonkeyPatch, database_tasks: None
) -> None:
    """After a worker died mid-build its task is re-queued; the sweep that follows must not fail
    the revision the re-run will finish."""
    from documents import tasks

    left = _die_mid_build(monkeypatch, world.meeting.pk)
    tasks.build_pack.enqueue(world.meeting.pk, None)  # the re-queued task, waiting for a worker

    counts = tasks.recover_stalled()
    left.refresh_from_db()
    assert left.status == PackStatus.BUILDING
    assert counts["packs_failed"] == 0

    DBTaskResult.objects.all().delete()  # no task any more: now it is stalled for good
    counts = tasks.recover_stalled()
    left.refresh_from_db()
    assert left.status == PackStatus.FAILED and counts["packs_failed"] == 1
