"""The live meeting in real browsers: a chair and two members on three iPad-sized touch screens.

The page talks to the meeting socket, so these tests run against Daphne (ASGI) rather than
pytest-django's WSGI live server. Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

CHAIR_SCREEN = {"width": 820, "height": 1180}
MEMBER_SCREEN = {"width": 1024, "height": 1366}
LANDSCAPE = {"width": 1180, "height": 820}
MOTION = "That the board approves the management accounts to the end of February."


def open_meeting(site: Site, context: BrowserContext, username: str) -> Page:
    """Open the meeting page signed in as ``username``.

    Signing in through the form is covered by test_browser_portal; here the session is made
    server-side (second factor confirmed, as chairs and secretaries need) and handed to the
    browser as its cookie, which the socket then uses too.
    """
    from django.contrib.auth.models import User
    from playwright.sync_api import expect

    site.give_session(context, User.objects.get(username=username))
    page = context.new_page()
    page.goto(site.at(site.world.meeting.get_absolute_url()))
    expect(page.locator("[data-live-connection]")).to_have_attribute("data-state", "connected")
    return page


def screenshot(page: Page, name: str) -> None:
    """What the person sees on screen now (the live bar is sticky: a full-page shot misplaces it)."""
    from tests.browser_support import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def second_member(site: Site):  # type: ignore[no-untyped-def]
    """A second voting member who, unlike ``recused``, may see the finance item."""
    from meetings import services
    from meetings.models import Role
    from tests.factories import UserFactory

    user = UserFactory.create(username="trustee", first_name="Sam", last_name="Patel")
    services.membership_create(actor=site.world.superuser, board=site.world.board, user=user, role=Role.MEMBER)
    return user


def test_chair_leads_the_meeting_and_members_follow_comment_and_vote(live_site: Site) -> None:
    """The chair starts the meeting and moves to item 3: both members' screens follow. A member's
    comment reaches the others without a reload; a vote is opened, cast, closed, and the result
    shows on all three screens. A member who pauses "Follow the chair" stays where they are."""
    from playwright.sync_api import expect

    site = live_site
    world = site.world
    second_member(site)
    finance = world.public_item  # item 3 on the enriched agenda
    contexts = [site.context(CHAIR_SCREEN), site.context(MEMBER_SCREEN), site.context(LANDSCAPE)]
    try:
        chair = open_meeting(site, contexts[0], "chair")
        ruth = open_meeting(site, contexts[1], "member")
        sam = open_meeting(site, contexts[2], "trustee")
        everyone = [chair, ruth, sam]
        members = [ruth, sam]

        for page in everyone:
            expect(page.locator("[data-live-status]")).to_have_text("Not started")
        expect(chair.locator("[data-live-online-count]")).to_have_text("3")
        assert ruth.get_by_role("heading", name="Chair console").count() == 0, "members get no chair console"

        # The chair starts the meeting and takes the first item; everyone follows.
        chair.get_by_role("button", name="Start meeting").tap()
        for page in everyone:
            expect(page.locator("[data-live-status]")).to_have_text("In progress")
            expect(page.locator("[data-live-badge]")).to_contain_text("In progress")
        chair.get_by_role("button", name="Next item").tap()
        for page in members:
            expect(page.locator("[data-live-now]")).to_have_text(re.compile(r"Now: 1 Welcome"))

        # …then moves to item 3: both members' screens highlight it and bring it into view.
        chair.locator(f"#item-{finance.pk}").get_by_role("button", name="Make current").tap()
        for page in everyone:
            expect(page.locator("[data-live-now]")).to_have_text("Now: 3 Finance report")
        for page in members:
            item = page.locator(f"#item-{finance.pk}")
            expect(item).to_have_class(re.compile(r"\bis-current\b"))
            expect(item).to_have_attribute("aria-current", "step")
            expect(item.get_by_text("Under discussion now")).to_be_visible()
            expect(item.locator(".item-title")).to_be_in_viewport()
            assert page.locator(".item.is-current").count() == 1

        # A member comments on the item; the others see it arrive, no reload.
        item = ruth.locator(f"#item-{finance.pk}")
        item.locator("summary", has_text="Comments").tap()
        item.get_by_label("Your comment").fill("Page 2: why has the forecast for rents dropped?")
        item.get_by_role("button", name="Post").tap()
        expect(item.locator("[data-comment-list]")).to_contain_text("why has the forecast for rents dropped?")
        expect(item.get_by_label("Your comment")).to_have_value("")
        for page in (chair, sam):
            other = page.locator(f"#item-{finance.pk}")
            expect(other.locator("summary", has_text="Comments")).to_have_text("Comments (1)")
            expect(other.locator("[data-comment-list]")).to_contain_text("Ruth Hammond")
            expect(other.locator("[data-comment-list]")).to_contain_text("why has the forecast for rents dropped?")
        sam.locator(f"#item-{finance.pk}").locator("summary", has_text="Comments").tap()
        screenshot(chair, "live-chair-mid-meeting-820x1180")
        screenshot(sam, "live-member-mid-meeting-1180x820")

        # The chair opens a vote on the item; each member casts one.
        chair_item = chair.locator(f"#item-{finance.pk}")
        chair_item.locator("summary", has_text="Open a vote").tap()
        chair_item.get_by_label("Motion the members vote on").fill(MOTION)
        chair_item.get_by_role("button", name="Open the vote").tap()
        for page in everyone:
            panel = page.locator("[data-live-vote]")
            expect(panel).to_be_visible()
            expect(panel).to_contain_text(MOTION)
            expect(panel).to_contain_text("Vote open")
        for page, choice in ((ruth, "For"), (sam, "For")):
            panel = page.locator("[data-live-vote]")
            panel.get_by_role("button", name=choice, exact=True).tap()
            expect(panel).to_contain_text(f"Your vote: {choice} (you can change it until the vote closes)")
            expect(panel.get_by_role("button", name=choice, exact=True)).to_have_attribute("aria-pressed", "true")
        expect(chair.locator("[data-live-vote]")).to_contain_text("2 of 3 have voted")
        screenshot(chair, "live-chair-vote-open-820x1180")
        screenshot(ruth, "live-member-vote-open-1024x1366")

        # Closing a vote cannot be undone: the chair confirms it in a dialog.
        chair.locator("[data-live-vote]").get_by_role("button", name="Close vote").tap()
        chair.get_by_role("dialog", name="Close the vote?").get_by_role("button", name="Close the vote").tap()
        for page in everyone:
            panel = page.locator("[data-live-vote]")
            expect(panel).to_contain_text("Vote closed")
            expect(panel).to_contain_text("Result: Carried")
            expect(panel).to_contain_text("For: 2")
            expect(panel).to_contain_text("Against: 0")
            expect(page.locator(f"#item-{finance.pk} [data-item-votes]")).to_contain_text("Carried")
        screenshot(sam, "live-member-vote-closed-1180x820")

        # Sam pauses "Follow the chair": the chair moves on, Ruth's screen scrolls to item 4, Sam's
        # stays where it is. The "Under discussion now" flag moves to item 4 on both: following
        # decides scrolling, never which item is flagged.
        follow = sam.get_by_role("button", name="Follow the chair")
        follow.tap()
        expect(follow).to_have_attribute("aria-pressed", "false")
        sam_top = sam.evaluate("window.scrollY")
        chair.get_by_role("button", name="Next item").tap()
        expect(ruth.locator("[data-live-now]")).to_have_text(re.compile(r"Now: 4 Strategy"))
        expect(ruth.locator(".item.is-current")).to_have_attribute("data-number", "4")
        expect(sam.locator("[data-live-now]")).to_have_text(re.compile(r"Now: 4 Strategy"))
        expect(sam.locator(".item.is-current")).to_have_attribute("data-number", "4")
        expect(sam.locator(".item.is-current")).to_have_count(1)
        expect(sam.locator(f"#item-{finance.pk} .item-now-flag")).to_be_hidden()
        assert sam.evaluate("window.scrollY") == sam_top, "a paused screen does not scroll"
        # The choice is remembered on the device.
        sam.reload()
        expect(sam.get_by_role("button", name="Follow the chair")).to_have_attribute("aria-pressed", "false")
        sam.get_by_role("button", name="Follow the chair").tap()
        expect(sam.locator(".item.is-current .item-title")).to_be_in_viewport()

        # The chair closes the meeting, after confirming; everyone sees it.
        chair.get_by_role("button", name="Close meeting").tap()
        chair.get_by_role("dialog", name="Close the meeting?").get_by_role("button", name="Close the meeting").tap()
        for page in everyone:
            expect(page.locator("[data-live-status]")).to_have_text("Closed")
            expect(page.locator("[data-live-now]")).to_have_text("No item under discussion")
    finally:
        for context in contexts:
            context.close()


def test_declaring_an_interest_hides_the_item_and_attendance_updates_the_quorum(live_site: Site) -> None:
    """A member who declares an interest steps out of the item at once, and after a reload the
    item is not on their agenda; the chair's move to it shows only as an item they cannot see.
    The secretary's attendance buttons update the quorum in the bar."""
    from playwright.sync_api import expect

    site = live_site
    world = site.world
    finance = world.public_item
    contexts = [site.context(CHAIR_SCREEN), site.context(MEMBER_SCREEN), site.context(LANDSCAPE)]
    try:
        chair = open_meeting(site, contexts[0], "chair")
        ruth = open_meeting(site, contexts[1], "member")
        secretary = open_meeting(site, contexts[2], "secretary")

        item = ruth.locator(f"#item-{finance.pk}")
        item.locator("summary", has_text="Declare an interest").tap()
        item.get_by_label("What is your interest in this item?").fill("My brother audits the accounts")
        item.get_by_role("button", name="Declare and step out").tap()
        expect(ruth.locator(f"#item-{finance.pk}")).to_have_count(0)
        expect(ruth.locator(".recused-note")).to_contain_text("You stepped out of item 3 (interest declared)")
        expect(ruth.locator("[data-live-message]")).to_contain_text("declaration on item 3")
        expect(chair.locator("[data-live-message]")).to_contain_text("Ruth Hammond declared an interest in item 3")

        chair.get_by_role("button", name="Start meeting").tap()
        chair.locator(f"#item-{finance.pk}").get_by_role("button", name="Make current").tap()
        expect(ruth.locator("[data-live-now]")).to_have_text("Now: an item you cannot see")
        ruth.reload()
        expect(ruth.locator("[data-live-connection]")).to_have_attribute("data-state", "connected")
        expect(ruth.locator(f"#item-{finance.pk}")).to_have_count(0)
        expect(ruth.locator("[data-live-now]")).to_have_text("Now: an item you cannot see")

        row = secretary.locator(f'[data-attendance-user="{world.member.pk}"]')
        row.get_by_role("button", name="Present").tap()
        expect(row.get_by_role("button", name="Present")).to_have_attribute("aria-pressed", "true")
        for page in (chair, ruth, secretary):
            expect(page.locator("[data-live-quorum]")).to_contain_text("present")
        screenshot(secretary, "live-secretary-attendance-1180x820")
    finally:
        for context in contexts:
            context.close()
