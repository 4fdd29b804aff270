"""Comments on the live meeting page, by touch on two iPads: a reply under its comment, the
author's edit and delete seen by the other person without a reload, and @mention suggestions
of the people who may see the item (docs/live-protocol.md, comment.*).

Runs against Daphne (the page uses the meeting socket), like test_browser_live.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Locator, Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

SCREEN = {"width": 820, "height": 1180}
SHOTS = Path("/tmp/shots-c2")


def open_meeting(site: Site, context: BrowserContext, username: str) -> Page:
    """The meeting page signed in as ``username`` (a server-made session, as in test_browser_live)."""
    from django.contrib.auth.models import User
    from playwright.sync_api import expect

    site.give_session(context, User.objects.get(username=username))
    page = context.new_page()
    page.goto(site.at(site.world.meeting.get_absolute_url()))
    expect(page.locator("[data-live-connection]")).to_have_attribute("data-state", "connected")
    return page


def shot(page: Page, name: str, target: Locator | None = None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if target is not None:
        target.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def comments(page: Page, item_id: int) -> Locator:
    return page.locator(f"#item-{item_id} [data-comments]")


def open_comments(page: Page, item_id: int) -> Locator:
    section = comments(page, item_id)
    if section.get_attribute("open") is None:
        section.locator("summary").tap()
    return section


def test_reply_edit_and_delete_reach_the_other_screen_without_reload(live_site: Site) -> None:
    from playwright.sync_api import expect

    site = live_site
    finance = site.world.public_item.pk
    contexts = [site.context(SCREEN), site.context(SCREEN)]
    try:
        ruth = open_meeting(site, contexts[0], "member")  # Ruth Hammond
        david = open_meeting(site, contexts[1], "secretary")  # David Okafor
        mine = open_comments(ruth, finance)
        theirs = open_comments(david, finance)

        mine.get_by_label("Your comment").fill("Why has the forecast for rents dropped?")
        mine.get_by_role("button", name="Post").tap()
        first = theirs.locator(".comment", has_text="forecast for rents")
        expect(first).to_be_visible()
        expect(theirs.locator("summary")).to_have_text("Comments (1)")
        # Only the author may change it: David sees Reply, not Edit or Delete.
        expect(first.get_by_role("button", name="Reply")).to_be_visible()
        expect(first.get_by_role("button", name="Edit")).to_have_count(0)
        expect(first.get_by_role("button", name="Delete")).to_have_count(0)

        # David replies under it; the reply is indented under Ruth's comment on both screens.
        first.get_by_role("button", name="Reply").tap()
        first.get_by_label("Your reply").fill("Two large tenants gave notice in January.")
        first.get_by_role("button", name="Post reply").tap()
        for section in (mine, theirs):
            reply = section.locator(".comment", has_text="forecast for rents").locator(".comment-replies > .comment")
            expect(reply).to_contain_text("Two large tenants gave notice")
            expect(reply).to_contain_text("David Okafor")
            expect(reply.get_by_role("button", name="Reply")).to_have_count(0)  # one level only
            expect(section.locator("summary")).to_have_text("Comments (2)")
        shot(david, "comments-reply-820x1180", theirs)

        # Ruth corrects her comment: David's screen shows the new text and "(edited)".
        own = mine.locator(".comment", has_text="forecast for rents").first
        own.locator(":scope > .comment-actions").get_by_role("button", name="Edit").tap()
        box = own.get_by_label("Edit your comment")
        expect(box).to_be_focused()
        box.fill("Why has the forecast for rents dropped by 8%?")
        shot(ruth, "comments-editing-820x1180", mine)
        own.get_by_role("button", name="Save").tap()
        edited = theirs.locator(".comment", has_text="dropped by 8%")
        expect(edited).to_be_visible()
        expect(edited.locator(".comment-edited").first).to_have_text("(edited)")
        expect(mine.locator(".comment-edited").first).to_have_text("(edited)")

        # David deletes his reply (after confirming): gone from Ruth's screen too.
        reply = theirs.locator(".comment-replies > .comment")
        reply.get_by_role("button", name="Delete").tap()
        expect(reply.get_by_text("Delete this comment?")).to_be_visible()
        shot(david, "comments-confirm-delete-820x1180", theirs)
        reply.get_by_role("button", name="Delete comment").tap()
        for section in (mine, theirs):
            expect(section.locator(".comment-replies > .comment")).to_have_count(0)
            expect(section.locator("summary")).to_have_text("Comments (1)")

        # A comment with a reply that its author withdraws stays as "Comment withdrawn".
        first.get_by_role("button", name="Reply").tap()
        first.get_by_label("Your reply").fill("And the voids budget?")
        first.get_by_role("button", name="Post reply").tap()
        expect(mine.locator(".comment-replies > .comment")).to_contain_text("voids budget")
        own.locator(":scope > .comment-actions").get_by_role("button", name="Delete").tap()
        own.get_by_role("button", name="Delete comment").tap()
        for section in (mine, theirs):
            expect(section.locator(".comment.is-withdrawn > .comment-withdrawn")).to_have_text("Comment withdrawn")
            expect(section.locator(".comment.is-withdrawn .comment-replies")).to_contain_text("voids budget")
            expect(section.locator("summary")).to_have_text("Comments (1)")
        shot(ruth, "comments-withdrawn-820x1180", mine)

        # After a reload the thread is rebuilt from the server the same way.
        ruth.reload()
        section = open_comments(ruth, finance)
        expect(section.locator(".comment.is-withdrawn")).to_contain_text("Comment withdrawn")
        expect(section.locator(".comment.is-withdrawn .comment-replies")).to_contain_text("voids budget")
        expect(section.locator("summary")).to_have_text("Comments (1)")
    finally:
        for context in contexts:
            context.close()


def test_mention_suggestions_by_keyboard_and_by_touch(live_site: Site) -> None:
    from playwright.sync_api import expect

    site = live_site
    finance = site.world.public_item.pk
    context = site.context(SCREEN)
    try:
        ruth = open_meeting(site, context, "member")
        section = open_comments(ruth, finance)
        box = section.get_by_label("Your comment")
        box.tap()
        ruth.keyboard.type("Could @oka")
        listbox = section.get_by_role("listbox", name="People to mention")
        expect(listbox).to_be_visible()
        expect(listbox.get_by_role("option")).to_have_count(1)
        expect(listbox.get_by_role("option")).to_contain_text("David Okafor")
        option_id = listbox.get_by_role("option").get_attribute("id")
        expect(box).to_have_attribute("aria-activedescendant", option_id or "")
        shot(ruth, "comments-mention-suggestions-820x1180", section)
        ruth.keyboard.press("Enter")
        expect(box).to_have_value("Could @secretary ")
        expect(listbox).to_be_hidden()

        # People who may not see the item (recused from it) are never suggested; a tap chooses.
        ruth.keyboard.type("and @")
        expect(listbox.get_by_role("option").first).to_be_visible()
        names = listbox.get_by_role("option").all_inner_texts()
        assert not any("@recused" in name for name in names), names
        assert any("Margaret Ellison" in name for name in names), names
        listbox.get_by_role("option", name="Margaret Ellison").tap()
        expect(box).to_have_value("Could @secretary and @chair ")
        expect(box).to_be_focused()
        box.press("Escape")
        section.get_by_role("button", name="Post").tap()
        expect(section.locator(".comment-body")).to_have_text("Could @secretary and @chair")
    finally:
        context.close()
