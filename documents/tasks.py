"""The background half of a paper upload: check, convert, clean and index it, or refuse it.

``ingest_version`` runs in a task worker (or in process, with the immediate backend). It never
parses the upload itself: it copies the stored original into a private work folder and runs
``python -m documents.ingest`` there, in a child process with an address-space and CPU limit,
a wall-clock timeout that kills the child's whole process group, and an environment without
any credentials. Then it stores what the child made (the clean rendition and thumbnail sprites,
under server-made keys) and records the outcome through the services. A refusal deletes the
original and anything stored for the version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tasks import task

from boardroom.locks import ProcessLock, is_held

from . import ingest, services
from .models import PaperVersion, VersionStatus, thumbnail_storage_key

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHUNK = 1024 * 1024


def ingest_timeout() -> float:
    return float(getattr(settings, "BOARDROOM_INGEST_TIMEOUT", 300))


def ingest_memory_mb() -> int:
    return int(getattr(settings, "BOARDROOM_INGEST_MEMORY_MB", 2048))


@task()
def ingest_version(version_id: int) -> str:
    """Check and convert one uploaded version; returns its final status.

    Safe to run twice, or again after a worker died half-way: a version already checked is left
    alone, and while one living process checks a version (it holds the version's lock) another
    run leaves it to them.
    """
    lock = ingest_lock(version_id)
    if not lock.acquire(blocking=False):
        return VersionStatus.PROCESSING.value
    try:
        return ingest_now(version_id)
    finally:
        lock.release()


def ingest_lock(version_id: int) -> ProcessLock:
    """Held while a process checks the version; released if that process dies."""
    return ProcessLock(f"ingest:{version_id}")


def ingest_now(version_id: int) -> str:
    version = PaperVersion.objects.select_related("paper").filter(pk=version_id).first()
    if version is None:
        return "missing"
    if version.status != VersionStatus.PROCESSING:
        return str(version.status)  # a retried task finds the work done
    made: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="boardroom-ingest-") as tmp:
            workdir = Path(tmp)
            try:
                original_sha256, head = _fetch_original(version, workdir / "original")
                outcome = run_child(workdir, kind=ingest.sniff(head))
                if not outcome.get("ok"):
                    raise ingest.Refusal(str(outcome.get("reason") or ingest.FAILED))
                sha256, size, thumbnails = _store_outputs(version, workdir, outcome, made)
            except ingest.Refusal as refusal:
                services.delete_stored(made)
                services.paper_version_refuse(version=version, reason=str(refusal))
                return VersionStatus.REFUSED.value
            if outcome.get("kind") != ingest.PDF:
                version.content_type = str(outcome.get("content_type", ""))[:100]
            services.paper_version_ready(
                version=version,
                texts=outcome["texts"],
                sha256=sha256,
                size=size,
                stripped=outcome.get("stripped", []),
                repaired=bool(outcome.get("repaired")),
                ocr=str(outcome.get("ocr", "")),
                thumbnails=thumbnails,
                original_sha256=original_sha256,
                document_title=str(outcome.get("title") or ""),
            )
            return VersionStatus.READY.value
    except Exception:
        logger.exception("Ingest of paper version %s failed", version_id)
        services.delete_stored(made)
        version.refresh_from_db()
        services.paper_version_refuse(version=version, reason=ingest.FAILED)
        return VersionStatus.REFUSED.value


def _fetch_original(version: PaperVersion, dest: Path) -> tuple[str, bytes]:
    """Copy the stored original into the work folder (within the size limit): (sha256, first bytes)."""
    limit: int = settings.BOARDROOM_MAX_UPLOAD_BYTES
    digest = hashlib.sha256()
    head = b""
    size = 0
    with version.original.open("rb") as src, dest.open("wb") as out:
        while chunk := src.read(CHUNK):
            if not head:
                head = chunk[: services.SNIFF_BYTES]
            size += len(chunk)
            if size > limit:
                raise ingest.Refusal(ingest.too_large(size, limit))
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise ingest.Refusal("This file is empty (0 bytes): upload the paper again.")
    return digest.hexdigest(), head


_RESOURCE_DEATHS = {-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS, -signal.SIGILL, -signal.SIGTRAP, -signal.SIGKILL}


def run_child(workdir: Path, *, kind: str, max_pages: int | None = None, jobs: int = 0) -> dict[str, Any]:
    """Run the ingest child on ``workdir`` with memory, CPU and wall-clock limits; its result."""
    timeout = ingest_timeout()
    cmd = [
        sys.executable,
        "-E",
        "-s",
        "-m",
        "documents.ingest",
        str(workdir),
        "--kind",
        kind,
        "--max-pages",
        str(max_pages if max_pages is not None else settings.BOARDROOM_MAX_UPLOAD_PAGES),
        "--memory-mb",
        str(ingest_memory_mb()),
        "--timeout",
        str(timeout),
        "--jobs",
        str(jobs),
        *([] if getattr(settings, "BOARDROOM_CONVERTER_SANDBOX", True) else ["--no-sandbox"]),
    ]
    try:
        done = ingest.run_with_timeout(cmd, timeout=timeout + 10, cwd=PROJECT_DIR, env=ingest.child_env(workdir))
    except subprocess.TimeoutExpired:
        raise ingest.Refusal(ingest.TOO_SLOW) from None
    result_file = workdir / "result.json"
    if done.returncode == 0 and result_file.exists():
        result: dict[str, Any] = json.loads(result_file.read_text())
        return result
    stderr = done.stderr.decode("utf-8", "replace")[-2000:]
    if done.returncode == -signal.SIGXCPU:  # over its CPU time
        raise ingest.Refusal(ingest.TOO_SLOW)
    # Over its address-space limit: Python raises MemoryError, C++ throws std::bad_alloc and,
    # uncaught, aborts (SIGABRT); C libraries may crash or trap instead. SIGKILL here is the
    # kernel's out-of-memory killer (the wall-clock timeout is handled above, the CPU limit
    # sends SIGXCPU first). Such an upload is almost always a decompression bomb.
    if "MemoryError" in stderr or "bad_alloc" in stderr or done.returncode in _RESOURCE_DEATHS:
        raise ingest.Refusal(ingest.TOO_BIG_IN_MEMORY)
    logger.warning("Ingest child exited with %s: %s", done.returncode, stderr)
    raise ingest.Refusal(ingest.FAILED)


def _store_outputs(
    version: PaperVersion, workdir: Path, outcome: dict[str, Any], made: list[str]
) -> tuple[str, int, dict[str, Any]]:
    """Store the rendition and the thumbnail sprites; every key stored goes into ``made``."""
    rendition = workdir / "rendition.pdf"
    digest = hashlib.sha256()
    with rendition.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
        fh.seek(0)
        version.file.save("paper.pdf", File(fh), save=False)
    made.append(version.file.name or "")
    thumbs = outcome.get("thumbnails") or {}
    sprites: list[str] = []
    for index, name in enumerate(thumbs.get("sprites", [])):
        path = workdir / Path(name).name  # only files the child wrote into the work folder
        with path.open("rb") as fh:
            key = default_storage.save(thumbnail_storage_key(version.paper_id, index), File(fh))
        made.append(key)
        sprites.append(key)
    thumbnails = {"width": thumbs.get("width"), "sprites": sprites, "cells": thumbs.get("cells", [])} if sprites else {}
    return digest.hexdigest(), rendition.stat().st_size, thumbnails


@task()
def build_pack(meeting_id: int, actor_id: int | None = None) -> str:
    """Compile the meeting's board pack if it changed; returns the revision's status."""
    from django.contrib.auth.models import User

    from . import packs

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    pack = packs.pack_build(meeting_id, actor=actor)
    return str(pack.status) if pack is not None else "missing"


@task()
def carry_annotations(paper_id: int) -> int:
    """Re-anchor the paper's annotations on its new current version; returns how many moved."""
    from . import annotating

    return annotating.carry_forward(paper_id=paper_id)


# --- after a crash -------------------------------------------------------------------------------

# A version uploaded this recently may still be on its way to a worker (queued after commit).
RECOVERY_GRACE_SECONDS = 120
STOPPED_CHECKING = "The check of this file stopped before it finished, twice. Upload it again."


def _task_rows(task_obj: Any, first_arg: int) -> Any:
    """The database backend's rows of ``task_obj`` called with ``first_arg`` (none with another backend)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_obj.get_backend(), DatabaseBackend):
        return DBTaskResult.objects.none()
    return DBTaskResult.objects.filter(task_path=task_obj.module_path, args_kwargs__args__0=first_arg)


def recover_stalled() -> dict[str, int]:
    """Find work left half-done by a process that died and have it redone, or say it failed.

    - A version still "processing" that no living process is checking and no queued task will
      check is checked again once; if that also stopped, it is refused with a clear message (the
      secretary uploads it again).
    - A pack revision still "compiling" that no living build holds and no queued build will
      resume is marked failed (the builder offers "Compile again") and, for a published meeting,
      a new build is queued.

    README.md, "Background worker and scheduled jobs", says where this runs.
    """
    from django_tasks_db.compat import TaskResultStatus

    from meetings.models import Meeting, MeetingStatus

    from . import packs
    from .models import BoardPack, PackStatus

    counts = {"versions_rerun": 0, "versions_refused": 0, "packs_failed": 0, "packs_queued": 0}
    pending = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
    cutoff = timezone.now() - dt.timedelta(seconds=RECOVERY_GRACE_SECONDS)
    for version in PaperVersion.objects.filter(status=VersionStatus.PROCESSING, uploaded_at__lt=cutoff):
        if is_held(ingest_lock(version.pk).name):
            continue
        tries = _task_rows(ingest_version, version.pk)
        if tries.filter(status__in=pending).exists():
            continue  # queued, or its worker is alive (a dead one's task is re-queued by the worker)
        if tries.count() < 2:
            logger.warning("Paper version %s was left unchecked; checking it again", version.pk)
            ingest_version.enqueue(version.pk)
            counts["versions_rerun"] += 1
        else:
            services.paper_version_refuse(version=version, reason=STOPPED_CHECKING)
            counts["versions_refused"] += 1
    meeting_ids = set(BoardPack.objects.filter(status=PackStatus.BUILDING).values_list("meeting_id", flat=True))
    for meeting in Meeting.objects.filter(pk__in=meeting_ids):
        if _task_rows(build_pack, meeting.pk).filter(status__in=pending).exists():
            continue  # a queued (or re-queued) build picks the revision up and finishes it
        settled = packs.settle_stalled(meeting)
        if not settled:
            continue
        counts["packs_failed"] += settled
        logger.warning("A board pack build of meeting %s had stopped; marked failed", meeting.pk)
        if meeting.status != MeetingStatus.DRAFT:
            packs.enqueue_build(meeting.pk, now=True)
            counts["packs_queued"] += 1
    return counts
