"""Running the debate in real browsers (issue 17): the speakers' queue and the item timer.

A chair and two members on iPad-sized touch screens, against Daphne (the page talks to the
meeting socket). Everything is done through the page; reloads must show the same queue.
Screenshots land in test-artifacts/ (and /tmp/shots-c3/ when that folder exists) for a
person to look at.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from playwright.sync_api import BrowserContext, Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

PORTRAIT = {"width": 820, "height": 1180}
LARGE = {"width": 1024, "height": 1366}
LANDSCAPE = {"width": 1180, "height": 820}
SHOTS = Path("/tmp/shots-c3")


def open_meeting(site: Site, context: BrowserContext, username: str) -> Page:
    """The meeting page, signed in as ``username`` (session made server-side, as in test_browser_live)."""
    from django.contrib.auth.models import User
    from playwright.sync_api import expect

    site.give_session(context, User.objects.get(username=username))
    page = context.new_page()
    page.goto(site.at(site.world.meeting.get_absolute_url()))
    expect(page.locator("[data-live-connection]")).to_have_attribute("data-state", "connected")
    return page


def reload(page: Page) -> None:
    from playwright.sync_api import expect

    page.reload()
    expect(page.locator("[data-live-connection]")).to_have_attribute("data-state", "connected")


def screenshot(page: Page, name: str) -> None:
    """What the person sees on screen now (the live bar is sticky: a full-page shot misplaces it)."""
    from tests.browser_support import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def axe_problems(page: Page) -> list[str]:
    """axe-core's WCAG 2.2 AA findings inside the debate panel (as tests/test_browser_standards.py runs it)."""
    from tests.test_browser_standards import AXE, WCAG

    if not AXE.exists():
        warnings.warn("axe-core not installed (npm ci): the debate panel was not checked", stacklevel=2)
        return []
    # Evaluated rather than added as a script tag: the page's CSP forbids inline scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        "async (tags) => (await axe.run({include: [['[data-debate]']]}, {runOnly: {type: 'tag', values: tags}}))"
        ".violations",
        WCAG,
    )
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in found]


def second_member(site: Site) -> User:
    """A second voting member who may see the finance item."""
    from meetings import services
    from meetings.models import Role
    from tests.factories import UserFactory

    user = UserFactory.create(username="trustee", first_name="Sam", last_name="Patel")
    services.membership_create(actor=site.world.superuser, board=site.world.board, user=user, role=Role.MEMBER)
    return user


def test_members_ask_to_speak_the_chair_gives_the_floor_and_a_reload_keeps_the_queue(live_site: Site) -> None:
    """Two members ask to speak on the current item; the chair sees both in order and gives the
    floor to the first; all three screens follow without a reload, and after reloads the queue
    and the floor are the same. The item timer shows the planned minutes."""
    from playwright.sync_api import expect

    site = live_site
    finance = site.world.public_item  # item 3, 20 minutes planned
    second_member(site)
    contexts = [site.context(PORTRAIT), site.context(LARGE), site.context(LANDSCAPE)]
    try:
        chair = open_meeting(site, contexts[0], "chair")
        ruth = open_meeting(site, contexts[1], "member")
        sam = open_meeting(site, contexts[2], "trustee")
        everyone = [chair, ruth, sam]

        # Before the meeting starts there is no queue to join.
        for page in everyone:
            expect(page.locator("[data-debate]")).to_be_hidden()
        chair.get_by_role("button", name="Start meeting").tap()
        chair.locator(f"#item-{finance.pk}").get_by_role("button", name="Make current").tap()
        for page in everyone:
            panel = page.locator("[data-debate]")
            expect(panel).to_be_visible()
            expect(panel.locator("[data-debate-item]")).to_have_text("Item 3")
            expect(panel.locator("[data-debate-clock]")).to_have_text(re.compile(r"^\d+:\d\d of 20 min$"))
            expect(panel.locator("[data-debate-floor]")).to_contain_text("No one has the floor")
            expect(panel.locator("[data-debate-count]")).to_have_text("0")
        # The chair calls on people; only members queue.
        expect(chair.get_by_role("button", name="Ask to speak")).to_have_count(0)
        expect(chair.locator("[data-debate-schedule]")).to_contain_text("Expected end")

        ruth.get_by_role("button", name="Ask to speak").tap()
        expect(ruth.get_by_role("button", name="Withdraw my request")).to_be_visible()
        expect(ruth.locator("[data-debate-mine]")).to_have_text("You are next to speak")
        sam.get_by_role("button", name="Ask to speak").tap()
        expect(sam.locator("[data-debate-mine]")).to_have_text("You are 2nd in the queue")

        # The chair's queue is open by default, in the order people asked.
        queue = chair.locator("[data-debate-queue]")
        expect(chair.locator("[data-debate-count]")).to_have_text("2")
        expect(queue.locator("li")).to_have_count(2)
        expect(queue.locator("li").nth(0)).to_contain_text("Ruth Hammond")
        expect(queue.locator("li").nth(1)).to_contain_text("Sam Patel")
        expect(chair.locator("[data-live-message]")).to_contain_text("Sam Patel asks to speak.")
        # A member opens the queue with one tap and sees the same order, with no chair's buttons.
        ruth.get_by_role("button", name=re.compile(r"^Speakers")).tap()
        expect(ruth.locator("[data-debate-queue] li").nth(1)).to_contain_text("Sam Patel")
        expect(ruth.locator("[data-debate-queue]")).to_contain_text("(you)")
        expect(ruth.get_by_role("button", name=re.compile("Give the floor"))).to_have_count(0)
        screenshot(chair, "debate-chair-queue-820x1180")
        screenshot(ruth, "debate-member-queue-1024x1366")
        screenshot(sam, "debate-member-queue-1180x820")
        assert axe_problems(chair) == []
        assert axe_problems(ruth) == []

        chair.get_by_role("button", name="Give the floor to Ruth Hammond").tap()
        expect(ruth.locator("[data-debate-floor]")).to_contain_text("You have the floor")
        expect(ruth.locator("[data-live-message]")).to_contain_text("You have the floor.")
        for page in (chair, sam):
            expect(page.locator("[data-debate-floor]")).to_contain_text("Ruth Hammond has the floor")
        for page in everyone:
            expect(page.locator("[data-debate-count]")).to_have_text("1")
        expect(sam.locator("[data-debate-mine]")).to_have_text("You are next to speak")
        expect(ruth.get_by_role("button", name="Ask to speak")).to_be_hidden()
        expect(chair.get_by_role("button", name="End Ruth Hammond's turn")).to_be_visible()
        screenshot(chair, "debate-chair-floor-820x1180")
        screenshot(ruth, "debate-member-floor-1024x1366")

        # A reload rebuilds the queue and the floor from the server, not from the page.
        for page in everyone:
            reload(page)
        expect(ruth.locator("[data-debate-floor]")).to_contain_text("You have the floor")
        expect(ruth.get_by_role("button", name="End my turn")).to_be_visible()
        expect(chair.locator("[data-debate-floor]")).to_contain_text("Ruth Hammond has the floor")
        expect(chair.locator("[data-debate-queue] li")).to_have_count(1)
        expect(chair.locator("[data-debate-queue] li")).to_contain_text("Sam Patel")
        expect(sam.get_by_role("button", name="Withdraw my request")).to_be_visible()
        for page in everyone:
            expect(page.locator("[data-debate-clock]")).to_have_text(re.compile(r"of 20 min"))

        # Ruth ends her own turn; Sam withdraws; the chair's screen follows.
        ruth.get_by_role("button", name="End my turn").tap()
        for page in everyone:
            expect(page.locator("[data-debate-floor]")).to_contain_text("No one has the floor")
        sam.get_by_role("button", name="Withdraw my request").tap()
        expect(sam.get_by_role("button", name="Ask to speak")).to_be_visible()
        for page in everyone:
            expect(page.locator("[data-debate-count]")).to_have_text("0")
        expect(chair.locator("[data-debate-empty]")).to_be_visible()
    finally:
        for context in contexts:
            context.close()


def test_the_chair_runs_the_queue_from_the_keyboard_and_the_timer_shows_an_overrun(live_site: Site) -> None:
    """Keyboard only: giving the floor moves focus to "End turn", ending it moves focus to the
    next request; removing a request works the same. An item past its planned time shows as over,
    a closed meeting shows no queue at all, and an item the person may not see shows no queue."""
    from django.utils import timezone
    from playwright.sync_api import expect

    from meetings.models import Meeting

    site = live_site
    world = site.world
    finance = world.public_item
    second_member(site)
    contexts = [site.context(LANDSCAPE, touch=False), site.context(PORTRAIT), site.context(LARGE)]
    try:
        chair = open_meeting(site, contexts[0], "chair")
        ruth = open_meeting(site, contexts[1], "member")
        sam = open_meeting(site, contexts[2], "trustee")

        chair.get_by_role("button", name="Start meeting").click()
        chair.locator(f"#item-{finance.pk}").get_by_role("button", name="Make current").click()
        expect(ruth.locator("[data-debate]")).to_be_visible()
        ruth.get_by_role("button", name="Ask to speak").tap()
        expect(chair.locator("[data-debate-queue] li")).to_have_count(1)
        sam.get_by_role("button", name="Ask to speak").tap()
        expect(chair.locator("[data-debate-queue] li")).to_have_count(2)

        chair.get_by_role("button", name="Give the floor to Ruth Hammond").focus()
        chair.keyboard.press("Enter")
        expect(chair.locator("[data-debate-floor]")).to_contain_text("Ruth Hammond has the floor")
        end = chair.get_by_role("button", name="End Ruth Hammond's turn")
        expect(end).to_be_focused()
        chair.keyboard.press("Enter")
        expect(chair.locator("[data-debate-floor]")).to_contain_text("No one has the floor")
        give_sam = chair.get_by_role("button", name="Give the floor to Sam Patel")
        expect(give_sam).to_be_focused()
        chair.keyboard.press("Tab")
        remove = chair.get_by_role("button", name="Remove Sam Patel's request")
        expect(remove).to_be_focused()
        chair.keyboard.press("Enter")
        expect(chair.locator("[data-debate-count]")).to_have_text("0")
        expect(sam.get_by_role("button", name="Ask to speak")).to_be_visible()
        expect(sam.locator("[data-live-message]")).to_contain_text("Your request to speak was removed by the chair.")
        # Focus did not fall to the page.
        assert chair.evaluate("document.activeElement !== document.body")

        # The item has run 25 minutes of its 20: the clock shows the overrun in words and style.
        # The meeting is planned to end in ten minutes; the items after this one need 55 more.
        now = timezone.now()
        Meeting.objects.filter(pk=world.meeting.pk).update(
            current_since=now - dt.timedelta(minutes=25),
            starts_at=now - dt.timedelta(minutes=60),
            ends_at=now + dt.timedelta(minutes=10),
        )
        reload(chair)
        timer = chair.locator("[data-debate-timer]")
        expect(timer).to_have_attribute("data-zone", "over")
        expect(timer).to_contain_text(re.compile(r"2\d:\d\d of 20 min · [45] min over"))
        schedule = chair.locator("[data-debate-schedule]")
        expect(schedule).to_have_text(re.compile(r"^Expected end \d\d:\d\d, 4[4-6] min late$"))
        expect(schedule).to_have_attribute("data-late", "true")
        # Members see the clock but not the chair's schedule.
        reload(ruth)
        expect(ruth.locator("[data-debate-timer]")).to_have_attribute("data-zone", "over")
        expect(ruth.locator("[data-debate-schedule]")).to_be_hidden()
        screenshot(chair, "debate-chair-overrun-1180x820-laptop")

        # Part B: the observer may not see the item, so sees no queue for it.
        chair.locator(f"#item-{world.part_b_item.pk}").get_by_role("button", name="Make current").click()
        observer_context = site.context(PORTRAIT)
        contexts.append(observer_context)
        observer = open_meeting(site, observer_context, "observer")
        expect(observer.locator("[data-live-now]")).to_have_text("Now: an item you cannot see")
        expect(observer.locator("[data-debate]")).to_be_hidden()
        expect(ruth.locator("[data-debate-item]")).to_have_text(f"Item {world.part_b_item.number}")

        # A closed meeting: no queue and no controls.
        Meeting.objects.filter(pk=world.meeting.pk).update(status="closed")
        reload(ruth)
        expect(ruth.locator("[data-debate]")).to_have_count(0)
        expect(ruth.get_by_role("button", name="Ask to speak")).to_have_count(0)
    finally:
        for context in contexts:
            context.close()


def test_the_chair_is_told_once_when_two_minutes_are_left_and_when_the_item_runs_over(live_site: Site) -> None:
    """The clock ticks every second, but the live region speaks only at the thresholds: two minutes
    left, then over time. The page's clock is Playwright's (no waiting for real minutes)."""
    from django.utils import timezone
    from playwright.sync_api import expect

    from meetings.models import Meeting

    site = live_site
    world = site.world
    finance = world.public_item  # 20 minutes planned
    context = site.context(PORTRAIT)
    try:
        chair = open_meeting(site, context, "chair")
        chair.get_by_role("button", name="Start meeting").tap()
        chair.locator(f"#item-{finance.pk}").get_by_role("button", name="Make current").tap()
        expect(chair.locator("[data-debate-clock]")).to_have_text(re.compile(r"of 20 min$"))

        # Sixteen minutes into the item: four left, nothing said on arrival.
        Meeting.objects.filter(pk=world.meeting.pk).update(current_since=timezone.now() - dt.timedelta(minutes=16))
        chair.clock.install()
        reload(chair)
        timer = chair.locator("[data-debate-timer]")
        expect(timer).to_have_attribute("data-zone", "ok")
        expect(chair.locator("[data-debate-clock]")).to_have_text(re.compile(r"^1[67]:\d\d of 20 min$"))
        message = chair.locator("[data-live-message]")
        expect(message).not_to_contain_text("minutes")

        chair.clock.fast_forward("02:30")
        expect(timer).to_have_attribute("data-zone", "soon")
        expect(message).to_have_text("2 minutes left on item 3.")
        screenshot(chair, "debate-chair-two-minutes-left-820x1180")

        chair.clock.fast_forward("02:00")
        expect(timer).to_have_attribute("data-zone", "over")
        expect(message).to_have_text("Item 3 is over its planned 20 minutes.")
        expect(chair.locator("[data-debate-clock]")).to_contain_text("min over")
    finally:
        context.close()


def test_a_member_who_declares_an_interest_leaves_the_queue_and_loses_the_panel(live_site: Site) -> None:
    """Declaring an interest in the item under discussion withdraws the member's request: the
    chair's queue empties at once, and the member's page no longer shows the item's queue."""
    from playwright.sync_api import expect

    site = live_site
    finance = site.world.public_item
    # The member's iPad is in dark mode: the screenshots show both schemes.
    contexts = [site.context(LARGE), site.context(PORTRAIT, color_scheme="dark")]
    try:
        chair = open_meeting(site, contexts[0], "chair")
        ruth = open_meeting(site, contexts[1], "member")
        chair.get_by_role("button", name="Start meeting").tap()
        chair.locator(f"#item-{finance.pk}").get_by_role("button", name="Make current").tap()
        ruth.get_by_role("button", name="Ask to speak").tap()
        expect(chair.locator("[data-debate-queue] li")).to_contain_text("Ruth Hammond")
        expect(ruth.locator("[data-debate-mine]")).to_have_text("You are next to speak")
        screenshot(chair, "debate-chair-queue-1024x1366")
        screenshot(ruth, "debate-member-dark-820x1180")

        item = ruth.locator(f"#item-{finance.pk}")
        item.locator("summary", has_text="Declare an interest").tap()
        item.get_by_label("What is your interest in this item?").fill("My brother audits the accounts")
        item.get_by_role("button", name="Declare and step out").tap()
        expect(ruth.locator(f"#item-{finance.pk}")).to_have_count(0)
        expect(ruth.locator("[data-debate]")).to_be_hidden()
        expect(chair.locator("[data-debate-count]")).to_have_text("0")
        expect(chair.locator("[data-debate-queue] li")).to_have_count(0)
        reload(ruth)
        expect(ruth.locator("[data-debate]")).to_be_hidden()
    finally:
        for context in contexts:
            context.close()
