"""SQLite search ranks a bounded window of FTS5's best matches, then filters it by the policy.

Whatever the window's size (growing from one row, or giving up to the full ranked join), the
page is the same: no hidden hit can push a visible one off it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from search import backends, selectors
from search.models import EntryKind, SearchEntry
from tests.conftest import BoardWorld
from tests.test_search import indexed  # noqa: F401 — the fixture

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the window is SQLite's")


def page(user: Any, query: str) -> list[tuple[int, str]]:
    return [(r.entry.pk, str(r.hit.snippet)) for r in selectors.search(user, query)]


@pytest.fixture
def ospreys(indexed: BoardWorld) -> BoardWorld:  # noqa: F811
    """Thirty Part B pages that outrank everything, then twenty-five public pages."""
    common = {"kind": EntryKind.PAGE, "board": indexed.board}
    SearchEntry.objects.bulk_create(
        [
            SearchEntry(
                **common,
                object_id=10_000 + n,
                item=indexed.part_b_item,
                paper=indexed.part_b_paper,
                page=n,
                title="Osprey osprey",
                body="osprey " * 30,
            )
            for n in range(30)
        ]
        + [
            SearchEntry(
                **common,
                object_id=20_000 + n,
                item=indexed.public_item,
                paper=indexed.public_paper,
                page=n,
                title=f"Appendix {n}",
                body="one osprey " + "filler " * (10 + 7 * n),
            )
            for n in range(25)
        ]
    )
    return indexed


@pytest.mark.parametrize(("first", "largest"), [(200, 20_000), (1, 20_000), (3, 20_000), (7, 10), (1, 1)])
def test_any_window_gives_the_same_page(
    ospreys: BoardWorld, monkeypatch: pytest.MonkeyPatch, first: int, largest: int
) -> None:
    hidden = set(SearchEntry.objects.filter(item=ospreys.part_b_item).values_list("pk", flat=True))
    monkeypatch.setattr(backends.SqliteBackend, "MAX_WINDOW", 0)  # the full ranked join
    expected = {user: page(user, "osprey") for user in (ospreys.observer, ospreys.member)}
    assert len(expected[ospreys.observer]) == 20
    assert not hidden & {pk for pk, _ in expected[ospreys.observer]}
    assert hidden & {pk for pk, _ in expected[ospreys.member]}  # the member sees Part B
    assert all("<mark>" in snippet for _, snippet in expected[ospreys.observer])

    monkeypatch.setattr(backends.SqliteBackend, "FIRST_WINDOW", first)
    monkeypatch.setattr(backends.SqliteBackend, "MAX_WINDOW", largest)
    for user, wanted in expected.items():
        assert page(user, "osprey") == wanted
