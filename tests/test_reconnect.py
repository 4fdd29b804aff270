"""Reconnecting is cheap and gentle (README, "Web processes").

When a web process dies, its sockets come back on another at once: each admission costs a
few queries in two trips to the database thread, and does not read every present socket of the
meeting (a burst of joins is announced by one later presence snapshot). The client spreads its
retries with jittered exponential backoff (static/js/live-socket.js).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import connections
from django.db.backends.signals import connection_created
from django.test import Client

from boardroom.asgi import application
from meetings import consumers
from tests.auth import sign_in
from tests.conftest import BoardWorld

LIVE_SOCKET = Path(__file__).resolve().parent.parent / "static" / "js" / "live-socket.js"
# What a reconnect may cost: the session and user (channels' auth), the session and access
# re-check with the user's visible items, the meeting's state, the missed events and the
# presence row: 14 statements. A new query per connect should be a decision, not an accident.
RECONNECT_QUERY_LIMIT = 14


@contextmanager
def queries_everywhere() -> Iterator[list[str]]:
    """Every SQL statement run while inside, on any thread (sockets use the database thread)."""
    seen: list[str] = []
    lock = threading.Lock()
    active = True

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        with lock:
            if active and sql.split(" ", 1)[0] in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
                seen.append(sql)
        return execute(sql, params, many, context)

    def wrap(connection: Any) -> None:
        if record not in connection.execute_wrappers:
            connection.execute_wrappers.append(record)

    def on_created(sender: Any, connection: Any, **kwargs: Any) -> None:
        wrap(connection)

    connection_created.connect(on_created)
    for connection in connections.all(initialized_only=True):
        wrap(connection)
    try:
        yield seen
    finally:
        active = False  # other threads' connections keep the wrapper, silenced
        connection_created.disconnect(on_created)
        for connection in connections.all(initialized_only=True):
            if record in connection.execute_wrappers:
                connection.execute_wrappers.remove(record)


def _cookie(user: User) -> bytes:
    client = sign_in(Client(), user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _open(cookie: bytes, meeting_id: int, query: str = "") -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, f"/ws/meetings/{meeting_id}/{query}", headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def _state(communicator: WebsocketCommunicator) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await communicator.receive_from(timeout=5))
        if frame["type"] == "state":
            return frame


@pytest.mark.django_db(transaction=True)
async def test_a_reconnect_costs_few_queries_and_reads_no_presence_list(
    live_world: BoardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting_id = live_world.meeting.pk
    cookie = await database_sync_to_async(_cookie)(live_world.member)
    others = [await _open(await database_sync_to_async(_cookie)(u), meeting_id) for u in (live_world.chair,)]
    first = await _open(cookie, meeting_id)
    seq = (await _state(first))["seq"]
    await first.disconnect()
    throttle = consumers._presence_throttle(meeting_id)
    while throttle.pending is not None:  # the snapshot announcing that departure
        await asyncio.sleep(0.05)
    # A snapshot went out a moment ago: the next join is folded into a later one.
    monkeypatch.setattr(consumers, "PRESENCE_EVERY_SECONDS", 3600.0)
    throttle.sent_at = time.monotonic()

    with queries_everywhere() as seen:
        again = await _open(cookie, meeting_id, f"?after={seq}")
        assert (await _state(again))["seq"] == seq
        await asyncio.sleep(0.2)  # anything the connect left running
    if throttle.pending is not None:
        throttle.pending.cancel()  # the folded snapshot, an hour away here
    await again.disconnect()
    for other in others:
        await other.disconnect()

    presence_reads = [sql for sql in seen if sql.startswith("SELECT") and '"meetings_presence"' in sql.split("FROM")[1]]
    assert presence_reads == [sql for sql in presence_reads if "channel_name" in sql.split("WHERE")[-1]], presence_reads
    assert len(seen) <= RECONNECT_QUERY_LIMIT, "\n".join(seen)


@pytest.mark.django_db(transaction=True)
async def test_a_burst_of_joins_ends_with_a_snapshot_of_everyone(live_world: BoardWorld) -> None:
    """Joins that skip reading who is online are still announced: the last snapshot lists all."""
    meeting_id = live_world.meeting.pk
    people = [live_world.chair, live_world.secretary, live_world.member, live_world.observer]
    cookies = [await database_sync_to_async(_cookie)(u) for u in people]
    sockets = await asyncio.gather(*(_open(c, meeting_id) for c in cookies))
    watcher = sockets[0]
    named: set[int] = set()
    deadline = time.monotonic() + 10
    while named != {u.pk for u in people} and time.monotonic() < deadline:
        try:
            frame = json.loads(await watcher.receive_from(timeout=2))
        except TimeoutError:
            break
        if frame["type"] == "presence":
            named = {person["id"] for person in frame["online"]}
    for socket in sockets:
        await socket.disconnect()
    assert named == {u.pk for u in people}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_client_retries_with_jittered_exponential_backoff() -> None:
    script = f"""
    import {{ reconnectDelay }} from {json.dumps(LIVE_SOCKET.as_uri())};
    const top = [0, 1, 2, 3, 4, 5, 6, 12].map((a) => reconnectDelay(a, () => 0.999999));
    const low = reconnectDelay(3, () => 0);
    const spread = new Set(Array.from({{ length: 200 }}, () => reconnectDelay(4))).size;
    console.log(JSON.stringify({{ top, low, spread }}));
    """
    result = subprocess.run(  # noqa: S603 — node from PATH, our own file
        ["node", "--input-type=module", "-e", script],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    figures = json.loads(result.stdout)
    top = figures["top"]
    assert top == sorted(top) and top[0] <= 250 and top[-1] <= 8000  # the ceiling doubles, then stops
    assert top[3] == pytest.approx(2 * top[2], abs=2)
    assert top[-1] == top[-2]  # capped
    assert figures["low"] == 0  # anywhere below the ceiling: a room does not reconnect in step
    assert figures["spread"] > 50
