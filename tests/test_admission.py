"""Admitting a meeting socket: one database trip, and every refusal still in place.

docs/architecture.md, "The live event path" (admission). The socket stack reads only the session
cookie; the consumer loads the session and its user, checks the session, the access and the
meeting's state in one trip to a database thread (boardroom/wsauth.py, meetings/consumers.py).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from boardroom.asgi import application
from meetings import consumers, fanout
from tests.auth import authenticator, sign_in
from tests.conftest import BoardWorld

pytestmark = pytest.mark.django_db(transaction=True)


def _session_key(client: Client) -> str:
    return str(client.cookies["sessionid"].value)


async def _open(meeting_id: int, cookie: str | None, query: str = "") -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, f"/ws/meetings/{meeting_id}/{query}", headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    if not connected:
        await communicator.wait(timeout=3)  # the refused application ends here, not in teardown
    return communicator, connected


async def _state(communicator: WebsocketCommunicator) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await communicator.receive_from(timeout=5))
        if frame["type"] == "state":
            return frame


async def _signed_in(user: User) -> str:
    return _session_key(await database_sync_to_async(sign_in)(Client(), user))


def _no_receivers(meeting_id: int) -> bool:
    return not fanout.hub().receivers.get(fanout.meeting_topic(meeting_id))


async def test_a_reconnect_makes_one_trip_to_the_database(
    live_world: BoardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Session, user, session rules, access, state, missed events and presence: one trip."""
    meeting_id = live_world.meeting.pk
    cookie = await _signed_in(live_world.member)
    first, connected = await _open(meeting_id, cookie)
    assert connected
    seq = (await _state(first))["seq"]
    await first.disconnect()
    throttle = consumers._presence_throttle(meeting_id)
    while throttle.pending is not None:  # the snapshot announcing that departure
        await asyncio.sleep(0.05)
    # A snapshot went out a moment ago: the join is folded into a later one (no trip of its own).
    monkeypatch.setattr(consumers, "PRESENCE_EVERY_SECONDS", 3600.0)
    throttle.sent_at = time.monotonic()

    trips: list[str] = []
    lock = threading.Lock()
    original = DatabaseSyncToAsync.thread_handler

    def counted(self: Any, loop: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            trips.append(getattr(self.func, "__name__", repr(self.func)))
        return original(self, loop, *args, **kwargs)

    monkeypatch.setattr(DatabaseSyncToAsync, "thread_handler", counted)
    again, connected = await _open(meeting_id, cookie, f"?after={seq}")
    assert connected
    assert (await _state(again))["seq"] == seq
    await asyncio.sleep(0.2)  # anything the connect left running
    monkeypatch.undo()
    if throttle.pending is not None:
        throttle.pending.cancel()
    await again.disconnect()
    assert trips == ["_admit"]


@pytest.mark.parametrize("who", ["outsider", "former", "future", "superuser"])
async def test_a_refused_socket_leaves_the_fan_out(live_world: BoardWorld, who: str) -> None:
    meeting_id = live_world.meeting.pk
    _, connected = await _open(meeting_id, await _signed_in(getattr(live_world, who)))
    assert not connected
    assert _no_receivers(meeting_id)


async def test_without_a_session_cookie_nothing_is_joined(live_world: BoardWorld) -> None:
    for cookie in (None, "", "no-such-session"):
        _, connected = await _open(live_world.meeting.pk, cookie)
        assert not connected
    assert _no_receivers(live_world.meeting.pk)


async def test_a_signed_out_session_is_refused(live_world: BoardWorld) -> None:
    client = await database_sync_to_async(sign_in)(Client(), live_world.member)
    cookie = _session_key(client)
    socket, connected = await _open(live_world.meeting.pk, cookie)
    assert connected
    await socket.disconnect()
    await database_sync_to_async(client.post)("/accounts/logout/")
    _, connected = await _open(live_world.meeting.pk, cookie)
    assert not connected


async def test_a_half_signed_in_session_is_refused(live_world: BoardWorld) -> None:
    """Password given, second factor owed: the member has an authenticator and has not used it."""
    await database_sync_to_async(authenticator)(live_world.member)
    half = Client()
    await database_sync_to_async(half.force_login)(live_world.member)
    _, connected = await _open(live_world.meeting.pk, _session_key(half))
    assert not connected
    socket, connected = await _open(live_world.meeting.pk, await _signed_in(live_world.member))
    assert connected  # the same person, second factor given
    await socket.disconnect()


async def test_a_password_change_ends_the_session_for_sockets_too(live_world: BoardWorld) -> None:
    cookie = await _signed_in(live_world.member)

    def change_password() -> None:
        member = User.objects.get(pk=live_world.member.pk)
        member.set_password("a new and different passphrase")
        member.save()

    await database_sync_to_async(change_password)()
    _, connected = await _open(live_world.meeting.pk, cookie)
    assert not connected
    # The stale session is flushed, as Django does for a page.
    assert not await database_sync_to_async(Session.objects.filter(session_key=cookie).exists)()


async def test_a_deactivated_account_is_refused(live_world: BoardWorld) -> None:
    cookie = await _signed_in(live_world.member)
    await database_sync_to_async(User.objects.filter(pk=live_world.member.pk).update)(is_active=False)
    _, connected = await _open(live_world.meeting.pk, cookie)
    assert not connected


async def test_a_session_naming_an_unknown_backend_is_refused(live_world: BoardWorld) -> None:
    cookie = await _signed_in(live_world.member)

    def forge() -> None:
        from django.contrib.auth import BACKEND_SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore

        store = SessionStore(session_key=cookie)
        store[BACKEND_SESSION_KEY] = "somewhere.else.Backend"
        store.save()

    await database_sync_to_async(forge)()
    _, connected = await _open(live_world.meeting.pk, cookie)
    assert not connected


def test_admissions_run_in_threads_of_their_own_only_with_a_pool(settings: Any) -> None:
    default = settings.DATABASES["default"]
    settings.DATABASES = {"default": {**default, "OPTIONS": {}}}
    assert consumers._admission_threads() == 0
    settings.DATABASES = {"default": {**default, "OPTIONS": {"pool": {"max_size": 10}}}}
    assert consumers._admission_threads() == consumers.ADMISSION_THREADS
    settings.DATABASES = {"default": {**default, "OPTIONS": {"pool": {"max_size": 2}}}}
    assert consumers._admission_threads() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the admission threads need PostgreSQL's pool")
async def test_a_storm_of_reconnects_is_admitted_beside_each_other(live_world: BoardWorld) -> None:
    """With a pool (service mode), admissions run on their own threads, each with its own pooled
    connection; every socket gets its state and the events it missed, once."""
    if not consumers._admission_threads():
        pytest.skip("no database pool configured")
    meeting_id = live_world.meeting.pk
    people = [live_world.chair, live_world.secretary, live_world.member, live_world.observer] * 3
    cookies = [await _signed_in(user) for user in people]
    seen: set[str] = set()
    original = consumers._admit

    def recording(**kwargs: Any) -> Any:
        seen.add(threading.current_thread().name)
        return original(**kwargs)

    consumers._admit = recording  # type: ignore[assignment]
    try:
        opened = await asyncio.gather(*(_open(meeting_id, cookie, "?after=0") for cookie in cookies))
    finally:
        consumers._admit = original  # type: ignore[assignment]
    assert all(connected for _, connected in opened)
    states = [await _state(socket) for socket, _ in opened]
    assert len({state["seq"] for state in states}) == 1
    for socket, _ in opened:
        await socket.disconnect()
    assert seen and all(name.startswith("admission") for name in seen)
