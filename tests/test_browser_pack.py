"""The board pack as people meet it: the secretary replaces a paper and watches the pack being
recompiled by the background worker; a member then downloads the new pack, whose page numbers
are the ones the meeting page shows beside each paper."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.pdfs import make_pdf

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

IPAD_PRO = {"width": 1024, "height": 1366}


@pytest.fixture
def worker(settings: Any) -> Iterator[None]:
    """Tasks go to the database queue and a worker thread runs them, as `manage.py db_worker` does."""
    from django_tasks_db.management.commands.db_worker import Worker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    runner = Worker(
        queue_names=["default"],
        interval=0.2,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        runner.running = False
        thread.join(timeout=30)


@pytest.fixture
def slow_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each paper takes a moment to merge, so that a person can see the build progress."""
    from documents import packs

    real = packs._Progress.advance

    def advance(self: Any, pages: int) -> None:
        time.sleep(0.6)
        real(self, pages)
        self.at = 0.0  # report every step

    monkeypatch.setattr(packs._Progress, "advance", advance)


def _sign_in_with_code(site: Site, page: Page, username: str) -> None:
    from tests.auth import authenticator, current_code

    user = getattr(site.world, username)
    device = authenticator(user)
    site.sign_in(page, username)
    if "/accounts/verify/" in page.url:
        page.get_by_label("Code").fill(current_code(device))
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").tap()


def _wait_for(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_secretary_watches_the_pack_rebuild_and_a_member_gets_matching_page_numbers(
    site: Site, worker: None, slow_build: None, tmp_path: Any
) -> None:
    from documents import packs
    from documents.models import BoardPack, PackStatus

    world = site.world
    meeting = world.meeting
    # The pack of the published meeting, compiled by the worker.
    _wait_for(lambda: packs.current_pack(meeting) is not None)
    first = packs.current_pack(meeting)
    assert first is not None
    errors: list[str] = []

    # A member opens the meeting on a larger iPad and downloads the pack: from now on its page
    # numbers are fixed.
    member_context = site.context(IPAD_PRO)
    reader = member_context.new_page()
    reader.on("pageerror", lambda error: errors.append(str(error)))
    site.sign_in(reader, "member")
    before = _pack_pages(reader, site, meeting.pk)
    assert before["Accounts"] == "1–2"
    _pdf_labels(reader, site, meeting.pk)

    context = site.context()
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in_with_code(site, page, "secretary")
    page.goto(site.at(f"/meetings/{meeting.pk}/agenda/"))
    panel = page.locator("#pack-status")
    assert f"Revision {first.revision}" in panel.inner_text()
    site.screenshot(page, "pack-panel-ready-820x1180")

    # Replace the accounts with a longer version.
    upload = tmp_path / "accounts-v2.pdf"
    upload.write_bytes(make_pdf(["Accounts v2", "Balance sheet", "Notes", "Auditor's report"]))
    accounts = page.locator(".builder-paper", has_text="Accounts")
    accounts.locator("summary", has_text="Replace or remove").tap()
    accounts.locator("input[type=file]").set_input_files(str(upload))
    accounts.get_by_label("What changed").fill("Audited figures")
    with page.expect_navigation():
        accounts.get_by_role("button", name="Upload new version").tap()

    # The panel follows by itself: out of date, then compiling with a progress bar, then ready.
    page.locator("#pack-status progress").wait_for(timeout=60_000)
    site.screenshot(page, "pack-panel-compiling-820x1180")
    assert re.search(r"Compiling revision \d+", panel.inner_text())
    page.locator("#pack-status .pack-current", has_text=f"Revision {first.revision + 1}").wait_for(timeout=60_000)
    assert page.locator("#pack-status progress").count() == 0
    second = BoardPack.objects.get(meeting=meeting, revision=first.revision + 1)
    assert second.status == PackStatus.READY and second.baseline == first
    site.screenshot(page, "pack-panel-new-revision-820x1180")
    context.close()

    # The member comes back: the accounts grew from two pages to four; the board numbers late
    # pages as supplements, so they read 1, 2, 2a, 2b and every other paper keeps its numbers.
    shown = _pack_pages(reader, site, meeting.pk)
    site.screenshot(reader, "meeting-with-pack-1024x1366")
    assert shown["Accounts"] == "1–2b"
    assert {title: span for title, span in shown.items() if title != "Accounts"} == {
        title: span for title, span in before.items() if title != "Accounts"
    }
    labels, texts = _pdf_labels(reader, site, meeting.pk)
    member_context.close()
    # Every range the meeting page shows is where the downloaded pack's footers say it is.
    for title, span in shown.items():
        first_label, _, last_label = span.partition("–")
        index = labels.index(first_label)
        assert f"Pack page {first_label} " in texts[index] and title in texts[index], (title, span)
        if last_label:
            last = labels.index(last_label)
            assert f"Pack page {last_label} " in texts[last] and title in texts[last]
    assert not errors, errors


def _pack_pages(page: Page, site: Site, meeting_id: int) -> dict[str, str]:
    """What the meeting page shows beside each paper: where it is in the reader's pack."""
    page.goto(site.at(f"/meetings/{meeting_id}/"))
    shown = {}
    for paper in page.locator("a.paper").all():
        title = paper.locator(".paper-title").inner_text()
        pages = paper.locator("[data-pack-pages]")
        if pages.count():
            shown[title] = pages.inner_text().removeprefix("pack pages ").strip()
    assert shown, "the meeting page shows where each paper is in the pack"
    return shown


def _pdf_labels(page: Page, site: Site, meeting_id: int) -> tuple[list[str], list[str]]:
    """Download the reader's pack as their browser does: (page labels, text of each page)."""
    import pikepdf
    import pypdfium2 as pdfium

    response = page.request.get(site.at(f"/meetings/{meeting_id}/pack.pdf"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    data = response.body()
    doc = pdfium.PdfDocument(data)
    texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [p.label for p in pdf.pages], texts
