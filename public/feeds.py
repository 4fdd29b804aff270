"""RSS and Atom feeds of a public board: new meetings, public papers and approved minutes.

Built on Django's syndication framework. Entries come only through the public selectors (so
through ``policy.public_visible``); a board without a public site is a 404 here too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed, SyndicationFeed

from meetings.models import Board, MeetingStatus

from . import minutes_hook, selectors
from .views import _board

ENTRIES = 50


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    link: str
    description: str
    published: dt.datetime
    enclosure: Enclosure | None = None


def board_entries(board: Board) -> list[Entry]:
    site = settings.BOARDROOM_SITE_URL
    entries: list[Entry] = []
    meetings = list(selectors.public_meetings(board).order_by("-created_at")[:ENTRIES])
    for meeting in meetings:
        start = selectors.local_start(meeting)
        entries.append(
            Entry(
                guid=f"{site}/public/meeting/{meeting.pk}",
                title=f"Meeting: {meeting.title}, {start:%A} {start.day} {start:%B %Y}",
                link=site + selectors.meeting_url(meeting),
                description=f"{board.name} meets on {start:%A} {start.day} {start:%B %Y} at {start:%H:%M}"
                + (f", {meeting.location}" if meeting.location else "")
                + ". The agenda and public papers are on the meeting page.",
                published=meeting.created_at,
            )
        )
    for paper in selectors.recent_papers(board, ENTRIES):
        version = paper.current_version
        if version is None:  # pragma: no cover - public papers always have one
            continue
        meeting = paper.item.meeting
        url = selectors.paper_url(paper, board)
        entries.append(
            Entry(
                guid=f"{site}/public/paper/{paper.pk}/v{version.number}",
                title=f"Paper: {paper.title} ({meeting.title}, item {paper.item.number})",
                link=site + url,
                description=f"{version.page_count} page{'s' if version.page_count != 1 else ''}, PDF. "
                f"For item {paper.item.number} “{paper.item.title}” of {meeting.title}.",
                published=version.processed_at or version.uploaded_at,
                enclosure=Enclosure(site + url, str(version.size), "application/pdf"),
            )
        )
    held = [m for m in meetings if m.status == MeetingStatus.MINUTED]
    for meeting in held:
        minutes = minutes_hook.approved_minutes(meeting)
        if minutes is None or minutes.approved_on is None:
            continue
        # The moment the approval was recorded; a provider that gives only the day stands at the
        # start of it, so a feed's Last-Modified never lies in the future.
        approved = minutes.approved_at or dt.datetime.combine(minutes.approved_on, dt.time(0, 0), tzinfo=dt.UTC)
        entries.append(
            Entry(
                guid=f"{site}/public/minutes/{meeting.pk}",
                title=f"Approved minutes: {meeting.title}",
                link=site + selectors.meeting_url(meeting) + "#minutes",
                description=f"The minutes of {meeting.title} were approved on {minutes.approved_on:%d %B %Y}.",
                published=approved,
            )
        )
    entries.sort(key=lambda entry: entry.published, reverse=True)
    return entries[:ENTRIES]


class BoardFeed(Feed[Entry, Board]):
    feed_type: type[SyndicationFeed] = Rss201rev2Feed

    def get_object(self, request: HttpRequest, board_slug: str) -> Board:  # type: ignore[override]
        return _board(board_slug)

    def title(self, board: Board) -> str:
        return f"{board.name}: meetings, papers and minutes"

    def link(self, board: Board) -> str:
        return settings.BOARDROOM_SITE_URL + reverse("public:board", args=[board.slug])

    def author_name(self, board: Board) -> str:
        """Who publishes the feed (Atom requires an author): the organisation, else the board."""
        return board.organisation or board.name

    def author_link(self, board: Board) -> str:
        return self.link(board)

    def description(self, board: Board) -> str:
        return f"New meetings, public papers and approved minutes of {board.name}" + (
            f" ({board.organisation})" if board.organisation else ""
        )

    def items(self, board: Board) -> list[Entry]:
        return board_entries(board)

    def item_title(self, item: Entry) -> str:
        return item.title

    def item_description(self, item: Entry) -> str:
        return item.description

    def item_link(self, item: Entry) -> str:
        return item.link

    def item_guid(self, item: Entry) -> str:
        return item.guid

    def item_guid_is_permalink(self, item: Entry) -> bool:
        return False

    def item_pubdate(self, item: Entry) -> dt.datetime:
        return item.published

    def item_updateddate(self, item: Entry) -> dt.datetime:
        return item.published

    def item_enclosures(self, item: Entry) -> list[Enclosure]:
        return [item.enclosure] if item.enclosure else []


class BoardAtomFeed(BoardFeed):
    feed_type = Atom1Feed

    def subtitle(self, board: Board) -> str:
        return self.description(board)
