"""Search over papers (per page), minutes, decisions and actions, filtered by the policy in the query.

These run on whichever database the suite runs on: SQLite FTS5 (``make test``) or PostgreSQL
full-text search (``make test-services``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from documents import services as document_services
from documents.models import PageText, Paper, PaperVersion
from meetings.models import MeetingStatus
from minutes import services as minutes_services
from minutes.models import MinuteItem
from search import backends, indexing, selectors
from search.models import EntryKind, SearchEntry
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.factories import MeetingFactory
from tests.pdfs import make_text_pdf


def titles(user: Any, query: str, **kwargs: Any) -> list[str]:
    return [f"{r.entry.kind}:{r.hit.title}:{r.entry.page or ''}" for r in selectors.search(user, query, **kwargs)]


def found(user: Any, query: str) -> set[str]:
    return {r.entry.kind for r in selectors.search(user, query)}


@pytest.fixture
def indexed(world: BoardWorld) -> BoardWorld:
    """The world's papers with words on their pages, minutes with words, all indexed."""
    document_services.paper_version_add(
        actor=world.secretary,
        paper=world.public_paper,
        data=make_text_pdf([["Income and expenditure"], ["The heron reserve grew by four percent"]]),
    )
    document_services.paper_version_add(
        actor=world.secretary,
        paper=world.part_b_paper,
        data=make_text_pdf([["Salary benchmarking"], ["The heron bonus scheme is withdrawn"]]),
    )
    other_item = world.other_meeting.items.create(title="Hillside finance", sort_key="0001", number="1")
    other_paper = Paper.objects.create(item=other_item, title="Hillside accounts")
    version = PaperVersion.objects.create(paper=other_paper, number=1, status="ready", page_count=1)
    PageText.objects.create(version=version, number=1, text="The heron sanctuary on Hillside land")
    Paper.objects.filter(pk=other_paper.pk).update(current_version=version)
    minutes = minutes_services.minutes_start(actor=world.secretary, meeting=world.meeting)
    public_entry = MinuteItem.objects.get(minutes=minutes, item=world.public_item)
    part_b_entry = MinuteItem.objects.get(minutes=minutes, item=world.part_b_item)
    minutes_services.minute_save(
        actor=world.secretary,
        entry=public_entry,
        body="<p>The auditors praised the <b>kingfisher</b> ledger.</p>",
        decisions="Resolved that the kingfisher ledger is adopted",
        base_version=1,
    )
    minutes_services.minute_save(
        actor=world.secretary,
        entry=part_b_entry,
        body="<p>The kingfisher pay award was debated in private.</p>",
        base_version=1,
    )
    minutes_services.action_add(
        actor=world.secretary,
        entry=public_entry,
        description="Publish the kingfisher ledger",
        owner=world.member,
        due=None,
    )
    indexing.reindex_all()
    return world


def test_member_finds_pages_with_page_numbers_and_links(indexed: BoardWorld) -> None:
    results = selectors.search(indexed.member, "heron reserve")
    assert [(r.entry.kind, r.entry.page) for r in results] == [(EntryKind.PAGE, 2)]
    assert results[0].url.endswith(f"/papers/{indexed.public_paper.pk}/read#page=2")
    assert "<mark>" in results[0].hit.snippet and "heron" in results[0].hit.snippet.lower()


def test_part_b_pages_are_hidden_from_those_without_part_b(indexed: BoardWorld) -> None:
    assert "page:Pay review:2" in titles(indexed.member, "heron")
    assert titles(indexed.observer, "bonus") == []
    assert all("Pay review" not in t for t in titles(indexed.observer, "heron"))
    assert titles(indexed.observer, "heron") == ["page:Accounts:2"]


def test_recused_member_finds_nothing_of_their_item(indexed: BoardWorld) -> None:
    assert titles(indexed.recused, "reserve") == []
    assert titles(indexed.recused, "heron") == ["page:Pay review:2"]


def test_nothing_of_another_board(indexed: BoardWorld) -> None:
    assert all("Hillside" not in t for t in titles(indexed.member, "heron"))
    assert titles(indexed.outsider, "heron") == ["page:Hillside accounts:1"]
    assert titles(indexed.member, "heron", board_id=indexed.other_board.pk) == []


def test_draft_minutes_are_found_only_by_those_who_manage(indexed: BoardWorld) -> None:
    assert found(indexed.secretary, "kingfisher") == {EntryKind.MINUTE, EntryKind.DECISION, EntryKind.ACTION}
    assert found(indexed.member, "kingfisher") == set()
    minutes = indexed.meeting.minutes
    from meetings import services as meeting_services

    meeting_services.meeting_advance(actor=indexed.chair, meeting=indexed.meeting, to=MeetingStatus.LIVE)
    meeting_services.meeting_advance(actor=indexed.chair, meeting=indexed.meeting, to=MeetingStatus.CLOSED)
    minutes_services.minutes_circulate(actor=indexed.secretary, minutes=minutes)
    indexing.index_minutes(minutes.pk)
    assert found(indexed.member, "kingfisher") == {EntryKind.MINUTE, EntryKind.DECISION, EntryKind.ACTION}
    member_minutes = [
        r.entry.item_id for r in selectors.search(indexed.member, "kingfisher") if r.entry.kind == "minute"
    ]
    assert sorted(member_minutes) == sorted([indexed.public_item.pk, indexed.part_b_item.pk])
    # Part B minute hidden from the observer; the recused member misses the item they are recused from.
    assert {r.entry.item_id for r in selectors.search(indexed.observer, "kingfisher")} == {indexed.public_item.pk}
    assert {r.entry.item_id for r in selectors.search(indexed.recused, "kingfisher")} == {indexed.part_b_item.pk}
    assert selectors.search(indexed.outsider, "kingfisher") == []


def test_filter_is_inside_the_query_not_after_the_limit(indexed: BoardWorld) -> None:
    """Thirty better-ranked Part B hits cannot push the observer's one visible hit off the page."""
    rows = [
        SearchEntry(
            kind=EntryKind.PAGE,
            object_id=10_000 + n,
            board=indexed.board,
            item=indexed.part_b_item,
            paper=indexed.part_b_paper,
            page=n,
            title="Osprey osprey osprey",
            body="osprey " * 30,
        )
        for n in range(30)
    ]
    SearchEntry.objects.bulk_create(rows)
    SearchEntry.objects.create(
        kind=EntryKind.PAGE,
        object_id=20_000,
        board=indexed.board,
        item=indexed.public_item,
        paper=indexed.public_paper,
        page=9,
        title="Appendix",
        body="one osprey among many other words " + "filler " * 200,
    )
    assert titles(indexed.observer, "osprey") == ["page:Appendix:9"]
    assert len(selectors.search(indexed.member, "osprey")) == 20


def test_phrase_and_and_queries(indexed: BoardWorld) -> None:
    assert titles(indexed.member, '"heron reserve"') == ["page:Accounts:2"]
    assert titles(indexed.member, '"reserve heron"') == []
    assert titles(indexed.member, "heron withdrawn") == ["page:Pay review:2"]


@pytest.mark.parametrize(
    "query", ['"', "AND OR NOT", "heron*", "NEAR(heron", "title:heron", "-heron", "'; DROP", "((", "ü"]
)
def test_query_syntax_never_breaks_search(indexed: BoardWorld, query: str) -> None:
    response = sign_in(Client(), indexed.member).get("/search/", {"q": query})
    assert response.status_code == 200


def test_search_page(indexed: BoardWorld) -> None:
    client = sign_in(Client(), indexed.member)
    body = client.get("/search/", {"q": "heron"}).content.decode()
    assert f"/papers/{indexed.public_paper.pk}/read#page=2" in body and "<mark>heron</mark>" in body.lower()
    assert client.get("/search/", {"q": "x" * 500}).status_code == 400
    assert client.get("/search/", {"q": "heron", "board": str(indexed.other_board.pk)}).status_code == 404
    assert client.get("/search/", {"q": "heron", "board": "abc"}).status_code == 404
    assert Client().get("/search/?q=heron").status_code == 302


def test_indexing_follows_new_versions_and_deletions(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        document_services.paper_version_add(
            actor=world.secretary, paper=world.public_paper, data=make_text_pdf([["Cormorant audit"]])
        )
    assert titles(world.member, "cormorant") == ["page:Accounts:1"]
    with django_capture_on_commit_callbacks(execute=True):
        document_services.paper_version_add(
            actor=world.secretary, paper=world.public_paper, data=make_text_pdf([["Pelican audit"], ["p2"]])
        )
    assert titles(world.member, "cormorant") == [] and titles(world.member, "pelican") == ["page:Accounts:1"]
    with django_capture_on_commit_callbacks(execute=True):
        document_services.paper_delete(actor=world.secretary, paper=world.public_paper)
    assert titles(world.member, "pelican") == []
    assert not SearchEntry.objects.filter(paper_id=world.public_paper.pk).exists()


def test_minute_saves_are_indexed_in_the_background(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> None:
    minutes = minutes_services.minutes_start(actor=world.secretary, meeting=world.meeting)
    entry = MinuteItem.objects.get(minutes=minutes, item=world.public_item)
    with django_capture_on_commit_callbacks(execute=True):
        minutes_services.minute_save(actor=world.secretary, entry=entry, body="<p>Avocet</p>", base_version=1)
    assert found(world.secretary, "avocet") == {EntryKind.MINUTE}


def test_probe_counts_every_match_unfiltered(indexed: BoardWorld) -> None:
    assert backends.backend().probe("heron") == 3
    assert backends.backend().name == ("postgresql" if connection.vendor == "postgresql" else "sqlite")


def test_later_meeting_minutes_of_other_board_invisible(indexed: BoardWorld) -> None:
    later = MeetingFactory.create(board=indexed.other_board, title="Hillside later", status=MeetingStatus.PUBLISHED)
    assert later.pk and titles(indexed.member, "Hillside") == []
