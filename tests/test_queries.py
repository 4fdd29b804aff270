"""Query counts of the list pages do not grow with their rows (no N+1 queries)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from documents import services as document_services
from meetings import services
from meetings.models import Board, Meeting, Role
from tests.auth import sign_in
from tests.factories import UserFactory
from tests.pdfs import make_pdf

# The meeting page makes about 13 queries today: session, user, the session guard's epoch, the
# policy's grants (memberships, direct and group grants, declarations), then meeting, items,
# papers, comments, votes and voting members. The bound leaves room for a few more constant
# queries, never for one per row. A member's page also looks up their register of interests
# (interests.templatetags: one query, at most three with entries).
MEETING_PAGE_MAX_QUERIES = 17
HOME_PAGE_MAX_QUERIES = 12

PDF = make_pdf(["Paper", "page two"])


@pytest.fixture
def people(db: None) -> dict[str, User]:
    return {
        "admin": UserFactory.create(username="admin", is_staff=True, is_superuser=True),
        "secretary": UserFactory.create(username="secretary"),
        "member": UserFactory.create(username="member"),
        "presenter": UserFactory.create(username="presenter"),
    }


def board_for(people: dict[str, User], slug: str) -> Board:
    admin = people["admin"]
    board = services.board_create(actor=admin, name=f"Board {slug}", slug=slug)
    services.membership_create(actor=admin, board=board, user=people["secretary"], role=Role.SECRETARY)
    services.membership_create(actor=admin, board=board, user=people["member"], role=Role.MEMBER, title="Trustee")
    services.membership_create(actor=admin, board=board, user=people["presenter"], role=Role.MEMBER)
    return board


def meeting_with(people: dict[str, User], board: Board, *, items: int, papers: int, days: int = 7) -> Meeting:
    """A published meeting of ``items`` items (every third a sub-item, every fifth Part B, linked
    and external presenters) with ``papers`` papers each, all uploaded."""
    secretary = people["secretary"]
    meeting = services.meeting_create(
        actor=secretary,
        board=board,
        title=f"Meeting of {items} items",
        starts_at=timezone.now() + dt.timedelta(days=days),
        location="Committee room",
    )
    parent = None
    for n in range(items):
        item = services.agenda_item_add(
            actor=secretary,
            meeting=meeting,
            title=f"Item {n}",
            parent=parent if n % 3 == 2 else None,
            presenter=people["presenter"] if n % 2 else None,
            presenter_name="" if n % 2 else "Guest speaker",
            duration_minutes=10,
            confidential=n % 5 == 4,
            description="Some background.",
        )
        if item.parent_id is None:
            parent = item
        for p in range(papers):
            paper = document_services.paper_create(actor=secretary, item=item, title=f"Paper {n}-{p}")
            document_services.paper_version_add(actor=secretary, paper=paper, data=PDF)
    return services.meeting_publish(actor=secretary, meeting=meeting)


def queries_for(client: Client, url: str) -> tuple[int, str]:
    client.get(url)  # warm-up: first-request caches (content types, permissions) are not per-row work
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_meeting_page_queries_do_not_grow_with_items_and_papers(people: dict[str, User], client: Client) -> None:
    board = board_for(people, "trust")
    small = meeting_with(people, board, items=3, papers=1)
    large = meeting_with(people, board, items=30, papers=3, days=14)
    sign_in(client, people["member"])

    small_count, small_page = queries_for(client, small.get_absolute_url())
    large_count, large_page = queries_for(client, large.get_absolute_url())

    assert "Paper 2-0" in small_page
    assert all(f"Paper {n}-{p}" in large_page for n in range(30) for p in range(3))
    assert large_page.count("Guest speaker") == 15
    assert large_count == small_count, f"{small_count} queries for 3 items, {large_count} for 30 items × 3 papers"
    assert small_count <= MEETING_PAGE_MAX_QUERIES


def test_meeting_page_queries_for_an_observer_match_a_member(people: dict[str, User], client: Client) -> None:
    """Part B filtering happens in SQL, not with a query per hidden item."""
    board = board_for(people, "trust")
    observer = UserFactory.create(username="observer")
    services.membership_create(actor=people["admin"], board=board, user=observer, role=Role.OBSERVER)
    meeting = meeting_with(people, board, items=30, papers=3)

    sign_in(client, people["member"])
    member_count, _ = queries_for(client, meeting.get_absolute_url())
    sign_in(client, observer)
    observer_count, observer_page = queries_for(client, meeting.get_absolute_url())

    assert "Paper 4-0" not in observer_page and "Paper 3-0" in observer_page
    # The same, but for the member's one look at their register of interests (observers have none).
    assert observer_count == member_count - 1


def test_home_page_queries_do_not_grow_with_boards_and_meetings(people: dict[str, User], client: Client) -> None:
    first = board_for(people, "board-0")
    meeting_with(people, first, items=1, papers=0)
    sign_in(client, people["member"])
    one_count, one_page = queries_for(client, "/")

    for n in range(1, 5):
        meeting_with(people, board_for(people, f"board-{n}"), items=1, papers=0, days=7 + n)
    five_count, five_page = queries_for(client, "/")

    assert one_page.count("Meeting of 1 items") == 3  # the "what's new" notice, the next-meeting card, the list
    assert all(f"Board board-{n}" in five_page for n in range(5))
    assert five_page.count("Meeting of 1 items") == 11  # five notices, the next-meeting card, five in the list
    assert five_count == one_count, f"{one_count} queries for 1 board, {five_count} for 5 boards"
    assert one_count <= HOME_PAGE_MAX_QUERIES


def test_board_page_queries_do_not_grow_with_meetings(people: dict[str, User], client: Client) -> None:
    board = board_for(people, "trust")
    meeting_with(people, board, items=1, papers=0)
    sign_in(client, people["member"])
    one_count, _ = queries_for(client, board.get_absolute_url())

    for n in range(1, 6):
        meeting_with(people, board, items=1, papers=0, days=-30 * n)
    six_count, six_page = queries_for(client, board.get_absolute_url())

    assert six_page.count("Meeting of 1 items") == 6
    assert six_count == one_count, f"{one_count} queries for 1 meeting, {six_count} for 6"
