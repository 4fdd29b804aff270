"""Keeping the index in step: a paper's current version (a row per page), and an item's minute,
decisions and actions. Each function replaces the rows of one paper or one set of minutes, so
running it twice (a retried task) leaves the same index. Deleted papers, items and minutes take
their rows with them (foreign keys cascade; the full-text side follows by generated column or
trigger)."""

from __future__ import annotations

from django.db import transaction

from documents.models import PageText, Paper, VersionStatus
from minutes.models import ActionItem, Decision, MinuteItem, Minutes
from minutes.text import html_to_text

from .models import EntryKind, SearchEntry

BATCH = 500


@transaction.atomic
def index_paper(paper_id: int) -> int:
    """Index the pages of the paper's current version (none if it has no ready version)."""
    SearchEntry.objects.filter(kind=EntryKind.PAGE, paper_id=paper_id).delete()
    paper = Paper.objects.select_related("current_version", "item__meeting").filter(pk=paper_id).first()
    if paper is None or paper.current_version is None or paper.current_version.status != VersionStatus.READY:
        return 0
    board_id = paper.item.meeting.board_id
    pages = PageText.objects.filter(version_id=paper.current_version_id).only("pk", "number", "text")
    rows = [
        SearchEntry(
            kind=EntryKind.PAGE,
            object_id=page.pk,
            board_id=board_id,
            item_id=paper.item_id,
            paper_id=paper.pk,
            page=page.number,
            title=paper.title[:300],
            body=page.text,
        )
        for page in pages.iterator(chunk_size=BATCH)
    ]
    SearchEntry.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


@transaction.atomic
def index_minutes(minutes_id: int) -> int:
    """Index every item's minute, decisions and actions of one set of minutes."""
    SearchEntry.objects.filter(minute_item__minutes_id=minutes_id).delete()
    minutes = Minutes.objects.select_related("meeting").filter(pk=minutes_id).first()
    if minutes is None:
        return 0
    board_id = minutes.meeting.board_id
    rows: list[SearchEntry] = []
    entries = MinuteItem.objects.filter(minutes=minutes).select_related("item")
    for entry in entries:
        title = f"{entry.item.number} {entry.item.title}".strip()[:300]
        text = html_to_text(entry.body)
        if text:
            rows.append(_row(EntryKind.MINUTE, entry.pk, entry, board_id, title, text))
    for decision in Decision.objects.filter(entry__minutes=minutes).select_related("entry__item"):
        title = f"Decision: {decision.entry.item.title}"[:300]
        rows.append(_row(EntryKind.DECISION, decision.pk, decision.entry, board_id, title, decision.text))
    for action in ActionItem.objects.filter(entry__minutes=minutes).select_related("entry__item", "owner"):
        owner = action.owner.get_full_name() if action.owner else ""
        title = f"Action: {action.entry.item.title}"[:300]
        body = f"{action.description}\n{owner}".strip()
        rows.append(_row(EntryKind.ACTION, action.pk, action.entry, board_id, title, body))
    SearchEntry.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _row(kind: str, object_id: int, entry: MinuteItem, board_id: int, title: str, body: str) -> SearchEntry:
    return SearchEntry(
        kind=kind,
        object_id=object_id,
        board_id=board_id,
        item_id=entry.item_id,
        minute_item_id=entry.pk,
        title=title,
        body=body,
    )


def reindex_all() -> int:
    """Rebuild the whole index (``manage.py search_reindex``)."""
    total = 0
    for paper_id in Paper.objects.values_list("pk", flat=True).iterator():
        total += index_paper(paper_id)
    for minutes_id in Minutes.objects.values_list("pk", flat=True).iterator():
        total += index_minutes(minutes_id)
    return total
