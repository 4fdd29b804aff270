"""The register of interests in a real browser, iPad-sized and by touch: a member adds an entry,
the secretary sees what it matches before publishing. Screenshots land in test-artifacts/."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

IPAD_AIR = {"width": 820, "height": 1180}
IPAD_PRO = {"width": 1024, "height": 1366}

LAYOUT_PROBE = """
(scope) => {
  const doc = document.documentElement;
  const small = [];
  const controls = ['a', 'button', 'input', 'select', 'textarea', 'summary'].map((t) => `${scope} ${t}`).join(', ');
  for (const el of document.querySelectorAll(controls)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || getComputedStyle(el).visibility === 'hidden' || el.closest('.visually-hidden')) continue;
    if (el.type === 'hidden') continue;
    if (r.height < 44 || r.width < 44) small.push(`${el.tagName} "${el.textContent.trim()}" ${r.width}x${r.height}`);
  }
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, small};
}
"""


def _fits(page: Page, name: str, scope: str = "main") -> None:
    """No sideways scrolling, and every control within ``scope`` is a 44x44 px target."""
    probe = page.evaluate(LAYOUT_PROBE, scope)
    assert probe["scrollWidth"] <= probe["clientWidth"], f"{name} scrolls sideways: {probe}"
    assert probe["small"] == [], f"{name} has targets under 44 px: {probe['small']}"


def test_member_adds_an_entry_by_touch_from_the_board_page(ipad: Page, site: Site) -> None:
    site.sign_in(ipad, "member")
    ipad.goto(site.at(site.world.board.get_absolute_url()))
    with ipad.expect_navigation():
        ipad.get_by_role("link", name="Register of interests").tap()
    with ipad.expect_navigation():
        ipad.get_by_role("link", name="Add to my register").tap()
    ipad.get_by_label("The interest").fill("Director of Mill Lane Ltd")
    ipad.get_by_label("Category").select_option("directorship")
    ipad.get_by_label("Keywords").fill("Mill Lane\nMLL")
    _fits(ipad, "new entry")
    with ipad.expect_navigation():
        ipad.get_by_role("button", name="Add to the register").tap()
    main = ipad.locator("main").inner_text()
    assert "Director of Mill Lane Ltd" in main and "Keywords: Mill Lane, MLL" in main
    _fits(ipad, "register")
    site.screenshot(ipad, "interests-register-820x1180")


@pytest.mark.parametrize("viewport", [IPAD_AIR, IPAD_PRO], ids=["820x1180", "1024x1366"])
def test_secretary_sees_the_matches_before_publishing(site: Site, viewport: dict[str, int]) -> None:
    from interests import services
    from meetings import services as meeting_services

    world = site.world
    services.interest_register(
        actor=world.member,
        board=world.board,
        member=world.member,
        description="Director of Mill Lane Ltd",
        keywords="Mill Lane",
    )
    meeting_services.agenda_item_add(actor=world.secretary, meeting=world.draft, title="Sale of land at Mill Lane")
    context = site.context(viewport)
    page = context.new_page()
    try:
        site.sign_in_with_code(page, "secretary")
        page.goto(site.at(f"/meetings/{world.draft.pk}/publish/"))
        matches = page.locator(".interest-matches").inner_text()
        assert "Ruth Hammond has a registered interest “Director of Mill Lane Ltd” that may concern item" in matches
        _fits(page, "publish", ".interest-matches")  # the rest of the page is the builder's
        site.screenshot(page, f"interests-publish-{viewport['width']}x{viewport['height']}")
        with page.expect_navigation():
            page.get_by_role("link", name="Tag items with interests").tap()
        _fits(page, "tags")
        site.screenshot(page, f"interests-tags-{viewport['width']}x{viewport['height']}")
    finally:
        context.close()
