"""Pages answer bad input with a clear 4xx page, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.downloads import pdf_bytes


@pytest.fixture
def member_client(world: BoardWorld) -> Client:
    client = Client(raise_request_exception=False)
    sign_in(client, world.member)
    return client


def test_wrong_password_shows_a_clear_message_and_no_session(world: BoardWorld) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "member", "password": "wrong"})
    assert response.status_code == 200
    assert "could not sign you in" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_right_password_signs_in_and_lands_on_home(world: BoardWorld) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "member", "password": "correct horse battery staple"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Riverside Trust" in client.get("/").content.decode()


def test_login_refuses_an_offsite_next(world: BoardWorld) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "member", "password": "correct horse battery staple"},
    )
    assert response["Location"] == "/"


def test_another_boards_meeting_is_a_friendly_404(member_client: Client, world: BoardWorld) -> None:
    response = member_client.get(f"/meetings/{world.other_meeting.pk}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Not found" in body and "Hillside" not in body


@pytest.mark.parametrize(
    "url",
    [
        "/meetings/abc/",
        "/meetings/-1/",
        "/meetings/99999999999999999999999/",
        "/boards/0/",
        "/papers/1e3/pdf",
        "/papers/999999/pdf",
        "/nowhere",
    ],
)
def test_malformed_or_unknown_ids_are_404(member_client: Client, url: str) -> None:
    response = member_client.get(url)
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_logout_needs_post_and_ends_the_session(member_client: Client) -> None:
    assert member_client.get("/accounts/logout/").status_code == 405
    member_client.post("/accounts/logout/")
    assert member_client.get("/").status_code == 302


def test_paper_download_headers(member_client: Client, world: BoardWorld) -> None:
    response = member_client.get(f"/papers/{world.part_b_paper.pk}/pdf")
    assert response["Cache-Control"] == "private, no-store"
    if response.status_code == 302:  # files on S3: a presigned link that sets the same headers
        assert "response-cache-control=private" in response["Location"].lower()
        assert "response-content-disposition=inline" in response["Location"].lower()
    else:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline;")
    assert pdf_bytes(response).startswith(b"%PDF-")


def test_healthz_is_trivial(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_the_500_page_renders_even_when_the_session_store_fails(world: BoardWorld) -> None:
    from django.test import RequestFactory

    from boardroom.views import server_error

    request = RequestFactory().get("/")
    request.session = None  # type: ignore[assignment]
    response = server_error(request)
    assert response.status_code == 500 and b"Something went wrong" in response.content
