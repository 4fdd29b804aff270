"""Search, as the user may see it: the policy's filter inside the ranking query."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from boardroom import policy
from boardroom.policy import AnyUser

from .backends import Hit, backend
from .models import EntryKind, SearchEntry


@dataclass
class Result:
    hit: Hit
    entry: SearchEntry
    url: str


def search(user: AnyUser, query: str, *, board_id: int | None = None, limit: int = 20) -> list[Result]:
    """The best ``limit`` hits for ``query`` among what ``user`` may see (optionally on one board)."""
    entries = policy.visible(user, SearchEntry.objects.all())
    if board_id is not None:
        entries = entries.filter(board_id=board_id)
    hits = backend().search(entries, query, limit=limit)
    if not hits:
        return []
    rows = SearchEntry.objects.select_related("item__meeting__board", "paper").in_bulk([h.entry_id for h in hits])
    return [Result(hit, rows[hit.entry_id], url_of(rows[hit.entry_id])) for hit in hits if hit.entry_id in rows]


def url_of(entry: SearchEntry) -> str:
    if entry.kind == EntryKind.PAGE and entry.paper_id is not None:
        return f"{reverse('paper_read', args=[entry.paper_id])}#page={entry.page or 1}"
    meeting_id = entry.item.meeting_id
    if entry.kind == EntryKind.ACTION:
        return f"{reverse('minutes', args=[meeting_id])}#action-{entry.object_id}"
    return f"{reverse('minutes', args=[meeting_id])}#minute-{entry.item_id}"
