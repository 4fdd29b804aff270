"""A half-signed-in session (right password, second factor still owed) reaches nothing but the
second-factor pages and signing out.

Every URL pattern of the URL conf is requested, found by walking the resolver rather than from a
hand-kept list, so a page added later is covered the day it is added.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize

from boardroom import middleware
from meetings.calendar import feed_token
from tests.auth import authenticator
from tests.conftest import BoardWorld

# Pages a half-signed-in session may open (anything else must send it to the second step).
SECOND_STEP = {"login", "logout", "two_factor_verify", "two_factor_setup", "healthz"}
FALLBACK_VALUES = ("1", "meetings", "approve", "x")


@dataclass(frozen=True)
class Route:
    path: str
    name: str  # the URL name, or the pattern itself for unnamed ones


def _walk(patterns: list[Any], prefix: list[Any]) -> Iterator[tuple[list[Any], URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, [*prefix, entry.pattern])
        else:
            yield prefix, entry


def _fill(pattern: Any, values: dict[str, str]) -> str:
    """A concrete path piece for one pattern of the URL conf, converters filled with sample values.

    Known names get the world's real objects (so a page that wrongly answered would show them);
    other parameters take the first fallback the pattern accepts.
    """
    regex = pattern.regex
    template, params = normalize(regex.pattern)[0]
    choices = [[values[p]] if p in values else list(FALLBACK_VALUES) for p in params]
    for combination in itertools.product(*choices):
        piece = template % dict(zip(params, combination, strict=True))
        if regex.search(piece):
            return piece
    raise AssertionError(f"no sample value fits {regex.pattern!r}")


def every_route(values_for: dict[str, dict[str, str]]) -> list[Route]:
    """One concrete path per URL pattern. ``values_for`` maps a path's first segment to the
    parameter values to use under it (``"*"``: everywhere else)."""
    routes = []
    for prefixes, pattern in _walk(get_resolver().url_patterns, []):
        path = ""
        for piece in [*prefixes, pattern.pattern]:
            head = (path + str(piece)).split("/", 1)[0]
            path += _fill(piece, {**values_for["*"], **values_for.get(head, {})})
        path = "/" + path
        resolve(path)  # the sample reaches the URL conf (raises Resolver404 otherwise)
        routes.append(Route(path, pattern.name or str(pattern.pattern)))
    return routes


def _values(world: BoardWorld, user: User) -> dict[str, dict[str, str]]:
    return {
        "*": {
            "pk": str(world.meeting.pk),
            "board_pk": str(world.board.pk),
            "item_pk": str(world.public_item.pk),
            "paper_pk": str(world.public_paper.pk),
            "board_slug": world.board.slug,
            "token": feed_token(user),
            "index": "0",
            "number": "1",
            "action": "approve",
            "object_id": str(world.meeting.pk),
        },
        "boards": {"pk": str(world.board.pk)},
        "papers": {"pk": str(world.public_paper.pk)},
    }


def _private(world: BoardWorld, user: User) -> list[str]:
    """What a half-signed-in session must not be shown."""
    titles = [world.meeting.title, world.draft.title, world.public_item.title, world.public_paper.title]
    titles += [world.part_b_paper.title, "Chief executive", world.board.name]
    return [*titles, feed_token(user)]


def _half_signed(user: User, *, enrolled: bool) -> Client:
    """Password given (as ``force_login`` records it), second factor owed but not given."""
    if enrolled:
        authenticator(user)  # a confirmed device: the next step is a code
    client = Client()
    client.force_login(user)
    return client


def half_signed_leaks(world: BoardWorld, user: User, *, enrolled: bool) -> list[str]:
    """Every route a half-signed-in session got more than a redirect to the second step (or
    a 403/404) from, or where the body carried private data."""
    second_step = "/accounts/verify/" if enrolled else "/accounts/two-factor/"
    private = _private(world, user)
    routes = every_route(_values(world, user))
    # Signing out ends the session, so it goes last.
    routes.sort(key=lambda route: route.name == "logout")
    client = _half_signed(user, enrolled=enrolled)
    problems = []
    for route, method in itertools.product(routes, ("get", "post")):
        response = getattr(client, method)(route.path)
        body = b"" if getattr(response, "streaming", False) else response.content
        text = body.decode("utf-8", "replace")
        shown = [secret for secret in private if secret in text]
        if shown:
            problems.append(f"{method.upper()} {route.path}: shows {shown}")
        if route.name in SECOND_STEP or route.path.startswith("/static/"):
            continue
        redirected = response.status_code == 302 and response["Location"].startswith(second_step)
        if not redirected and response.status_code not in (403, 404):
            problems.append(f"{method.upper()} {route.path}: {response.status_code}")
    return problems


def test_the_walk_covers_the_whole_url_conf(world: BoardWorld) -> None:
    """The walk finds every pattern (admin included) and fills each with a path that resolves."""
    routes = every_route(_values(world, world.secretary))
    names = {route.name for route in routes}
    assert {"security", "calendar_renew", "sign_out_everywhere", "calendar_feed", "meeting", "search"} <= names
    assert any(route.path.startswith("/admin/") for route in routes)
    assert any(route.path.startswith("/public/") for route in routes)
    assert f"/meetings/{world.meeting.pk}/agenda/items/{world.public_item.pk}/" in {route.path for route in routes}
    assert len(routes) > 150


@pytest.mark.parametrize("enrolled", [True, False], ids=["owes-a-code", "owes-enrolment"])
def test_a_half_signed_session_reaches_only_the_second_step(world: BoardWorld, enrolled: bool) -> None:
    """The secretary (who sees the most) gave only a password: every page, GET and POST, sends
    them to the second step or is not found, and no page shows a title or the calendar link."""
    assert half_signed_leaks(world, world.secretary, enrolled=enrolled) == []


def test_the_walk_reports_a_page_left_open(world: BoardWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: open the security page to half-signed sessions again and it is named."""
    monkeypatch.setattr(middleware, "SECOND_STEP_PAGES", middleware.SECOND_STEP_PAGES | {"security"})
    leaks = half_signed_leaks(world, world.secretary, enrolled=True)
    assert "GET /accounts/security/: 200" in leaks
    assert any(re.match(r"GET /accounts/security/: shows .*", leak) for leak in leaks)


def test_the_security_page_and_calendar_link_wait_for_the_second_factor(world: BoardWorld) -> None:
    client = _half_signed(world.member, enrolled=True)
    token = feed_token(world.member)
    page = client.get("/accounts/security/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/verify/")
    renewed = client.post("/accounts/calendar-link/")
    assert renewed.status_code == 302 and renewed["Location"].startswith("/accounts/verify/")
    assert feed_token(world.member) == token  # not replaced
    everywhere = client.post("/accounts/sign-out-everywhere/")
    assert everywhere["Location"].startswith("/accounts/verify/")
    assert client.get("/accounts/verify/").status_code == 200
