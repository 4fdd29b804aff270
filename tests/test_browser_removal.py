"""A member taken off the board in the middle of a live meeting loses it at once: the socket
closes with a clear message, the papers and the pack answer "not found", and the device's
offline copies go the next time it is online."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser


def test_a_member_removed_during_a_live_meeting_loses_the_socket_and_the_papers(live_site: Site) -> None:
    from playwright.sync_api import expect

    from meetings import services
    from meetings.models import MeetingStatus, Membership
    from tests.conftest import _admin
    from tests.test_browser_live import open_meeting, screenshot

    world = live_site.world
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.LIVE)
    context = live_site.context()
    page = open_meeting(live_site, context, "member")
    paper_url = live_site.at(f"/papers/{world.public_paper.pk}/pdf")
    assert page.request.get(paper_url).ok

    membership = Membership.objects.get(user=world.member, board=world.board)
    services.membership_end(actor=_admin(), membership=membership)
    # With Redis the ending pushes a re-check to every socket of the member's at once. Embedded,
    # this test's server keeps its channel layer in its own process, so the push cannot reach it:
    # then the next frame the member's tablet sends meets the re-check (as every frame does).
    connection = page.locator("[data-live-connection]")
    try:
        expect(connection).to_have_attribute("data-state", "offline", timeout=3_000)
    except AssertionError:
        item = page.locator(f"#item-{world.public_item.pk}")
        item.locator("summary", has_text="Comments").tap()
        item.get_by_label("Your comment").fill("Can I still see this?")
        item.get_by_role("button", name="Post").tap()
    expect(connection).to_have_attribute("data-state", "offline", timeout=10_000)
    expect(page.get_by_text("You no longer have access to this meeting")).to_be_visible()
    screenshot(page, "member-removed-during-meeting-820x1180")
    for url in (
        paper_url,
        live_site.at(f"/papers/{world.public_paper.pk}/read"),
        live_site.at(f"/meetings/{world.meeting.pk}/pack.pdf"),
        live_site.at(f"/meetings/{world.meeting.pk}/"),
    ):
        assert page.request.get(url).status == 404, url
    assert page.request.get(live_site.at("/offline/keep.json")).json()["meetings"] == []
    context.close()
