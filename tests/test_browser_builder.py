"""The secretary's side in a real browser: enrol a second factor, build an agenda, publish.

A member then opens the published meeting on an iPad and sees the items in order, with the
Part B item only if allowed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

IPAD_PRO = {"width": 1024, "height": 1366}


def _code_for(manual_key: str) -> str:
    """What the secretary's authenticator app shows for the key on the enrolment page."""
    import base64

    from django_otp.oath import TOTP

    key = manual_key.replace(" ", "")
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    return f"{TOTP(secret).token():06d}"


def _go(page: Page, locator: Locator) -> None:
    """Tap something that loads a new page, and wait for it."""
    with page.expect_navigation():
        locator.tap()


def _enrol(site: Site, page: Page) -> None:
    site.sign_in(page, "secretary")
    assert "/accounts/two-factor/" in page.url
    assert page.locator(".qr svg").is_visible()
    site.screenshot(page, "two-factor-setup-820x1180")
    page.get_by_label("Code from the app").fill(_code_for(page.locator(".manual-key").inner_text()))
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on two-step sign-in").tap()
    assert page.locator(".recovery-codes li").count() == 10
    _go(page, page.get_by_role("link", name=re.compile("kept them safe")))


def test_secretary_enrols_builds_an_agenda_and_publishes(site: Site) -> None:
    context = site.context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    _enrol(site, page)

    page.goto(site.at(f"/boards/{site.world.board.pk}/"))
    _go(page, page.get_by_role("link", name="New meeting"))
    page.get_by_label("Title", exact=True).fill("June board meeting")
    page.get_by_label("Date").fill("2031-06-17")
    page.get_by_label("Starts at").fill("18:00")
    page.get_by_label("Location").fill("Riverside House")
    _go(page, page.get_by_role("button", name="Create draft meeting"))
    assert "Agenda builder" in page.locator("main").inner_text()

    _go(page, page.get_by_role("button", name="Add the standing items"))
    page.get_by_label("Title", exact=True).fill("Property acquisition — commercial terms")
    page.get_by_label("Purpose").select_option("decision")
    page.get_by_label("Part B (confidential)").check()
    _go(page, page.get_by_role("button", name="Add item"))
    page.get_by_label("Title", exact=True).fill("Finance report")
    _go(page, page.get_by_role("button", name="Add item"))
    titles = page.locator(".builder-item-title").all_inner_texts()
    assert len(titles) == 8 and titles[-1].startswith("8 Finance report")

    # Keyboard / no-drag reorder: Finance report up one place.
    _go(page, page.get_by_role("button", name="Move item 8 up"))
    titles = page.locator(".builder-item-title").all_inner_texts()
    assert titles[6].startswith("7 Finance report")

    # Drag the Part B item (now 8) to the top with the handle.
    # Bring the list into view below the sticky top bar.
    page.locator("#builder-list").evaluate("list => { list.scrollIntoView(); window.scrollBy(0, -120); }")
    handle = page.get_by_label("Drag item 8 to reorder")
    first = page.locator(".builder-item").first
    box, target = handle.bounding_box(), first.bounding_box()
    assert box and target
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 10, target["y"] + 5, steps=12)
    page.mouse.up()
    try:
        page.get_by_text("Order saved").wait_for()
    except Exception:
        site.screenshot(page, "builder-drag-failed")
        raise AssertionError(console)
    titles = page.locator(".builder-item-title").all_inner_texts()
    assert titles[0].startswith("1 Property acquisition")
    # Papers: a PDF, and a Word document converted to PDF on the server where LibreOffice is.
    import shutil

    from playwright.sync_api import FilePayload

    from tests.pdfs import make_pdf
    from tests.test_uploads import minimal_docx

    finance = page.locator(".builder-item", has_text="Finance report")
    finance.locator(".paper-add summary").tap()
    finance.locator("input[type=file]").set_input_files(
        files=FilePayload(name="accounts.pdf", mimeType="application/pdf", buffer=make_pdf(["Accounts", "p2"]))
    )
    finance.get_by_placeholder("Title (optional)").fill("Management accounts")
    finance.get_by_role("button", name="Upload").tap()
    finance.locator(".upload-row[data-status=ready]").wait_for(timeout=60_000)
    _go(page, finance.get_by_role("button", name="Show them in the agenda"))
    finance = page.locator(".builder-item", has_text="Finance report")
    assert "Management accounts" in finance.inner_text() and "Ready" in finance.inner_text()
    # Three papers at once: each shows its own upload and check; untitled ones take the
    # document's own first line as their title, not the file name.
    risk = page.locator(".builder-item", has_text="Matters arising")
    risk.locator(".paper-add summary").tap()
    risk.locator("input[type=file]").set_input_files(
        files=[
            FilePayload(
                name=f"scan_{n}.pdf", mimeType="application/pdf", buffer=make_pdf([f"{name} for the year", "Detail"])
            )
            for n, name in enumerate(("Internal audit plan", "Risk appetite statement", "Insurance review"), 1)
        ]
    )
    rows = risk.locator(".upload-row")
    rows.nth(2).wait_for()
    assert rows.count() == 3
    for n in range(3):
        risk.locator(".upload-row[data-status=ready]").nth(n).wait_for(timeout=90_000)
    site.screenshot(page, "builder-three-uploads-820x1180")
    _go(page, risk.get_by_role("button", name="Show them in the agenda"))
    risk = page.locator(".builder-item", has_text="Matters arising")
    for name in ("Internal audit plan for the year", "Risk appetite statement for the year", "Insurance review"):
        assert name in risk.inner_text()
    assert "scan_1" not in risk.inner_text()
    if shutil.which("soffice"):
        finance.locator(".paper-add summary").tap()
        finance.locator(".paper-add input[type=file]").set_input_files(
            files=FilePayload(
                name="budget.docx", mimeType="application/octet-stream", buffer=minimal_docx("Budget for next year")
            )
        )
        finance.get_by_role("button", name="Upload").tap()
        finance.locator(".upload-row[data-status=ready]").wait_for(timeout=120_000)
        _go(page, finance.get_by_role("button", name="Show them in the agenda"))
        finance = page.locator(".builder-item", has_text="Finance report")
        assert "Budget for next year" in finance.inner_text() and finance.inner_text().count("Ready") == 2

    # Four more items make a full twelve-item agenda.
    for title in ("Chief executive's report", "Safeguarding annual report", "Risk register", "Fundraising plan"):
        page.get_by_label("Title", exact=True).fill(title)
        _go(page, page.get_by_role("button", name="Add item"))
    assert page.locator(".builder-item-title").count() == 12
    site.screenshot(page, "builder-820x1180")

    _go(page, page.get_by_role("link", name="Preview and publish…"))
    assert "What each person will see" in page.locator("main").inner_text()
    site.screenshot(page, "publish-preview-820x1180")
    # Before publishing, the secretary sees the meeting exactly as the observer will: no Part B.
    _go(page, page.get_by_role("link", name="Tom Whitaker"))
    assert "What Tom Whitaker sees" in page.locator("main").inner_text()
    agenda = page.locator(".agenda").inner_text()
    assert "Finance report" in agenda and "Property acquisition" not in agenda
    site.screenshot(page, "view-as-observer-820x1180")
    page.go_back()
    _go(page, page.get_by_role("button", name="Publish now"))
    assert "Published" in page.locator("main").inner_text()
    context.close()

    # Every member who may see the meeting was emailed (the test server shares this outbox).
    from django.core import mail

    told = {message.to[0] for message in mail.outbox if "June board meeting" in message.subject}
    assert {"member@example.org", "observer@example.org", "chair@example.org"} <= told

    member = site.context(IPAD_PRO).new_page()
    site.sign_in(member, "member")
    _go(member, member.get_by_role("link", name=re.compile("June board meeting")).first)
    items = member.locator(".item-title").all_inner_texts()
    assert len(items) == 12 and "Property acquisition" in items[0] and "Fundraising plan" in items[-1]
    assert member.get_by_role("link", name="Management accounts").is_visible()
    member.context.close()

    # A corrected version 2 of the accounts; Ruth (a member, at 820x1180) opens it, saves the
    # meeting on her iPad, and reads it offline from the offline home.
    from documents import services as document_services
    from documents.models import Paper
    from meetings.models import Meeting, Notice

    meeting = Meeting.objects.get(title="June board meeting")
    accounts = Paper.objects.get(item__meeting=meeting, title="Management accounts")
    document_services.paper_version_add(
        actor=site.world.secretary, paper=accounts, data=make_pdf(["Accounts (corrected)", "p2", "p3"])
    )
    reader_context = site.context()
    ruth = reader_context.new_page()
    site.sign_in(ruth, "member")
    ruth.goto(site.at(f"/papers/{accounts.pk}/read"))
    ruth.locator("[data-reader][data-ready=true]").wait_for(timeout=30_000)
    ruth.goto(site.at(f"/meetings/{meeting.pk}/"))
    ruth.evaluate("async () => { await navigator.serviceWorker.ready; }")
    offline_box = ruth.locator(f'[data-offline-meeting="{meeting.pk}"]')
    offline_box.get_by_role("button", name="Make available offline").tap()
    offline_box.locator("[data-offline-status]", has_text="Available offline").wait_for(timeout=60_000)
    ruth.reload()
    ruth.evaluate("async () => { await navigator.serviceWorker.ready; }")
    reader_context.set_offline(True)
    ruth.goto(site.at("/"))
    saved = ruth.locator("[data-offline-list] li")
    saved.first.wait_for()
    with ruth.expect_navigation():
        saved.get_by_role("link", name="June board meeting").tap()
    assert "Management accounts" in ruth.locator(".agenda").inner_text()
    site.screenshot(ruth, "story-offline-meeting-820x1180")
    reader_context.close()

    # The secretary sees who has not opened version 2 and reminds them with one tap.
    # Signed in server-side: a second sign-in with the authenticator inside the same 30-second
    # window would reuse the code the enrolment used, which the second factor rightly refuses.
    secretary_context = site.context()
    site.give_session(secretary_context, "secretary")
    secretary = secretary_context.new_page()
    secretary.goto(site.at(f"/meetings/{meeting.pk}/reading/"))
    matrix = secretary.locator("table.read-status").inner_text()
    assert "Management accounts" in matrix and "v2" in matrix
    site.screenshot(secretary, "story-read-status-820x1180")
    _go(secretary, secretary.get_by_role("button", name=re.compile("Management accounts version 2")))
    assert re.search(r"Reminded \d+ (person|people)", secretary.locator("main").inner_text())
    reminded = set(
        Notice.objects.filter(kind=Notice.Kind.REMINDER, text__contains="Management accounts").values_list(
            "user__username", flat=True
        )
    )
    assert "member" not in reminded and {"chair", "observer"} <= reminded
    secretary.context.close()

    observer = site.context().new_page()
    site.sign_in(observer, "observer")
    observer.goto(site.at(f"/boards/{site.world.board.pk}/"))
    _go(observer, observer.get_by_role("link", name=re.compile("June board meeting")).first)
    assert "Property acquisition" not in observer.locator("main").inner_text()
    observer.context.close()
