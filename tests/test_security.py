"""Two-step sign-in, lock-out, session limits, sign-out everywhere and the security headers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from boardroom import sessions
from boardroom.asgi import application
from boardroom.models import AuditEvent
from tests.auth import authenticator, current_code, sign_in
from tests.conftest import BoardWorld

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[1]


def _password_step(client: Client, username: str, password: str = PASSWORD, ip: str = "10.0.0.1") -> str:
    response = client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)
    return response.get("Location", str(response.status_code))


def test_a_secretary_must_enrol_then_signs_in_with_a_code(world: BoardWorld) -> None:
    client = Client()
    _password_step(client, "secretary")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")
    page = client.get(response["Location"])
    assert b"<svg" in page.content and b"Type this key" in page.content
    device = TOTPDevice.objects.get(user=world.secretary, confirmed=False)
    wrong = client.post("/accounts/two-factor/", {"code": "000000", "next": "/"})
    assert b"did not match" in wrong.content
    time.sleep(1.1)  # a wrong code throttles the device for a second (django-otp)
    enrolled = client.post("/accounts/two-factor/", {"code": current_code(device), "next": "/"})
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", enrolled.content.decode())
    assert len(codes) == 10
    assert client.get("/").status_code == 200

    # Next time: password, then a code, and a recovery code works exactly once.
    client.post("/accounts/logout/")
    _password_step(client, "secretary")
    assert client.get("/")["Location"].startswith("/accounts/verify/")
    refused = client.post("/accounts/verify/", {"code": "123456", "next": "/"})
    assert b"not right" in refused.content
    time.sleep(1.1)
    assert client.post("/accounts/verify/", {"code": codes[0], "next": "/"})["Location"] == "/"
    assert StaticToken.objects.filter(device__user=world.secretary).count() == 9
    client.post("/accounts/logout/")
    _password_step(client, "secretary")
    assert b"not right" in client.post("/accounts/verify/", {"code": codes[0], "next": "/"}).content
    assert AuditEvent.objects.filter(action="auth.second_factor_enrolled", actor=world.secretary).exists()


def test_a_member_is_not_asked_unless_the_board_requires_it(world: BoardWorld) -> None:
    client = Client()
    _password_step(client, "member")
    assert client.get("/").status_code == 200
    world.board.require_two_factor = True
    world.board.save(update_fields=["require_two_factor"])
    fresh = Client()
    _password_step(fresh, "member")
    assert fresh.get("/")["Location"].startswith("/accounts/two-factor/")


def test_verify_refuses_an_offsite_next(world: BoardWorld) -> None:
    client = Client()
    device = authenticator(world.member)
    _password_step(client, "member")
    response = client.post("/accounts/verify/", {"code": current_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_five_wrong_passwords_lock_that_name_from_that_address(world: BoardWorld) -> None:
    client = Client()
    for _ in range(5):
        _password_step(client, "member", "wrong", ip="10.0.0.9")
    locked = client.post("/accounts/login/", {"username": "member", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert locked.status_code == 429 and b"Too many attempts" in locked.content
    elsewhere = Client()
    assert _password_step(elsewhere, "member", ip="10.0.0.10") == "/"


def test_an_idle_session_ends(world: BoardWorld) -> None:
    client = sign_in(Client(), world.member)
    assert client.get("/").status_code == 200
    session = client.session
    session[sessions.LAST_SEEN_KEY] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_a_board_may_set_a_shorter_idle_limit(world: BoardWorld) -> None:
    world.board.idle_minutes = 5
    world.board.save(update_fields=["idle_minutes"])
    client = sign_in(Client(), world.member)
    session = client.session
    session[sessions.LAST_SEEN_KEY] = int(time.time()) - 6 * 60
    session.pop(sessions.NEEDS_KEY, None)
    session.save()
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_sign_out_everywhere_ends_the_other_devices(world: BoardWorld) -> None:
    tablet, laptop = sign_in(Client(), world.member), sign_in(Client(), world.member)
    assert laptop.get("/").status_code == 200
    assert tablet.post("/accounts/sign-out-everywhere/")["Location"] == "/accounts/login/"
    assert laptop.get("/")["Location"].startswith("/accounts/login/")
    again = sign_in(Client(), world.member)
    assert again.get("/").status_code == 200


def _cookie(client: Client) -> bytes:
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _socket(client: Client, meeting_id: int) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", _cookie(client))]
    communicator = WebsocketCommunicator(application, f"/ws/meetings/{meeting_id}/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def _closed_with(communicator: WebsocketCommunicator) -> int:
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return int(output["code"])


async def _still_open(communicator: WebsocketCommunicator) -> bool:
    """Whether the socket still answers a ping (snapshots sent meanwhile are passed over)."""
    await communicator.send_json_to({"type": "ping"})
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return False
        if json.loads(output.get("text") or "{}").get("type") == "pong":
            return True


@pytest.mark.django_db(transaction=True)
async def test_sockets_close_on_sign_out_here_and_everywhere(live_world: BoardWorld) -> None:
    tablet = await database_sync_to_async(sign_in)(Client(), live_world.member)
    laptop = await database_sync_to_async(sign_in)(Client(), live_world.member)
    on_tablet, ok1 = await _socket(tablet, live_world.meeting.pk)
    on_laptop, ok2 = await _socket(laptop, live_world.meeting.pk)
    assert ok1 and ok2
    await database_sync_to_async(tablet.post)("/accounts/logout/")
    assert await _closed_with(on_tablet) == 4401
    assert await _still_open(on_laptop)  # the laptop stays connected
    await database_sync_to_async(laptop.post)("/accounts/sign-out-everywhere/")
    assert await _closed_with(on_laptop) == 4401


@pytest.mark.django_db(transaction=True)
async def test_a_chair_without_the_second_factor_cannot_open_the_socket(live_world: BoardWorld) -> None:
    client = Client()
    await database_sync_to_async(client.force_login)(live_world.chair)
    _, connected = await _socket(client, live_world.meeting.pk)
    assert not connected
    verified = await database_sync_to_async(sign_in)(Client(), live_world.chair)
    socket, connected = await _socket(verified, live_world.meeting.pk)
    assert connected
    await socket.disconnect()


def test_pages_carry_a_strict_content_security_policy(world: BoardWorld) -> None:
    response = sign_in(Client(), world.member).get(f"/meetings/{world.meeting.pk}/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode() and " style=" not in response.content.decode()


def test_deploy_checks_pass_with_production_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "S3_"))}
    env.update(
        BOARDROOM_SECRET_KEY="x" * 20 + "a-long-and-random-production-secret-key-0123456789",
        BOARDROOM_ALLOWED_HOSTS="board.example.org",
        BOARDROOM_HTTPS="1",
        BOARDROOM_DEBUG="0",
        BOARDROOM_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sign_out_everywhere_withdraws_the_calendar_link(world: BoardWorld) -> None:
    """The feed link works without a session, so signing out everywhere must end it too; the
    security page then offers a new one, and "make a new link" still replaces it on its own."""
    client = sign_in(Client(), world.member)
    old_url = re.search(r'value="https?://[^"]+(/calendar/[^"]+\.ics)"', client.get("/accounts/security/").text)
    assert old_url is not None and Client().get(old_url[1]).status_code == 200
    client.post("/accounts/sign-out-everywhere/")
    assert Client().get(old_url[1]).status_code == 404
    again = sign_in(Client(), world.member)
    new_url = re.search(r'value="https?://[^"]+(/calendar/[^"]+\.ics)"', again.get("/accounts/security/").text)
    assert new_url is not None and new_url[1] != old_url[1]
    assert Client().get(new_url[1]).status_code == 200
    assert b"Make a new link" in again.get("/accounts/security/").content
    again.post("/accounts/calendar-link/")
    assert Client().get(new_url[1]).status_code == 404


# --- the websocket Origin: scheme, host and port -------------------------------------------


def _scope(origin: str | None, host: str = "127.0.0.1:8000", scheme: str = "ws", **extra: str) -> dict[str, object]:
    headers = [(b"host", host.encode())] + [(k.encode(), v.encode()) for k, v in extra.items()]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers, "path": "/ws/meetings/1/"}


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "allowed"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),
        ("http://127.0.0.1:9999", "127.0.0.1:8000", "ws", False),  # another port of the same host
        ("http://127.0.0.1", "127.0.0.1:8000", "ws", False),
        ("https://127.0.0.1:8000", "127.0.0.1:8000", "ws", False),  # another scheme
        ("http://testserver", "testserver", "ws", True),
        ("http://testserver:80", "testserver", "ws", True),  # the default port, written out
        ("http://testserver:8080", "testserver", "ws", False),
        ("https://testserver", "testserver", "wss", True),
        ("http://testserver", "testserver", "wss", False),
        ("http://evil.example", "evil.example", "ws", False),  # a host the site does not answer to
        ("http://localhost:8000", "127.0.0.1:8000", "ws", False),
        ("http://127.0.0.1:notaport", "127.0.0.1:8000", "ws", False),
        ("null", "127.0.0.1:8000", "ws", False),
        (None, "127.0.0.1:8000", "ws", False),  # no Origin at all: clients must send one
    ],
)
def test_a_socket_origin_must_match_in_scheme_host_and_port(
    origin: str | None, host: str, scheme: str, allowed: bool
) -> None:
    from boardroom.websocket_origin import origin_allowed

    assert origin_allowed(_scope(origin, host, scheme)) is allowed


def test_behind_a_proxy_the_public_address_is_the_origin(settings: object) -> None:
    from boardroom.websocket_origin import origin_allowed

    settings.BOARDROOM_SITE_URL = "https://board.example.org"  # type: ignore[attr-defined]
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.council.example"]  # type: ignore[attr-defined]
    assert origin_allowed(_scope("https://board.example.org", host="127.0.0.1:8000"))
    assert not origin_allowed(_scope("https://board.example.org:8443", host="127.0.0.1:8000"))
    assert not origin_allowed(_scope("http://board.example.org", host="127.0.0.1:8000"))
    assert origin_allowed(_scope("https://papers.council.example", host="127.0.0.1:8000"))
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # type: ignore[attr-defined]
    forwarded = {"x-forwarded-proto": "https"}
    assert origin_allowed(_scope("https://127.0.0.1:8000", host="127.0.0.1:8000", **forwarded))
    assert not origin_allowed(_scope("http://127.0.0.1:8000", host="127.0.0.1:8000", **forwarded))


async def test_a_socket_from_another_port_is_refused_at_the_handshake() -> None:
    """End to end through the ASGI application: the handshake is refused before any sign-in."""
    for origin in (b"http://127.0.0.1:9999", None):
        headers = [(b"host", b"127.0.0.1:8000")] + ([(b"origin", origin)] if origin else [])
        socket = WebsocketCommunicator(application, "/ws/meetings/1/", headers=headers)
        connected, _ = await socket.connect(timeout=5)
        # Let the refused application finish here, so no task of it is left for the event
        # loop's teardown to wait on.
        await socket.wait(timeout=5)
        assert not connected, origin
