"""Crawl the whole public site as a visitor and assert nothing private is anywhere in it.

Starting at /public/, every link, feed entry, enclosure and download under /public/ is fetched;
each page, feed, calendar and PDF (its text) is searched for Part B papers and decisions,
drafts, member comments and private annotations, unpublished questions and any email.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pypdfium2 as pdfium
import pytest
from django.test import Client

from meetings.models import PublicPartB
from public import selectors
from tests.conftest import BoardWorld
from tests.downloads import fetch_presigned
from tests.public_support import forbidden_strings, open_to_the_public

SITE = "http://127.0.0.1:8000"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.found.append(value)


def _links(content_type: str, body: bytes) -> list[str]:
    if content_type.startswith("text/html"):
        parser = Links()
        parser.feed(body.decode())
        return parser.found
    if "xml" in content_type:
        return [a or b for a, b in re.findall(r'(?:href|url)="([^"]+)"|<link>([^<]+)</link>', body.decode())]
    if content_type.startswith("text/calendar"):
        return re.findall(r"URL:(\S+)", body.decode().replace("\r\n ", ""))
    return []


def _text(content_type: str, body: bytes) -> str:
    if content_type == "application/pdf":
        doc = pdfium.PdfDocument(body)
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    return body.decode()


def crawl(client: Client, start: str = "/public/") -> dict[str, tuple[int, str, bytes]]:
    seen: dict[str, tuple[int, str, bytes]] = {}
    queue = [start]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url)
        body = (
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
            if response.streaming
            else response.content
        )
        content_type = response.get("Content-Type", "")
        if response.status_code == 302 and "X-Amz-Signature=" in response["Location"]:
            # A file on S3: what the visitor's browser gets from the presigned link.
            seen[url] = (302, "application/pdf", fetch_presigned(response["Location"]))
            continue
        seen[url] = (response.status_code, content_type, body)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        for link in _links(content_type, body):
            link = urldefrag(link.removeprefix(SITE))[0]
            if urlparse(link).netloc or not link.startswith("/public/"):
                continue
            queue.append(link)
    return seen


@pytest.mark.parametrize("part_b", [PublicPartB.TITLE, PublicPartB.HIDDEN])
def test_the_whole_public_site_shows_nothing_private(world: BoardWorld, part_b: str) -> None:
    extras = open_to_the_public(world)
    world.board.public_part_b = part_b
    world.board.paper_saved_public = True
    world.board.save(update_fields=["public_part_b", "paper_saved_public"])
    pages = crawl(Client())

    meeting_page = selectors.meeting_url(world.meeting)
    expected = {
        "/public/",
        "/public/riverside/",
        meeting_page,
        selectors.paper_url(world.public_paper, world.board),
        "/public/riverside/feed.rss",
        "/public/riverside/feed.atom",
        "/public/riverside/meetings.ics",
        f"/public/riverside/decisions/{extras.decision.pk}/",
        f"/public/riverside/meetings/{world.meeting.pk}/items/{world.public_item.pk}/ask/",
    }
    assert expected <= set(pages), sorted(set(pages))
    # 302 only for a file on S3 (its presigned link, fetched above); anything else is a page.
    assert all(status in (200, 301, 302) for status, _, _ in pages.values()), {
        url: status for url, (status, _, _) in pages.items() if status not in (200, 301, 302)
    }
    assert all(status != 302 or url.endswith(".pdf") for url, (status, _, _) in pages.items())

    forbidden = forbidden_strings(world)
    if part_b == PublicPartB.HIDDEN:
        forbidden.append(world.part_b_item.title.replace("'", "&#x27;"))
        forbidden.append(world.part_b_item.title)
    part_b_sha = world.part_b_paper.current_version.sha256  # type: ignore[union-attr]
    for url, (_, content_type, body) in pages.items():
        assert hashlib.sha256(body).hexdigest() != part_b_sha, url
        text = _text(content_type, body)
        for secret in forbidden:
            assert secret not in text, (url, secret)
    # What the public should find is there.
    assert extras.approved.text in pages[meeting_page][2].decode()
    assert "Accounts" in _text("application/pdf", pages[selectors.paper_url(world.public_paper, world.board)][2])


def test_the_crawl_would_notice_a_leak(world: BoardWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """The crawl can fail: a policy that lets Part B items through puts the Part B paper on the site."""
    from boardroom import policy

    open_to_the_public(world)
    original = policy._public_q

    def leaky(model: type, prefix: str = "") -> object:
        from django.db.models import Q

        from meetings.models import AgendaItem

        if model is AgendaItem:
            return original(model, prefix) | Q(**{f"{prefix}confidential": True})
        return original(model, prefix)

    monkeypatch.setattr(policy, "_public_q", leaky)
    pages = crawl(Client())
    leaked = [url for url, (_, ct, body) in pages.items() if world.part_b_paper.title in _text(ct, body)]
    assert leaked
