"""Offline reading on an iPad: a meeting saved on the device opens without a network, a note made
offline reaches the server exactly once when the network returns, and the offline copies are
deleted when the member signs out or is taken off the board."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.pdfs import make_text_pdf

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser


@pytest.fixture
def paper(site: Site) -> Any:
    from documents import services as document_services

    world = site.world
    paper = document_services.paper_create(actor=world.secretary, item=world.public_item, title="Finance report")
    pages = [[f"Page {n}", "The reserves policy target is three months of spending."] for n in range(1, 7)]
    document_services.paper_version_add(actor=world.secretary, paper=paper, data=make_text_pdf(pages))
    paper.refresh_from_db()
    return paper


def _wait(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def _cache_names(page: Page) -> list[str]:
    return list(page.evaluate("async () => (await caches.keys()).filter((k) => k.startsWith('boardroom-'))"))


def _save_offline(site: Site, page: Page) -> None:
    meeting = site.world.meeting
    page.goto(site.at(f"/meetings/{meeting.pk}/"))
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    box = page.locator(f'[data-offline-meeting="{meeting.pk}"]')
    box.get_by_role("button", name="Make available offline").tap()
    box.locator("[data-offline-status]", has_text="Available offline").wait_for(timeout=60_000)
    page.reload()  # now under the service worker's control
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")


def test_a_saved_meeting_opens_offline_and_a_note_made_offline_arrives_once(site: Site, paper: Any) -> None:
    from documents.models import Annotation

    context = site.context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    site.sign_in(page, "member")
    _save_offline(site, page)
    assert f"boardroom-meeting-{site.world.meeting.pk}" in _cache_names(page)

    context.set_offline(True)
    # Offline, the boards list was not saved: the offline home answers and opens the meeting.
    page.goto(site.at("/"))
    saved = page.locator("[data-offline-list] li")
    saved.first.wait_for()
    assert saved.count() == 1
    assert site.world.meeting.title in saved.inner_text() and "saved just now" in saved.inner_text()
    assert re.search(r"\d+(\.\d)? (KB|MB)", saved.inner_text())
    assert "You are offline" in page.locator("[data-offline-state]").inner_text()
    site.screenshot(page, "offline-home-820x1180")
    with page.expect_navigation():
        saved.get_by_role("link", name=site.world.meeting.title).tap()
    assert page.url.endswith(f"/meetings/{site.world.meeting.pk}/")
    page.goto(site.at(f"/papers/{paper.pk}/read#page=2"))
    page.locator("[data-reader][data-ready=true]").wait_for(timeout=30_000)
    page.locator('.page[data-page-number="2"] canvas').wait_for(timeout=30_000)
    site.screenshot(page, "reader-offline-820x1180")

    page.get_by_role("button", name="Note", exact=True).tap()
    box = page.locator('.page[data-page-number="2"]').bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    page.get_by_label("Your note").fill("Written on the train")
    page.get_by_role("button", name="Save note").tap()
    page.locator("[data-status]", has_text="when you are back online").wait_for()
    assert not Annotation.objects.exists()

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    _wait(lambda: Annotation.objects.filter(body="Written on the train").exists())
    page.reload()
    page.locator("[data-reader][data-ready=true]").wait_for(timeout=30_000)
    page.locator('.page[data-page-number="2"] .mark-note').first.wait_for()
    time.sleep(1)  # any second delivery would arrive now
    assert Annotation.objects.filter(body="Written on the train").count() == 1
    assert page.locator('.page[data-page-number="2"] .mark-note').count() == 1
    context.close()
    assert not errors, errors


def test_signing_out_and_being_taken_off_the_board_delete_the_offline_copies(site: Site, paper: Any) -> None:
    from meetings import services
    from meetings.models import Membership

    context = site.context()
    page = context.new_page()
    site.sign_in(page, "member")
    _save_offline(site, page)
    assert _cache_names(page)

    # Taken off the board: the next page opened online removes the meeting's copy.
    membership = Membership.objects.get(user=site.world.member, board=site.world.board)
    from tests.conftest import _admin

    services.membership_end(actor=_admin(), membership=membership)
    page.goto(site.at("/"))
    _wait(lambda: not any(name.startswith("boardroom-meeting-") for name in _cache_names(page)), timeout=15)

    # Sign in again elsewhere and save; then sign out: everything goes.
    other = site.context()
    page2 = other.new_page()
    site.sign_in(page2, "observer")
    _save_offline(site, page2)
    assert any(name.startswith("boardroom-meeting-") for name in _cache_names(page2))
    with page2.expect_navigation():
        page2.get_by_role("button", name="Sign out").tap()
    listed = "() => localStorage.getItem('boardroom.offline.meetings')"
    _wait(lambda: _cache_names(page2) == [] and page2.evaluate(listed) is None, timeout=15)
    assert page2.evaluate(listed) is None
    context.close()
    other.close()


def _cached_bytes(page: Page, url: str) -> int:
    script = """async ([name, url]) => {
      const cache = await caches.open(name);
      const hit = await cache.match(url);
      return hit ? (await hit.arrayBuffer()).byteLength : -1;
    }"""
    return int(page.evaluate(script, [f"boardroom-meeting-{url.split('|')[0]}", url.split("|")[1]]))


def test_a_saved_copy_follows_a_new_version_on_wifi_and_waits_on_mobile_data(site: Site, paper: Any) -> None:
    from documents import services as document_services

    meeting = site.world.meeting
    download = site.at(f"/papers/{paper.pk}/pdf")
    # This device says it is on mobile data (the Network Information API, as on Android).
    context = site.context()
    context.add_init_script(
        "Object.defineProperty(navigator, 'connection', {configurable: true, get: () => globalThis.__net ||"
        " (globalThis.__net = Object.assign(new EventTarget(), {type: 'cellular', saveData: false}))});"
    )
    page = context.new_page()
    site.sign_in(page, "member")
    _save_offline(site, page)
    old_size = _cached_bytes(page, f"{meeting.pk}|{download}")
    assert old_size > 0

    pages = [[f"Page {n}", "Revised: the reserves target is now four months."] for n in range(1, 10)]
    document_services.paper_version_add(actor=site.world.secretary, paper=paper, data=make_text_pdf(pages))
    paper.refresh_from_db()
    assert paper.current_version.number == 2

    # On mobile data the new version waits, said on the page; the old copy stays readable.
    page.goto(site.at(f"/meetings/{meeting.pk}/"))
    box = page.locator(f'[data-offline-meeting="{meeting.pk}"]')
    box.locator("[data-offline-status]", has_text="saved on Wi-Fi").wait_for(timeout=30_000)
    assert _cached_bytes(page, f"{meeting.pk}|{download}") == old_size
    site.screenshot(page, "offline-update-waiting-820x1180")

    # Back on Wi-Fi: the copy updates by itself.
    to_wifi = "() => { const net = navigator.connection; net.type = 'wifi'; net.dispatchEvent(new Event('change')); }"
    page.evaluate(to_wifi)
    box.locator("[data-offline-status]", has_text="Available offline").wait_for(timeout=60_000)
    _wait(lambda: _cached_bytes(page, f"{meeting.pk}|{download}") not in (old_size, -1))
    assert box.get_by_role("button", name="Update now").is_hidden()
    context.close()
