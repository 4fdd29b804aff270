"""Headers on every response: Date, private caching for signed-in pages, noindex outside the
public site, and robots.txt."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest
from django.test import Client
from django.utils import timezone

from tests.auth import sign_in
from tests.conftest import BoardWorld


@pytest.mark.django_db
def test_signed_in_pages_are_private_and_dated(world: BoardWorld) -> None:
    client = sign_in(Client(), world.member)
    for url in ("/", f"/meetings/{world.meeting.pk}/", "/archive/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private" in response["Cache-Control"], url
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert abs((parsedate_to_datetime(response["Date"]) - timezone.now()).total_seconds()) < 120


@pytest.mark.django_db
def test_the_sign_in_page_is_dated_and_not_indexed() -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 200 and response.has_header("Date")
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_robots_txt_allows_only_the_public_site() -> None:
    response = Client().get("/robots.txt")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert "Allow: /public/" in lines and "Disallow: /" in lines
