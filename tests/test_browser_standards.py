"""Every page a person can reach is valid HTML (the Nu checker) and passes axe-core's WCAG 2.2 AA
rules, for each kind of person: the secretary, the chair, a member and an observer.

The pages are found, not listed: starting at the home page, each person's session follows every
link on the site (one or two pages per URL name, so a hundred papers do not make a hundred
checks). A page added later is checked the day a link to it appears.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlparse

import pytest
from django.urls import Resolver404, resolve

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser_support import Site

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
NU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PEOPLE = ("secretary", "chair", "member", "observer")
PER_NAME = 2  # pages checked per URL name and person
# Links that act rather than show (sign out ends the session the crawl runs on).
SKIP_NAMES = {"logout", "logout_everywhere"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found.extend(value for name, value in attrs if name == "href" and value)


def _pages(username: str) -> dict[str, str]:
    """Path -> HTML of every page ``username`` reaches by following links from the home page."""
    from django.contrib.auth.models import User
    from django.test import Client

    from tests.auth import sign_in

    client = sign_in(Client(), User.objects.get(username=username))
    pages: dict[str, str] = {}
    per_name: dict[str, int] = {}
    queue = ["/"]
    seen = set(queue)
    while queue:
        path = queue.pop(0)
        try:
            name = resolve(urlparse(path).path).url_name or path
        except Resolver404:
            continue
        if name in SKIP_NAMES or per_name.get(name, 0) >= PER_NAME:
            continue
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        per_name[name] = per_name.get(name, 0) + 1
        html = response.content.decode()
        pages[path] = html
        parser = _Links()
        parser.feed(html)
        for href in parser.found:
            link = urldefrag(href)[0]
            parts = urlparse(link)
            if parts.scheme or parts.netloc or not link.startswith("/") or link.startswith(("/static/", "/ws/")):
                continue
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return pages


def _nu_errors(pages: dict[str, str], folder: Path) -> list[str]:
    files = {}
    for index, (path, html) in enumerate(sorted(pages.items())):
        file = folder / f"page-{index:03d}.html"
        file.write_text(html)
        files[file.resolve().as_uri()] = path
    done = subprocess.run(  # noqa: S603 — our own jar on our own files
        [shutil.which("java") or "java", "-jar", str(NU), "--format", "json", "--errors-only", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stderr or done.stdout or '{"messages": []}')
    errors = []
    for message in report["messages"]:
        where = files.get(message.get("url", "").replace("file:/", "file:///", 1), message.get("url"))
        errors.append(f"{where}:{message.get('lastLine')}: {message['message']}")
    return errors


def _axe(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations", WCAG
    )
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in found]


@pytest.mark.skipif(shutil.which("java") is None or not NU.exists(), reason="the Nu checker needs java and npm ci")
def test_every_page_is_valid_html_and_passes_axe(site: Site, tmp_path: Path) -> None:

    problems: list[str] = []
    checked = 0
    for username in PEOPLE:
        pages = _pages(username)
        assert len(pages) >= 5, f"{username} reached only {sorted(pages)}"
        folder = tmp_path / username
        folder.mkdir()
        problems += [f"[{username}] Nu: {error}" for error in _nu_errors(pages, folder)]

        context = site.context(bypass_csp=True)  # axe is injected as an inline script
        site.give_session(context, username)
        page = context.new_page()
        for path in sorted(pages):
            page.goto(site.at(path))
            page.wait_for_load_state("load")
            problems += [f"[{username}] axe {path}: {violation}" for violation in _axe(page)]
            checked += 1
        context.close()
    assert checked >= 20
    assert not problems, "\n".join(problems)
