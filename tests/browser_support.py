"""Fixtures and helpers for the Playwright browser tests (system Chromium, iPad-sized, touch).

Used as a pytest plugin by ``tests/test_browser_*.py`` (``pytest_plugins = ["tests.browser_support"]``).

Playwright's sync API keeps an asyncio loop marked as running in the test thread for as long
as it is started, and Django refuses ORM calls from a thread with a running loop. So the
browser is module-scoped (the loop is gone before other test modules run) and
``DJANGO_ALLOW_ASYNC_UNSAFE`` is set only while it lives.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from tests.conftest import BoardWorld, build_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = (
    "browser tests skipped: /usr/bin/chromium not installed — run as root so make test can apt-get install chromium"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# iPad-like viewports: 10.9"/11" (820x1180) and 12.9" (1024x1366), portrait.
IPAD_AIR = {"width": 820, "height": 1180}
IPAD_PRO = {"width": 1024, "height": 1366}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless system Chromium per test module."""
    if not CHROMIUM.exists():
        warnings.warn(CHROMIUM_MISSING, pytest.PytestWarning, stacklevel=1)  # shows in the summary, not only -ra
        pytest.skip(CHROMIUM_MISSING)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev requirements install it
        pytest.skip(
            "browser tests skipped: the playwright package is not installed (pip install -r requirements-dev.txt)"
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Site:
    """The world as the browser sees it: data committed, a live server to talk to, and the
    helpers a test needs (so test modules import nothing from here at run time)."""

    url: str
    world: BoardWorld
    browser: Browser
    # The plain live server speaks HTTP only: pages served by it keep the meeting socket off, so
    # no reconnect loop runs against a server that can never upgrade (that loop hung teardown).
    websockets: bool = True

    def at(self, path: str) -> str:
        return f"{self.url}{path}"

    def context(self, viewport: dict[str, int] = IPAD_AIR, *, touch: bool = True, **options: Any) -> BrowserContext:
        """An iPad-like context (touch, mobile viewport handling, retina pixels), or with
        ``touch=False`` a laptop-like one."""
        device: dict[str, Any] = {"has_touch": True, "is_mobile": True, "device_scale_factor": 2} if touch else {}
        context = self.browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            locale="en-GB",
            timezone_id="Europe/London",
            **device,
            **options,
        )
        context.set_default_timeout(10_000)
        if not self.websockets:
            context.add_init_script("Object.defineProperty(window, 'WebSocket', {value: undefined});")
        return context

    def sign_in(self, page: Page, username: str, password: str = PASSWORD, *, tap: bool = True) -> None:
        """Fill the sign-in form as a person on an iPad would: tap a field, type, tap the button."""
        page.goto(self.at("/accounts/login/"))
        button = page.get_by_role("button", name="Sign in")
        if tap:
            page.get_by_label("Username").tap()
            page.keyboard.type(username)
            page.get_by_label("Password").tap()
            page.keyboard.type(password)
            with page.expect_navigation():
                button.tap()
        else:
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(password)
            with page.expect_navigation():
                button.click()

    def give_session(self, context: BrowserContext, user: Any) -> None:
        """Sign ``user`` (a User or a username) in on ``context`` server-side, second factor confirmed:
        for tests about what comes after signing in (the sign-in pages have tests of their own)."""
        from django.conf import settings
        from django.contrib.auth.models import User
        from django.test import Client

        from tests.auth import sign_in

        if isinstance(user, str):
            user = User.objects.get(username=user)
        cookie = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.url}])

    def sign_in_with_code(self, page: Page, username: str) -> None:
        """Sign in as someone with an authenticator app, typing the code it shows if asked."""
        from tests.auth import authenticator, current_code

        device = authenticator(getattr(self.world, username))
        self.sign_in(page, username)
        if "/accounts/verify/" in page.url:
            page.get_by_label("Code").fill(current_code(device))
            with page.expect_navigation():
                page.get_by_role("button", name="Continue").tap()

    def screenshot(self, page: Page, name: str) -> Path:
        """Save a full-page PNG into test-artifacts/ (gitignored) for a person to look at."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def enrich(world: BoardWorld) -> None:
    """Give the published meeting the shape of a real agenda: sub-items, presenters, timings,
    a video link, and Part B at the end where boards usually take it."""
    from documents import services as document_services
    from meetings import services
    from meetings.models import AgendaItem, MeetingStatus, Purpose
    from tests.factories import MeetingFactory
    from tests.pdfs import make_pdf

    secretary, meeting = world.secretary, world.meeting
    names = {
        world.chair: ("Margaret", "Ellison"),
        world.secretary: ("David", "Okafor"),
        world.member: ("Ruth", "Hammond"),
        world.observer: ("Tom", "Whitaker"),
        world.outsider: ("Priya", "Shah"),
    }
    for user, (first, last) in names.items():
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])

    starts = timezone.localtime(timezone.now() + dt.timedelta(days=9)).replace(hour=18, minute=0, second=0)
    meeting.starts_at = starts
    meeting.ends_at = starts + dt.timedelta(hours=2)
    meeting.location = "Committee Room 1, Riverside House"
    meeting.video_url = "https://video.example.org/riverside-march"
    meeting.save(update_fields=["starts_at", "ends_at", "location", "video_url"])

    def add(title: str, **fields: Any) -> AgendaItem:
        return services.agenda_item_add(actor=secretary, meeting=meeting, title=title, **fields)

    welcome = add(
        "Welcome, apologies and declarations of interest",
        presenter=world.chair,
        duration_minutes=5,
        purpose=Purpose.INFORMATION,
    )
    minutes = add("Minutes of the last meeting", presenter=world.chair, duration_minutes=5, purpose=Purpose.DECISION)
    strategy = add(
        "Strategy 2026–2029",
        presenter_name="Helen Carter, Chief Executive",
        duration_minutes=40,
        purpose=Purpose.DISCUSSION,
        description="The draft strategy after the staff and tenant consultation. "
        "The board is asked to comment on the three priorities before the final draft in June.",
    )
    consult = add(
        "Consultation findings",
        parent=strategy,
        presenter_name="Helen Carter",
        duration_minutes=15,
        purpose=Purpose.INFORMATION,
    )
    add("Funding the priorities", parent=strategy, duration_minutes=20, purpose=Purpose.DECISION)
    paper = document_services.paper_create(actor=secretary, item=consult, title="Consultation report")
    document_services.paper_version_add(actor=secretary, paper=paper, data=make_pdf([f"p{n}" for n in range(1, 13)]))
    paper = document_services.paper_create(actor=secretary, item=strategy, title="Draft strategy 2026–2029")
    document_services.paper_version_add(actor=secretary, paper=paper, data=make_pdf([f"p{n}" for n in range(1, 25)]))

    world.public_item.purpose = Purpose.DECISION
    world.public_item.presenter = world.secretary
    world.public_item.duration_minutes = 20
    world.public_item.description = "Management accounts to the end of February, with the forecast to year end."
    world.public_item.save(update_fields=["purpose", "presenter", "duration_minutes", "description"])
    world.part_b_item.purpose = Purpose.DECISION
    world.part_b_item.presenter = world.chair
    world.part_b_item.duration_minutes = 15
    world.part_b_item.save(update_fields=["purpose", "presenter", "duration_minutes"])

    past = MeetingFactory.create(
        board=world.board,
        title="Annual general meeting",
        starts_at=starts - dt.timedelta(days=70),
        location="Committee Room 1, Riverside House",
        status=MeetingStatus.MINUTED,
    )
    services.agenda_item_add(actor=secretary, meeting=past, title="Budget 2026")

    # Order: welcome, minutes, finance, strategy (with sub-items), then Part B.
    order = [welcome, minutes, world.public_item, strategy, world.part_b_item]
    for position, item in enumerate(order, start=1):
        AgendaItem.objects.filter(pk=item.pk).update(position=position)
    services.agenda_renumber(meeting=meeting)


@pytest.fixture
def site(transactional_db: None, live_server: Any, browser: Browser) -> Site:
    """The named-people world, committed so the live server's thread can read it.

    Depends on ``browser`` so that a missing Chromium skips before any data is built."""
    world = build_world()
    enrich(world)
    for name in ("meeting", "public_item", "part_b_item"):
        getattr(world, name).refresh_from_db()
    return Site(url=live_server.url, world=world, browser=browser, websockets=False)


@pytest.fixture
def ipad(site: Site) -> Iterator[Page]:
    """A page in an 820x1180 touch context."""
    context = site.context(IPAD_AIR)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- a real ASGI server, for pages that use the meeting socket --------------------------------


# The folder of stored files each ASGI test server reads (by its URL): the tests point their own
# storage at it, so a paper stored by a test is the file the server sends.
_SERVER_FILES: dict[str, str] = {}


def _on_disk(storages: dict[str, Any], location: str) -> dict[str, Any]:
    default = storages["default"]
    if not default["BACKEND"].endswith("FileSystemStorage"):
        return storages  # S3: the server and the tests share the bucket already
    return {**storages, "default": {**default, "OPTIONS": {**default.get("OPTIONS", {}), "location": location}}}


def _serve_test_database(files: str = "") -> None:
    """Runs in the forked server process: point Django at the test database, on fresh connections.

    Function-scoped settings fixtures do not reach this process, so what they change for the
    test data must be repeated here: the tests' users have fast (MD5) password hashes, and
    files are kept in the folder the tests store them in.
    """
    from asgiref.sync import SyncToAsync
    from django.conf import settings
    from django.db import connections

    # The fork inherits the parent's database-thread executor but not its thread: a new one.
    SyncToAsync.single_thread_executor = type(SyncToAsync.single_thread_executor)(max_workers=1)
    if files:
        from django.core.signals import setting_changed

        settings.STORAGES = _on_disk(settings.STORAGES, files)
        # What override_settings does: the storages (and default_storage) are made again.
        setting_changed.send(sender=type(settings), setting="STORAGES", value=settings.STORAGES, enter=True)
    # The fork already carries the test database's settings (pytest-django switched them before
    # the server started); channels' set_database_connection() would add a second "test_".
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    connections.close_all()  # never share the parent's SQLite/PostgreSQL handles across fork


@pytest.fixture(scope="module")
def asgi_server(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[str]:
    """Daphne serving ``boardroom.asgi`` (HTTP and websockets) in a forked process, on the test database.

    pytest-django's ``live_server`` is WSGI: it cannot upgrade to a websocket. Channels'
    ``DaphneProcess`` forks, so the child inherits the test database settings; it is started
    before Playwright (request it first) so the fork carries no browser state. The in-memory
    channel layer lives in that process, which is where every socket and command runs.
    """
    from functools import partial

    from channels.testing.live import make_application
    from daphne.testing import DaphneProcess
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    files = str(tmp_path_factory.mktemp("live-files"))
    with django_db_blocker.unblock():
        from django.db import connections

        connections.close_all()
        server = DaphneProcess(
            "127.0.0.1",
            partial(make_application, static_wrapper=ASGIStaticFilesHandler),
            setup=partial(_serve_test_database, files),
        )
        server.start()
    try:
        if not server.ready.wait(timeout=30):
            raise RuntimeError("the ASGI test server did not start")
        url = f"http://127.0.0.1:{server.port.value}"
        _SERVER_FILES[url] = files
        yield url
    finally:
        server.terminate()
        server.join(timeout=10)


@pytest.fixture
def live_site(transactional_db: None, asgi_server: str, browser: Browser, settings: Any) -> Site:
    """Like ``site``, served by the ASGI server so pages can open the meeting socket."""
    settings.STORAGES = _on_disk(settings.STORAGES, _SERVER_FILES[asgi_server])
    world = build_world()
    enrich(world)
    for name in ("meeting", "public_item", "part_b_item"):
        getattr(world, name).refresh_from_db()
    return Site(url=asgi_server, world=world, browser=browser)
