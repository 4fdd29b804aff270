"""The public site: pages, downloads, feeds, calendar and social cards, for boards that opt in."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

import feedparser
import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from meetings.models import MeetingStatus, PublicPartB
from public import selectors
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.downloads import pdf_bytes
from tests.public_support import PART_B_DECISION, PublicExtras, open_to_the_public


@pytest.fixture
def extras(world: BoardWorld) -> PublicExtras:
    return open_to_the_public(world)


def board_url(world: BoardWorld) -> str:
    return f"/public/{world.board.slug}/"


def meeting_url(world: BoardWorld) -> str:
    world.meeting.refresh_from_db()
    return selectors.meeting_url(world.meeting)


def paper_url(world: BoardWorld, paper: Any) -> str:
    return selectors.paper_url(paper, world.board)


def test_a_new_board_is_private(db: None) -> None:
    from meetings.models import Board

    assert Board().public_site is False


def test_nothing_is_public_until_the_board_opts_in(world: BoardWorld) -> None:
    client = Client()
    urls = [
        board_url(world),
        meeting_url(world),
        f"/public/{world.board.slug}/meetings/{world.meeting.pk}/",
        paper_url(world, world.public_paper),
        f"/public/{world.board.slug}/feed.rss",
        f"/public/{world.board.slug}/feed.atom",
        f"/public/{world.board.slug}/meetings.ics",
        f"/public/{world.board.slug}/decisions/",
        f"/public/{world.board.slug}/meetings/{world.meeting.pk}/items/{world.public_item.pk}/ask/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert world.board.name not in client.get("/public/").content.decode()


def test_board_page_shows_the_next_meeting_and_is_cacheable(world: BoardWorld, extras: PublicExtras) -> None:
    response = Client().get(board_url(world))
    body = response.content.decode()
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "ETag" in response
    assert "Next meeting" in body and world.meeting.title in body
    assert meeting_url(world) in body
    assert world.draft.title not in body
    assert "That the management accounts to February be received" in body
    # A second visit with the ETag costs nothing.
    again = Client().get(board_url(world), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_signed_in_visitor_gets_the_same_page_marked_private(world: BoardWorld, extras: PublicExtras) -> None:
    client = Client()
    sign_in(client, world.member)
    response = client.get(board_url(world))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert world.member.email not in response.content.decode()


def test_meeting_page_shows_the_public_agenda_papers_questions_and_decisions(
    world: BoardWorld, extras: PublicExtras
) -> None:
    body = Client().get(meeting_url(world)).content.decode()
    assert world.public_item.title in body
    assert paper_url(world, world.public_paper) in body
    assert world.public_paper.title in body
    assert extras.approved.text in body and extras.approved.answer in body and "Jo Citizen" in body
    assert extras.pending.text not in body and extras.rejected.text not in body
    assert extras.approved.email not in body
    assert "carried" in body.lower()
    # Part B: the title, marked exempt; never its papers or decisions.
    assert "Chief executive&#x27;s pay" in body and "Exempt — not for publication" in body
    assert world.part_b_paper.title not in body and PART_B_DECISION not in body
    assert f"/public/{world.board.slug}/meetings/{world.meeting.pk}/items/{world.part_b_item.pk}/ask/" not in body


def test_part_b_can_be_left_out_entirely(world: BoardWorld, extras: PublicExtras) -> None:
    world.board.public_part_b = PublicPartB.HIDDEN
    world.board.save(update_fields=["public_part_b"])
    body = Client().get(meeting_url(world)).content.decode()
    assert "Chief executive" not in body and "Exempt" not in body


def test_meeting_address_is_stable_and_human(world: BoardWorld, extras: PublicExtras) -> None:
    url = meeting_url(world)
    day = selectors.local_start(world.meeting).date().isoformat()
    assert url == f"/public/riverside/meetings/{world.meeting.pk}/{day}-march-board-meeting/"
    short = Client().get(f"/public/riverside/meetings/{world.meeting.pk}/")
    assert short.status_code == 301 and short["Location"] == url
    # Renamed: the old address still leads to the meeting.
    world.meeting.title = "Spring board meeting"
    world.meeting.save(update_fields=["title"])
    moved = Client().get(url)
    assert moved.status_code == 301 and moved["Location"].endswith(f"{day}-spring-board-meeting/")


def test_meeting_and_decision_pages_carry_social_card_metadata(world: BoardWorld, extras: PublicExtras) -> None:
    start = selectors.local_start(world.meeting)
    date = f"{start:%A} {start.day} {start:%B %Y}"
    body = Client().get(meeting_url(world)).content.decode()
    assert f'<meta property="og:title" content="Riverside Trust: March board meeting — {date}">' in body
    assert f'<meta property="og:url" content="http://127.0.0.1:8000{meeting_url(world)}">' in body
    assert '<meta name="twitter:card" content="summary">' in body
    assert f'<link rel="canonical" href="http://127.0.0.1:8000{meeting_url(world)}">' in body
    decision = Client().get(f"/public/riverside/decisions/{extras.decision.pk}/")
    assert decision.status_code == 200
    text = decision.content.decode()
    assert '<meta property="og:title" content="Riverside Trust: decision on “Finance report” — ' in text
    assert date in text
    assert "Carried" in text and "<td>4</td>" in text


def test_part_b_and_draft_objects_are_404_on_the_public_site(world: BoardWorld, extras: PublicExtras) -> None:
    client = Client()
    draft_slug = "x"
    assert client.get(paper_url(world, world.part_b_paper)).status_code == 404
    assert client.get(f"/public/riverside/meetings/{world.draft.pk}/{draft_slug}/").status_code == 404
    assert client.get(f"/public/riverside/decisions/{extras.part_b_decision.pk}/").status_code == 404
    # Another board's objects are not reached through this board's address.
    assert client.get(f"/public/riverside/meetings/{world.other_meeting.pk}/").status_code == 404
    # Nonsense is a 404 too, never a 500.
    assert client.get("/public/riverside/meetings/99999999999999999999/x/").status_code == 404
    assert client.get("/public/no-such-board/").status_code == 404


def test_public_paper_download_is_the_members_pdf_and_cacheable(world: BoardWorld, extras: PublicExtras) -> None:
    response = Client().get(paper_url(world, world.public_paper))
    if response.status_code == 302:  # files on S3: a presigned link whose answer is cacheable
        assert "response-cache-control=public" in unquote(response["Location"]).lower()
    else:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "public" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]
        assert response["ETag"] == f'"{world.public_paper.current_version.sha256}"'  # type: ignore[union-attr]
    assert pdf_bytes(response).startswith(b"%PDF")
    # The members' download stays private.
    client = Client()
    sign_in(client, world.member)
    members = client.get(f"/papers/{world.public_paper.pk}/pdf")
    assert "private" in members["Cache-Control"]


def test_feeds_are_valid_rss_and_atom_with_meetings_and_papers(world: BoardWorld, extras: PublicExtras) -> None:
    for kind in ("rss", "atom"):
        response = Client().get(f"/public/riverside/feed.{kind}")
        assert response.status_code == 200
        assert "public" in response["Cache-Control"]
        feed = feedparser.parse(response.content)
        assert feed.bozo == 0, feed.get("bozo_exception")
        assert feed.version == ("rss20" if kind == "rss" else "atom10")
        titles = [entry.title for entry in feed.entries]
        assert any(world.meeting.title in title for title in titles), titles
        assert any(world.public_paper.title in title for title in titles), titles
        assert not any(world.part_b_paper.title in title for title in titles)
        assert not any(world.draft.title in title for title in titles)
        paper_entry = next(entry for entry in feed.entries if world.public_paper.title in entry.title)
        assert paper_entry.link == "http://127.0.0.1:8000" + paper_url(world, world.public_paper)
        enclosures = [link for link in paper_entry.links if link.get("rel") == "enclosure"]
        assert enclosures and enclosures[0]["type"] == "application/pdf"
        assert all(entry.get("published") for entry in feed.entries)
        if kind == "atom":
            # RFC 4287: an atom:feed without an author on every entry must have one itself.
            root = ElementTree.fromstring(response.content)
            author = root.find("{http://www.w3.org/2005/Atom}author/{http://www.w3.org/2005/Atom}name")
            assert author is not None and author.text == (world.board.organisation or world.board.name)
        modified = response.get("Last-Modified")
        assert modified is None or parsedate_to_datetime(modified) <= timezone.now()


def test_public_calendar_parses_and_leaves_out_drafts_and_video_links(world: BoardWorld, extras: PublicExtras) -> None:
    world.meeting.video_url = "https://video.example.org/members-only"
    world.meeting.save(update_fields=["video_url"])
    response = Client().get("/public/riverside/meetings.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert [str(event["summary"]) for event in events] == ["Riverside Trust: March board meeting"]
    assert str(events[0]["url"]) == "http://127.0.0.1:8000" + meeting_url(world)
    assert events[0].decoded("dtstart") == world.meeting.starts_at.replace(microsecond=0)
    assert b"members-only" not in response.content
    single = Client().get(f"/public/riverside/meetings/{world.meeting.pk}.ics")
    assert len(Calendar.from_ical(single.content).walk("VEVENT")) == 1


def test_decisions_page_lists_public_decisions_only(world: BoardWorld, extras: PublicExtras) -> None:
    body = Client().get("/public/riverside/decisions/").content.decode()
    assert extras.decision.text in body
    assert PART_B_DECISION not in body


def test_index_lists_public_boards_only(world: BoardWorld, extras: PublicExtras) -> None:
    body = Client().get("/public/").content.decode()
    assert "Riverside Trust" in body and "Hillside Trust" not in body


def test_meeting_page_query_count_does_not_grow_with_the_agenda(
    world: BoardWorld, extras: PublicExtras, django_assert_max_num_queries: Any
) -> None:
    from meetings import services

    url = meeting_url(world)
    with django_assert_max_num_queries(12):
        Client().get(url)
    for n in range(8):
        services.agenda_item_add(actor=world.secretary, meeting=world.meeting, title=f"Extra item {n}")
    with django_assert_max_num_queries(12):
        assert Client().get(url).status_code == 200


def test_past_meetings_are_listed_as_held_and_take_no_questions(world: BoardWorld, extras: PublicExtras) -> None:
    world.meeting.starts_at = timezone.now() - dt.timedelta(days=3)
    world.meeting.status = MeetingStatus.CLOSED
    world.meeting.save(update_fields=["starts_at", "status"])
    body = Client().get(meeting_url(world)).content.decode()
    assert "Held" in body
    assert "Ask a question" not in body
    # The answer given at the meeting shows on the page afterwards.
    assert extras.approved.answer in body
    board = Client().get(board_url(world)).content.decode()
    assert "No meeting is scheduled yet" in board and "Past meetings" in board
