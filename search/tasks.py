"""Incremental indexing in the background: a paper when a version becomes current, minutes when saved."""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task

from . import indexing

logger = logging.getLogger(__name__)


@task()
def index_paper(paper_id: int) -> int:
    return indexing.index_paper(paper_id)


@task()
def index_minutes(minutes_id: int) -> int:
    return indexing.index_minutes(minutes_id)


def _enqueue(job: object, object_id: int) -> None:
    try:
        job.enqueue(object_id)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 — the change itself is committed; a reindex catches up
        logger.exception("Could not queue search indexing of %s", object_id)


def schedule_paper(paper_id: int) -> None:
    """After this transaction commits, index the paper's current version."""
    transaction.on_commit(lambda: _enqueue(index_paper, paper_id))


def schedule_minutes(minutes_id: int) -> None:
    """After this transaction commits, index the minutes (once per transaction is enough)."""
    transaction.on_commit(lambda: _enqueue(index_minutes, minutes_id))
