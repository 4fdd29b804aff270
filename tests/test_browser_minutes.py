"""Minutes in a real browser, on iPads: the secretary types (autosave), the chair types at the same
time and merges the refused save, the minutes go round, the chair signs, and a member finds the
decision in the archive and by search."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest

from tests.browser_support import IPAD_AIR, IPAD_PRO

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser


def _watch(page: Page, problems: list[str]) -> None:
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text} {m.location}") if m.type == "error" else None)


def test_minutes_taken_merged_signed_and_found(site: Site) -> None:
    from meetings.models import Meeting as MeetingModel
    from meetings.models import MeetingStatus
    from search import indexing
    from tests.auth import authenticator, next_code
    from tests.factories import MeetingFactory
    from tests.test_minutes import hold_meeting

    world = site.world
    hold_meeting(world)
    MeetingFactory.create(
        board=world.board,
        title="April board meeting",
        starts_at=world.meeting.starts_at + dt.timedelta(days=30),
        status=MeetingStatus.LIVE,
    )
    url = site.at(f"/meetings/{world.meeting.pk}/minutes/")
    problems: list[str] = []

    secretary_context = site.context(IPAD_AIR)
    chair_context = site.context(IPAD_PRO)
    secretary, chair = secretary_context.new_page(), chair_context.new_page()
    _watch(secretary, problems)
    _watch(chair, problems)
    site.sign_in_with_code(secretary, "secretary")
    site.sign_in_with_code(chair, "chair")
    secretary.goto(url)
    chair.goto(url)

    # The record is already there; the editor replaces the plain box.
    record = secretary.locator(".minutes-record")
    assert "Apologies" in record.inner_text() and "Whitaker" in record.inner_text()
    item = secretary.locator(f"#minute-{world.public_item.pk}")
    assert "That the accounts are approved" in item.inner_text()
    editor = item.get_by_role("textbox", name=re.compile("Minute of item"))
    editor.tap()
    secretary.keyboard.type("The treasurer presented the accounts; members asked about the pension deficit.")
    item.get_by_role("button", name="Bold").tap()
    secretary.keyboard.type(" Agreed.")
    item.locator("[data-save-state]").filter(has_text="Saved at").wait_for()
    site.screenshot(secretary, "minutes-editor-820x1180")

    # The chair, editing the same item from the page as first loaded, is refused and merges.
    chair_item = chair.locator(f"#minute-{world.public_item.pk}")
    chair_item.get_by_role("textbox", name=re.compile("Minute of item")).tap()
    chair.keyboard.type("Chair's note: the auditors attended.")
    conflict = chair_item.locator("[data-conflict]")
    conflict.wait_for(state="visible")
    assert "pension deficit" in conflict.locator("[data-theirs]").inner_text()
    assert "auditors attended" in conflict.locator("[data-mine]").inner_text()
    site.screenshot(chair, "minutes-conflict-1024x1366")
    chair_item.get_by_role("button", name="Start from their text").tap()
    chair_item.get_by_role("textbox", name=re.compile("Minute of item")).press("End")
    chair.keyboard.type(" The auditors attended.")
    chair_item.locator("[data-save-state]").filter(has_text="Saved at").wait_for()
    world.public_item.refresh_from_db()
    from minutes.models import MinuteItem

    saved = MinuteItem.objects.get(item=world.public_item)
    assert "pension deficit" in saved.body and "auditors attended" in saved.body and "<b>" in saved.body

    # An action for the member, due yesterday.
    secretary.reload()
    item = secretary.locator(f"#minute-{world.public_item.pk}")
    item.get_by_text("Add an action").tap()
    item.get_by_label("What is to be done").fill("Send the signed accounts to the Charity Commission")
    item.get_by_label("Who").select_option(label="Ruth Hammond")
    item.get_by_label("By").fill((dt.date.today() - dt.timedelta(days=1)).isoformat())
    with secretary.expect_navigation():
        item.get_by_role("button", name="Add action").tap()
    assert "Charity Commission" in secretary.locator(f"#minute-{world.public_item.pk}").inner_text()

    # Put the minutes on the April meeting's agenda, circulate, record the approval there, sign.
    april = MeetingModel.objects.get(title="April board meeting")
    secretary.get_by_label("Put on the agenda of").select_option(value=str(april.pk))
    with secretary.expect_navigation():
        secretary.get_by_role("button", name="Add the item").tap()
    assert "to the agenda of April board meeting" in secretary.locator(".messages").inner_text()
    secretary.once("dialog", lambda dialog: dialog.accept())
    with secretary.expect_navigation():
        secretary.get_by_role("button", name="Circulate for comment").tap()
    secretary.get_by_label(re.compile("at April board meeting")).check()
    questions: list[str] = []

    def answer(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    secretary.once("dialog", answer)
    with secretary.expect_navigation():
        secretary.get_by_role("button", name="Record approval").tap()
    assert questions and "cannot be undone" in questions[0]
    assert "approval is recorded" in secretary.locator(".messages").inner_text()
    chair.goto(url)
    site.screenshot(chair, "minutes-sign-1024x1366")
    # Signing asks for a fresh code; the one the chair signed in with may still be on screen.
    chair.get_by_label("Code from your authenticator app").fill(next_code(authenticator(world.chair)))
    chair.once("dialog", lambda dialog: dialog.accept())
    with chair.expect_navigation():
        chair.get_by_role("button", name="Sign as chair").tap()
    assert "Signed electronically by" in chair.locator(".minutes-signature").inner_text()
    site.screenshot(chair, "minutes-signed-1024x1366")
    chair.goto(site.at(f"/meetings/{world.meeting.pk}/minutes.pdf"))  # the PDF downloads or shows

    # A member finds it in the archive and by a word of the decision.
    indexing.reindex_all()
    member_context = site.context(IPAD_AIR)
    member = member_context.new_page()
    _watch(member, problems)
    site.sign_in(member, "member")
    member.goto(site.at("/archive/"))
    assert member.get_by_role("link", name="Signed minutes (PDF)").count() == 1
    site.screenshot(member, "archive-820x1180")
    member.get_by_label("Search papers, minutes, decisions and actions").fill("accounts approved")
    with member.expect_navigation():
        member.get_by_role("button", name="Search").tap()
    assert member.locator(".result").filter(has_text="Decision").count() >= 1
    site.screenshot(member, "search-820x1180")
    member.goto(site.at("/actions/"))
    mine = member.locator(".tracker .action-row").first
    assert "Overdue" in mine.inner_text()
    site.screenshot(member, "actions-820x1180")
    mine.get_by_label("Status").select_option(label="In progress")
    with member.expect_navigation():
        mine.get_by_role("button", name="Update").tap()
    assert "in progress" in member.locator(".messages").inner_text()
    for context in (secretary_context, chair_context, member_context):
        context.close()
    # Only these screens are judged here (the sign-in pages belong to other tests).
    screens = ("/minutes/", "/archive/", "/search/", "/actions/")
    expected = "status of 409"  # the chair's refused save, shown to merge
    assert [p for p in problems if any(path in p.split(": ")[0] for path in screens) and expected not in p] == []
