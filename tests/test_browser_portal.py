"""The portal in a real browser: system Chromium, iPad-sized, touch enabled.

Each test drives what a board member would do with one hand on an iPad, and checks what they see.
Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser_support import Site

# Fixtures (browser, site, ipad) come from the plugin; nothing is imported from it at run time,
# so pytest can still rewrite its asserts.
pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

IPAD_AIR = {"width": 820, "height": 1180}
IPAD_PRO = {"width": 1024, "height": 1366}


def main_text(page: Page) -> str:
    return page.locator("main").inner_text()


def test_member_signs_in_by_touch_and_reads_the_agenda_with_part_b(ipad: Page, site: Site) -> None:
    """A member taps through sign-in, finds the board and the next meeting on the home page,
    opens the meeting and sees every agenda item — Part B included, clearly marked — with papers."""
    world = site.world
    site.sign_in(ipad, "member")

    assert ipad.url == site.at("/")
    boards = ipad.get_by_role("region", name="My boards")
    assert boards.get_by_role("link", name="Riverside Trust").is_visible()
    assert "Member" in boards.inner_text()
    next_card = ipad.get_by_role("region", name="Next meeting")
    assert "March board meeting" in next_card.inner_text()
    assert next_card.get_by_role("link", name="Join video call").is_visible()
    assert "Signed in as\nRuth Hammond" in ipad.get_by_role("navigation", name="Account").inner_text()
    site.screenshot(ipad, "member-home-820x1180")

    next_card.get_by_role("link", name="Open agenda and papers").tap()
    ipad.wait_for_url(site.at(world.meeting.get_absolute_url()))

    assert ipad.get_by_role("heading", level=1).inner_text() == "March board meeting"
    crumbs = ipad.get_by_role("navigation", name="Breadcrumb")
    assert crumbs.get_by_role("link", name="Riverside Trust").is_visible()
    titles = ipad.locator(".item-title").all_text_contents()
    assert [t.split(": ", 1)[1] for t in titles] == [
        "Welcome, apologies and declarations of interest",
        "Minutes of the last meeting",
        "Finance report",
        "Strategy 2026–2029",
        "Consultation findings",
        "Funding the priorities",
        "Chief executive's pay",
    ]
    assert ipad.locator(".item-num").all_inner_texts() == ["1", "2", "3", "4", "4.1", "4.2", "5"]
    part_b = ipad.locator(".item.part-b")
    assert part_b.count() == 1
    assert "Part B — confidential" in part_b.inner_text()
    assert "Chief executive's pay" in part_b.inner_text()
    assert part_b.get_by_role("link", name="Pay review").is_visible()

    accounts = ipad.get_by_role("link", name="Accounts")
    assert "2 pages" in accounts.inner_text()
    box = accounts.bounding_box()
    assert box is not None and box["height"] >= 56, "papers are large, tappable rows"
    site.screenshot(ipad, "member-meeting-820x1180")

    # The paper opens in the reader from a tap (the PDF endpoint answers for a member).
    with ipad.expect_response(lambda r: "/papers/" in r.url and r.url.endswith("/pdf"), timeout=30_000) as response:
        accounts.tap()
    assert response.value.status in (200, 206)
    assert response.value.headers["content-type"] == "application/pdf"
    ipad.locator("[data-reader][data-ready=true]").wait_for(timeout=30_000)
    assert "/read" in ipad.url


def test_observer_does_not_see_the_part_b_item_or_its_paper(ipad: Page, site: Site) -> None:
    """An observer reads the public agenda; the Part B item and its paper do not appear, and the
    paper's address gives the friendly not-found page."""
    world = site.world
    site.sign_in(ipad, "observer")
    ipad.get_by_role("region", name="Upcoming meetings").get_by_role("link", name="March board meeting").tap()
    ipad.wait_for_url(site.at(world.meeting.get_absolute_url()))

    text = main_text(ipad)
    assert "Finance report" in text
    assert "Accounts" in text
    assert "Chief executive's pay" not in text
    assert "Pay review" not in text
    assert "Part B" not in text
    assert ipad.locator(".item.part-b").count() == 0
    assert ipad.locator(".item-num").all_inner_texts() == ["1", "2", "3", "4", "4.1", "4.2"]

    response = ipad.goto(site.at(world.part_b_paper.get_absolute_url()))
    assert response is not None and response.status == 404
    assert ipad.get_by_role("heading", level=1).inner_text() == "Not found"


def test_outsider_sees_neither_the_board_nor_the_meeting(ipad: Page, site: Site) -> None:
    """A member of another board only: the board and its meeting are absent from home, and the
    meeting's address shows the friendly 404 page with a way home."""
    world = site.world
    site.sign_in(ipad, "outsider")

    text = main_text(ipad)
    assert "Hillside Trust" in text
    assert "Riverside Trust" not in text
    assert "March board meeting" not in text

    response = ipad.goto(site.at(world.meeting.get_absolute_url()))
    assert response is not None and response.status == 404
    assert ipad.get_by_role("heading", level=1).inner_text() == "Not found"
    assert "not shared with you" in main_text(ipad)
    assert "Riverside" not in ipad.content()
    site.screenshot(ipad, "outsider-404-820x1180")

    response = ipad.goto(site.at(world.board.get_absolute_url()))
    assert response is not None and response.status == 404

    ipad.get_by_role("link", name="Go to my boards").tap()
    ipad.wait_for_url(site.at("/"))
    assert "Hillside Trust" in main_text(ipad)


def test_wrong_password_shows_a_clear_error_and_keeps_the_username(ipad: Page, site: Site) -> None:
    site.sign_in(ipad, "member", "wrong password")

    assert ipad.url.startswith(site.at("/accounts/login/"))
    alert = ipad.get_by_role("alert")
    assert alert.is_visible()
    assert "We could not sign you in" in alert.inner_text()
    assert "username or password is not right" in alert.inner_text()
    assert ipad.get_by_label("Username").input_value() == "member"
    assert ipad.get_by_label("Password").input_value() == ""
    site.screenshot(ipad, "login-error-820x1180")


LAYOUT_PROBE = """
() => {
  const doc = document.documentElement;
  const small = [];
  for (const el of document.querySelectorAll('main a, main button, header a, header button, main input')) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || style.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
    if (el.classList.contains('skip-link')) continue;
    if (r.height < 44 || r.width < 44) small.push(`${el.tagName} "${el.textContent.trim()}" ${r.width}x${r.height}`);
  }
  return {
    scrollWidth: doc.scrollWidth,
    clientWidth: doc.clientWidth,
    bodyFontSize: parseFloat(getComputedStyle(document.body).fontSize),
    small,
  };
}
"""


@pytest.mark.parametrize("viewport", [IPAD_AIR, IPAD_PRO], ids=["820x1180", "1024x1366"])
def test_pages_fit_the_ipad_and_every_control_is_a_44px_target(site: Site, viewport) -> None:
    """No horizontal scrolling, body text >= 17 px, and every link, button and field in the
    page is at least 44x44 px, on each main screen."""
    world = site.world
    context = site.context(viewport)
    page = context.new_page()
    try:
        page.goto(site.at("/accounts/login/"))
        pages = {"login": page.evaluate(LAYOUT_PROBE)}
        site.sign_in(page, "secretary", tap=False)
        for name, path in [
            ("home", "/"),
            ("board", world.board.get_absolute_url()),
            ("meeting", world.meeting.get_absolute_url()),
            ("draft", world.draft.get_absolute_url()),
            ("404", "/meetings/999999/"),
        ]:
            page.goto(site.at(path))
            pages[name] = page.evaluate(LAYOUT_PROBE)
        for name, probe in pages.items():
            assert probe["scrollWidth"] <= probe["clientWidth"], f"{name} scrolls sideways: {probe}"
            assert probe["bodyFontSize"] >= 17, f"{name} body text is {probe['bodyFontSize']}px"
            assert probe["small"] == [], f"{name} has targets under 44 px: {probe['small']}"
    finally:
        context.close()


CONTRAST_PROBE = """
() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return parse(getComputedStyle(document.documentElement).backgroundColor).slice(0, 3);
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el) || el.closest('.visually-hidden, .skip-link')) continue;
    seen.add(el);
    const fg = parse(getComputedStyle(el).color).slice(0, 3);
    const [a, b] = [lum(fg), lum(background(el))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) failures.push(`${el.className || el.tagName}: ${ratio.toFixed(2)}`);
  }
  return failures;
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_meets_wcag_aa_contrast_in_light_and_dark(site: Site, scheme: str) -> None:
    """Every piece of text on the main screens has at least 4.5:1 contrast against its background."""
    context = site.context(IPAD_AIR, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(site.at("/accounts/login/"))
        failures = {"login": page.evaluate(CONTRAST_PROBE)}
        site.sign_in(page, "member", "wrong password", tap=False)
        failures["login error"] = page.evaluate(CONTRAST_PROBE)
        site.sign_in(page, "member", tap=False)
        for name, path in [
            ("home", "/"),
            ("board", site.world.board.get_absolute_url()),
            ("meeting", site.world.meeting.get_absolute_url()),
            ("404", "/meetings/999999/"),
        ]:
            page.goto(site.at(path))
            failures[name] = page.evaluate(CONTRAST_PROBE)
        assert {k: v for k, v in failures.items() if v} == {}
    finally:
        context.close()


SCREENS = [
    ("820x1180", IPAD_AIR, True),
    ("1024x1366", IPAD_PRO, True),
    ("1180x820", {"width": 1180, "height": 820}, True),
    ("1366x1024", {"width": 1366, "height": 1024}, True),
    ("laptop-1440x900", {"width": 1440, "height": 900}, False),
]


@pytest.mark.parametrize(("label", "viewport", "mobile"), SCREENS, ids=[s[0] for s in SCREENS])
def test_screenshots_of_the_main_screens(site: Site, label: str, viewport, mobile: bool) -> None:
    """Saves login, home, board and meeting (light and dark) for a person to look at; the pages
    must render their headings at every size."""
    shots = []
    for scheme in ("light", "dark"):
        context = site.context(viewport, touch=mobile, color_scheme=scheme)
        page = context.new_page()
        try:
            suffix = "" if scheme == "light" else "-dark"
            page.goto(site.at("/accounts/login/"))
            assert page.get_by_role("heading", name="Sign in").is_visible()
            shots.append(site.screenshot(page, f"login-{label}{suffix}"))
            site.sign_in(page, "member", tap=False)
            assert page.get_by_role("heading", name="Next meeting").is_visible()
            shots.append(site.screenshot(page, f"home-{label}{suffix}"))
            page.goto(site.at(site.world.board.get_absolute_url()))
            assert page.get_by_role("heading", name="Upcoming meetings").is_visible()
            shots.append(site.screenshot(page, f"board-{label}{suffix}"))
            page.goto(site.at(site.world.meeting.get_absolute_url()))
            assert page.get_by_role("heading", name="Agenda").is_visible()
            shots.append(site.screenshot(page, f"meeting-{label}{suffix}"))
        finally:
            context.close()
    assert all(path.stat().st_size > 10_000 for path in shots)


def test_keyboard_focus_is_always_visible(ipad: Page, site: Site) -> None:
    """Tabbing reveals the skip link first, then every control shows a clear focus ring."""
    site.sign_in(ipad, "member", tap=False)
    ipad.goto(site.at(site.world.meeting.get_absolute_url()))
    ipad.keyboard.press("Tab")
    skip = ipad.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the skip link comes into view when focused"
    for _ in range(8):
        ipad.keyboard.press("Tab")
        ring = ipad.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }"
        )
        assert ring[1] == "solid" and ring[2] >= 2, f"no visible focus ring on {ring}"
