"""The search page: one box over papers (per page), minutes, decisions and actions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from boardroom import audit
from meetings import selectors as meeting_selectors

from . import selectors
from .backends import MAX_QUERY_CHARS


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    boards = list(meeting_selectors.boards_for(request.user))
    raw_board = request.GET.get("board", "")
    board_id: int | None = None
    if raw_board:
        if not raw_board.isdigit() or int(raw_board) not in {b.pk for b in boards}:
            raise Http404("No such page.")
        board_id = int(raw_board)
    if len(query) > MAX_QUERY_CHARS:
        return render(
            request,
            "search/search.html",
            {"query": query[:MAX_QUERY_CHARS], "boards": boards, "board_id": board_id, "too_long": True},
            status=400,
        )
    results = selectors.search(request.user, query, board_id=board_id) if query else []
    _record_snippets(request, results)
    return render(
        request,
        "search/search.html",
        {"query": query, "boards": boards, "board_id": board_id, "results": results, "searched": bool(query)},
    )


def _record_snippets(request: HttpRequest, results: list[selectors.Result]) -> None:
    """Snippets show text of papers and minutes: each search that shows some is audited, one
    entry per board, naming what was revealed (never the query or the text)."""
    shown: dict[int, list[dict[str, int | str | None]]] = {}
    for result in results:
        entry = result.entry
        shown.setdefault(entry.board_id, []).append(
            {"kind": entry.kind, "id": entry.object_id, "paper": entry.paper_id, "page": entry.page}
        )
    for board_id, hits in shown.items():
        audit.record("search.snippets", actor=request.user, board_id=board_id, request=request, hits=hits)
