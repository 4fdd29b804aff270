"""One search interface, two back ends: PostgreSQL full-text search and SQLite FTS5.

Both take the permission filter as part of the one SQL query that ranks and limits, so a hit the
user may not see can never push a visible one out of the first page (nothing is filtered after
the LIMIT). Snippets are made for the rows on the page only.

The user's words are never passed to the database as query syntax: PostgreSQL parses them with
``websearch_to_tsquery`` (words are ANDed, "quoted words" are a phrase), and for FTS5 they are
split here into words and quoted phrases, each sent as a quoted string.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

from .models import SearchEntry

# Snippet markers: control characters that never occur in indexed text, swapped for <mark> after
# the snippet has been HTML-escaped.
START, STOP = "\x02", "\x03"
MAX_QUERY_CHARS = 200
_WORD = re.compile(r"\w+", re.UNICODE)
_PHRASE = re.compile(r'"([^"]*)"')


@dataclass
class Hit:
    entry_id: int
    kind: str
    title: str
    rank: float
    snippet: SafeString


def highlight(raw: str) -> SafeString:
    escaped = html.escape(raw or "")
    return mark_safe(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308  # nosec B703 B308


def parse(query: str) -> tuple[list[str], list[list[str]]]:
    """The words and the quoted phrases of a query, lower-cased."""
    query = (query or "")[:MAX_QUERY_CHARS]
    phrases = [_WORD.findall(p.lower()) for p in _PHRASE.findall(query)]
    rest = _PHRASE.sub(" ", query)
    words = _WORD.findall(rest.lower())
    return words, [p for p in phrases if p]


class Backend(Protocol):
    name: str

    def search(self, entries: QuerySet[SearchEntry], query: str, *, limit: int = 20) -> list[Hit]: ...

    def probe(self, query: str) -> int: ...


PG_RANK = "ts_rank(search_searchentry.search_vector, websearch_to_tsquery('english', %s))"
PG_MATCH = "search_searchentry.search_vector @@ websearch_to_tsquery('english', %s)"
PG_HEADLINES = (
    "SELECT id, kind, title, ts_headline('english', body, websearch_to_tsquery('english', %s), %s) "
    "FROM search_searchentry WHERE id = ANY(%s)"
)
PG_PROBE = "SELECT count(*) FROM search_searchentry WHERE search_vector @@ websearch_to_tsquery('english', %s)"


class PostgresBackend:
    """``tsvector`` column (generated, GIN-indexed), ``ts_rank`` over weighted title/body, ``ts_headline``."""

    name = "postgresql"

    def search(self, entries: QuerySet[SearchEntry], query: str, *, limit: int = 20) -> list[Hit]:
        words, phrases = parse(query)
        if not words and not phrases:
            return []
        text = query[:MAX_QUERY_CHARS]
        ranked = (
            entries.annotate(rank=RawSQL(PG_RANK, [text]))  # noqa: S611 — constant SQL, the words are a parameter
            .extra(where=[PG_MATCH], params=[text])  # noqa: S610 — constant SQL, the words are a parameter
            .order_by("-rank", "pk")
            .values_list("pk", "rank")[:limit]
        )
        with transaction.atomic():
            # With a plain index scan on the board the planner checks every row of the visible
            # boards against the query, reading each vector; a bitmap AND of the GIN index and the
            # board index reads only the matches, two to three times faster on common words.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_indexscan = off")
            top = list(ranked)
        if not top:
            return []
        ids = [pk for pk, _ in top]
        options = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter= … "
        with connection.cursor() as cursor:
            cursor.execute(PG_HEADLINES, [text, options, ids])
            rows = {row[0]: row for row in cursor.fetchall()}
        return [Hit(pk, rows[pk][1], rows[pk][2], float(rank), highlight(rows[pk][3])) for pk, rank in top]

    def probe(self, query: str) -> int:
        """Matches in the whole index: no permission filter, no ranking (the bench's floor)."""
        with connection.cursor() as cursor:
            cursor.execute(PG_PROBE, [query])
            return int(cursor.fetchone()[0])


def fts5_query(query: str) -> str:
    """The FTS5 MATCH expression for the user's words: every word and phrase, quoted, ANDed."""
    words, phrases = parse(query)
    parts = [f'"{w}"' for w in words] + ['"' + " ".join(p) + '"' for p in phrases]
    return " AND ".join(parts)


FTS_TOP = (
    "SELECT rowid, rank FROM search_fts WHERE search_fts MATCH %s AND rank MATCH 'bm25(10.0, 1.0)'"
    " ORDER BY rank LIMIT %s"
)
FTS_SNIPPETS = (
    "SELECT rowid, snippet(search_fts, 1, char(2), char(3), ' … ', 24) FROM search_fts"
    " WHERE search_fts MATCH %s AND rowid IN ({ids})"
)


class SqliteBackend:
    """FTS5 with ``bm25`` (title weighted 10, body 1) and ``snippet``.

    FTS5 ranks its own matches fastest on its own (``ORDER BY rank LIMIT n`` keeps only the best
    ``n`` while it scores), so the ranking runs there over a bounded window of the best matches,
    and the permission filter then runs on that window only. The result is exact: when the
    window holds ``limit`` visible rows, no visible row outside it can rank above them; when it
    does not, the window grows, and past ``MAX_WINDOW`` the one query that joins, filters and
    ranks everything answers instead. Snippets are made for the rows on the page only.
    """

    name = "sqlite"
    FIRST_WINDOW = 200
    MAX_WINDOW = 20_000

    def search(self, entries: QuerySet[SearchEntry], query: str, *, limit: int = 20) -> list[Hit]:
        match = fts5_query(query)
        if not match:
            return []
        top = self._windowed(entries, match, limit)
        if top is None:
            top = list(
                entries.extra(  # noqa: S610 — constant SQL, the query is a parameter
                    tables=["search_fts"],
                    where=["search_fts.rowid = search_searchentry.id", "search_fts MATCH %s"],
                    params=[match],
                    select={"rank": "bm25(search_fts, 10.0, 1.0)"},
                )
                .order_by("rank", "pk")
                .values_list("pk", "rank")[:limit]
            )
        if not top:
            return []
        ids = [pk for pk, _rank in top]
        rows = {
            pk: (kind, title)
            for pk, kind, title in SearchEntry.objects.filter(pk__in=ids).values_list("pk", "kind", "title")
        }
        with connection.cursor() as cursor:
            # The ids are integers from the database, never user input.
            cursor.execute(FTS_SNIPPETS.format(ids=",".join(str(int(pk)) for pk in ids)), [match])  # nosec B608
            snippets = dict(cursor.fetchall())
        return [
            Hit(pk, rows[pk][0], rows[pk][1], -float(rank), highlight(snippets.get(pk, "")))
            for pk, rank in top
            if pk in rows
        ]

    def _windowed(self, entries: QuerySet[SearchEntry], match: str, limit: int) -> list[tuple[int, float]] | None:
        """The best ``limit`` visible (id, bm25) pairs, or None when the window grew too large."""
        window = self.FIRST_WINDOW
        while window <= self.MAX_WINDOW:
            with connection.cursor() as cursor:
                cursor.execute(FTS_TOP, [match, window])
                best = cursor.fetchall()
            if not best:
                return []
            seen = set(entries.filter(pk__in=[pk for pk, _ in best]).values_list("pk", flat=True))
            found = sorted(((pk, rank) for pk, rank in best if pk in seen), key=lambda row: (row[1], row[0]))
            if len(found) >= limit or len(best) < window:
                return found[:limit]
            window *= 5
        return None

    def probe(self, query: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH %s", [fts5_query(query)])
            return int(cursor.fetchone()[0])


def backend() -> Any:
    """The back end for the database in use."""
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()
