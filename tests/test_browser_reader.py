"""The reader on an iPad: PDF.js opens the paper, highlights and notes are kept on the server,
shared ones reach the other members and private ones do not, and a new version of the paper
carries a highlight to the same sentence on its new page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.pdfs import make_text_pdf

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

IPAD_PRO = {"width": 1024, "height": 1366}
TARGET = "The reserves policy target is three months of operating spending."


def report(insert_above: int = 0) -> bytes:
    filler = [f"Paragraph {n} of the finance report sets out the figures for the quarter." for n in range(1, 9)]
    pages = [[f"Page {n} heading", *filler] for n in range(1, 9)]
    pages[4] = ["Reserves", "The board reviewed its reserves in October.", TARGET, "It will review them again."]
    for extra in range(insert_above):
        pages.insert(2, [f"New section {extra + 1}", "A paragraph inserted by the finance team."])
    return make_text_pdf(pages)


@pytest.fixture
def paper(site: Site) -> Any:
    from documents import services as document_services

    world = site.world
    paper = document_services.paper_create(actor=world.secretary, item=world.public_item, title="Finance report")
    document_services.paper_version_add(actor=world.secretary, paper=paper, data=report())
    paper.refresh_from_db()
    return paper


def _open(site: Site, page: Page, paper: Any, at: int = 1) -> None:
    page.goto("about:blank")  # a new document even when only the #page changes
    page.goto(site.at(f"/papers/{paper.pk}/read#page={at}"))
    page.locator("[data-reader][data-ready=true]").wait_for(timeout=30_000)
    page.locator(f'.page[data-page-number="{at}"][data-loaded=true] .textLayer span').first.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")


def _select(page: Page, number: int, text: str) -> None:
    """Select ``text`` in the page's text layer, as a long press and drag would."""
    page.evaluate(
        """([number, text]) => {
            const layer = document.querySelector(`.page[data-page-number="${number}"] .textLayer`);
            const walker = document.createTreeWalker(layer, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const at = node.textContent.indexOf(text);
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + text.length);
                    const selection = window.getSelection();
                    selection.removeAllRanges();
                    selection.addRange(range);
                    return true;
                }
            }
            throw new Error("text not found on the page");
        }""",
        [number, text],
    )


def _highlight(page: Page, number: int, text: str) -> None:
    """Select the text and tap the Highlight button that appears beside it."""
    button = page.locator("[data-mark-selection]")
    for _attempt in range(3):
        _select(page, number, text)
        try:
            button.wait_for(state="visible", timeout=3_000)
            break
        except Exception:  # noqa: BLE001 — the page re-rendered under the selection: select again
            continue
    button.tap()


def _marks(page: Page, number: int) -> int:
    return page.locator(f'.page[data-page-number="{number}"] .marks-layer .mark-highlight').count()


def test_highlight_and_note_survive_a_reload_and_sharing_follows_the_choice(site: Site, paper: Any) -> None:
    context = site.context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    site.sign_in(page, "member")
    _open(site, page, paper, at=5)
    assert page.locator("[data-page-input]").input_value() == "5"
    site.screenshot(page, "reader-page-5-820x1180")

    # A private highlight.
    _highlight(page, 5, TARGET)
    page.locator("[data-status]", has_text="only you").wait_for()
    # A shared note on the same page.
    page.get_by_role("button", name="Note", exact=True).tap()
    box = page.locator('.page[data-page-number="5"]').bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    page.get_by_label("Your note").fill("What does three months cover?")
    page.locator("[data-note-share]").check()
    page.get_by_role("button", name="Save note").tap()
    page.locator("[data-status]", has_text="shared with the board").wait_for()

    page.reload()
    _open(site, page, paper, at=5)
    page.locator('.page[data-page-number="5"] .marks-layer .mark-highlight').first.wait_for()
    assert _marks(page, 5) >= 1
    assert page.locator('.page[data-page-number="5"] .mark-note').count() == 1
    site.screenshot(page, "reader-annotated-820x1180")
    context.close()

    # Another member sees the shared note, not the private highlight.
    other = site.context(IPAD_PRO)
    chair_page = other.new_page()
    chair_page.on("pageerror", lambda error: errors.append(str(error)))
    site.sign_in_with_code(chair_page, "chair")
    _open(site, chair_page, paper, at=5)
    chair_page.locator('.page[data-page-number="5"] .mark-note').wait_for()
    assert _marks(chair_page, 5) == 0
    chair_page.get_by_role("button", name=re.compile("Pages")).tap()
    chair_page.get_by_role("tab", name="Notes").tap()
    assert "What does three months cover?" in chair_page.locator("[data-notes]").inner_text()
    site.screenshot(chair_page, "reader-notes-panel-1024x1366")
    other.close()
    assert not errors, errors


def test_a_new_version_keeps_the_highlight_on_the_same_sentence(site: Site, paper: Any) -> None:
    from documents import services as document_services
    from documents.models import Annotation

    context = site.context()
    page = context.new_page()
    site.sign_in(page, "member")
    _open(site, page, paper, at=5)
    _highlight(page, 5, TARGET)
    page.locator("[data-status]", has_text="only you").wait_for()

    document_services.paper_version_add(actor=site.world.secretary, paper=paper, data=report(insert_above=1))
    carried = Annotation.objects.filter(version__number=2).get()
    assert carried.page == 6 and not carried.orphaned

    _open(site, page, paper, at=6)
    page.locator('.page[data-page-number="6"] .marks-layer .mark-highlight').first.wait_for()
    # The mark sits over the sentence: its box overlaps the text of the target line.
    mark = page.locator('.page[data-page-number="6"] .mark-highlight').first.bounding_box()
    line = page.locator('.page[data-page-number="6"] .textLayer span', has_text="reserves policy target").first
    text_box = line.bounding_box()
    assert mark is not None and text_box is not None
    assert abs((mark["y"] + mark["height"] / 2) - (text_box["y"] + text_box["height"] / 2)) < text_box["height"]
    assert _marks(page, 5) == 0
    site.screenshot(page, "reader-carried-820x1180")
    context.close()


def test_search_thumbnails_page_mode_and_the_last_page_is_remembered(site: Site, paper: Any) -> None:
    context = site.context(IPAD_PRO)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    site.sign_in(page, "member")
    _open(site, page, paper)

    # Search inside the paper.
    page.get_by_role("button", name="Search").tap()
    page.get_by_label("Search this paper").fill("reserves policy")
    page.locator("[data-search-count]", has_text="of 1").wait_for(timeout=15_000)
    page.locator('.page[data-page-number="5"] .textLayer .highlight').first.wait_for(timeout=15_000)
    assert page.locator("[data-page-input]").input_value() == "5"

    # The thumbnails strip goes to a page; page-by-page mode steps with the buttons.
    page.get_by_role("button", name=re.compile("Pages")).tap()
    page.locator("[data-thumbs] .thumb").nth(2).tap()
    page.locator("[data-page-input]").wait_for()
    _wait_value(page, "3")
    page.get_by_role("button", name="Page by page").tap()
    page.get_by_role("button", name="Next page").tap()
    _wait_value(page, "4")
    site.screenshot(page, "reader-thumbnails-1024x1366")

    # Zoom buttons change the scale; fit width puts it back.
    before = page.locator('.page[data-page-number="4"]').bounding_box()
    page.get_by_role("button", name="Zoom in").tap()
    page.wait_for_function(
        "() => document.querySelector('[data-action=\"fit-width\"]').getAttribute('aria-pressed') === 'false'"
    )
    after = page.locator('.page[data-page-number="4"]').bounding_box()
    assert before is not None and after is not None and after["width"] > before["width"]

    # Reopened, the reader returns to the last page read on this device.
    page.goto("about:blank")
    page.goto(site.at(f"/papers/{paper.pk}/read"))
    page.locator("[data-reader][data-ready=true]").wait_for(timeout=30_000)
    _wait_value(page, "4")
    context.close()
    assert not errors, errors


def _wait_value(page: Page, value: str) -> None:
    page.wait_for_function(
        "(value) => document.querySelector('[data-page-input]').value === value", arg=value, timeout=15_000
    )


SHOTS = Path("/tmp/shots-c2")


def test_a_note_is_placed_from_the_keyboard(site: Site, paper: Any) -> None:
    """No pointer: Tab to "Add note on this page", type, Save; then N with text selected anchors
    the note at that text. Focus comes back to where the note was asked for."""
    from playwright.sync_api import expect

    from documents.models import Annotation

    context = site.context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    site.sign_in(page, "member")
    _open(site, page, paper, at=3)

    add = page.get_by_role("button", name="Add note on this page")
    add.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your note")).to_be_focused()
    page.keyboard.type("Ask about the quarter's figures.")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reader-keyboard-note-dialog-820x1180.png"))
    page.get_by_role("button", name="Save note").focus()
    page.keyboard.press("Enter")
    page.locator("[data-status]", has_text="only you").wait_for()
    expect(add).to_be_focused()
    expect(page.locator('.page[data-page-number="3"] .mark-note')).to_have_count(1)
    note = Annotation.objects.get(body="Ask about the quarter's figures.")
    assert note.kind == "note" and note.page == 3

    # With text selected (as shift and the arrow keys would), N puts the note at that text.
    _open(site, page, paper, at=5)
    _select(page, 5, TARGET)
    page.locator("#viewerContainer").focus()
    page.keyboard.press("n")
    page.keyboard.type("Three months is low for us.")
    page.keyboard.press("Tab")  # past "Share with the board" to Save note
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save note")).to_be_focused()
    page.keyboard.press("Enter")
    page.locator("[data-status]", has_text="only you").wait_for()
    anchored = Annotation.objects.get(body="Three months is low for us.")
    assert anchored.page == 5
    assert anchored.quote_exact == TARGET
    pin = page.locator('.page[data-page-number="5"] .mark-note').bounding_box()
    line = page.locator('.page[data-page-number="5"] .textLayer span', has_text="reserves policy target").first
    text_box = line.bounding_box()
    assert pin is not None and text_box is not None
    assert abs(pin["y"] - text_box["y"]) < 3 * text_box["height"], "the note sits at the selected text"
    page.screenshot(path=str(SHOTS / "reader-keyboard-note-placed-820x1180.png"))
    context.close()
    assert not errors, errors


def _reader_as(site: Site, context: Any, username: str, paper: Any, at: int = 1) -> Page:
    """The reader signed in as ``username`` by a server-made session (as test_browser_live does),
    with the meeting socket open."""
    from django.contrib.auth.models import User

    site.give_session(context, User.objects.get(username=username))
    page = context.new_page()
    _open(site, page, paper, at=at)
    return page


def test_the_presenter_shows_a_page_and_a_member_s_reader_follows_with_their_name(live_site: Site) -> None:
    """The item's presenter (the secretary, David Okafor) shows page 4 from the reader: Ruth's
    reader goes there and says who is showing it. Ruth, a member, has no such control."""
    from playwright.sync_api import expect

    from documents import services as document_services
    from meetings import services
    from meetings.models import MeetingStatus

    site = live_site
    world = site.world
    paper = document_services.paper_create(actor=world.secretary, item=world.public_item, title="Finance report")
    document_services.paper_version_add(actor=world.secretary, paper=paper, data=report())
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.LIVE)
    contexts = [site.context(), site.context()]
    try:
        david = _reader_as(site, contexts[0], "secretary", paper)
        ruth = _reader_as(site, contexts[1], "member", paper)
        for page in (david, ruth):
            page.wait_for_function("() => document.querySelector('[data-reader]') && window.WebSocket")
        expect(ruth.get_by_role("button", name="Show this page to everyone")).to_have_count(0)
        show = david.get_by_role("button", name="Show this page to everyone")
        expect(show).to_be_visible()

        david.locator("[data-page-input]").fill("4")
        david.locator("[data-page-input]").press("Enter")
        _wait_value(david, "4")
        show.tap()
        expect(david.locator("[data-presenter-text]")).to_have_text("You are showing page 4 to everyone.")
        expect(david.locator("[data-status]")).to_contain_text("Everyone following now sees page 4")
        _wait_value(ruth, "4")
        expect(ruth.locator("[data-presenter-text]")).to_have_text("David Okafor is showing page 4.")
        SHOTS.mkdir(parents=True, exist_ok=True)
        david.screenshot(path=str(SHOTS / "reader-presenting-820x1180.png"))
        ruth.screenshot(path=str(SHOTS / "reader-following-820x1180.png"))

        # Ruth reads on; the bar offers the way back to the presented page.
        ruth.get_by_role("button", name="Next page").tap()
        _wait_value(ruth, "5")
        ruth.get_by_role("button", name="Go to page 4").tap()
        _wait_value(ruth, "4")
    finally:
        for context in contexts:
            context.close()
