"""Redis restarts: writes commit while it is down, and open sockets catch up when it is back —
every missed event they may see, exactly once, in order (docs/live-protocol.md, "Ordering and delivery").

A real ASGI server (daphne, forked as the browser tests fork it) runs against a redis-server of
this test's own on a free loopback port, started, killed and started again here; the shared
Redis of ``make test-services`` is never touched. Runs in both modes: the server's channel layer
and fan-out are pointed at the private Redis whatever the test process uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess  # nosec B404 — fixed argument lists
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import Client as DjangoClient

from documents import services as document_services
from meetings.models import MeetingEvent
from tests.auth import sign_in
from tests.conftest import BoardWorld

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WAIT_S = 60.0  # how long to wait for something that must happen (never a performance limit)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason="redis-server is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrivateRedis:
    """A redis-server on a loopback port of its own, with nothing saved to disk."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.workdir)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # nosec B603
        deadline = time.monotonic() + WAIT_S
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        """Gone at once, as in a crash: no goodbye to the clients."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


def _serve_on(redis_url: str, prefix: str) -> None:
    """Runs in the forked server: the test database (as tests/browser_support.py) and the private Redis."""
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync
    from channels.layers import channel_layers
    from django.conf import settings
    from django.db import connections

    # Earlier async tests in this process started asgiref's one database thread; it did not
    # survive the fork, and its executor would queue every database call for it forever.
    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LIVE_FANOUT_URL = redis_url
    settings.LIVE_FANOUT_PREFIX = prefix
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 10}], "prefix": prefix},
        }
    }
    channel_layers.backends.clear()
    connections.close_all()  # never share the parent's database handles across fork


@pytest.fixture
def server_url(live_world: BoardWorld, private_redis: PrivateRedis, django_db_blocker: Any) -> Iterator[str]:
    """Daphne serving ``boardroom.asgi`` in a forked process, on the test database and the private Redis."""
    from channels.testing.live import make_application
    from daphne.testing import DaphneProcess
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()
    server = DaphneProcess(
        "127.0.0.1",
        partial(make_application, static_wrapper=None),
        setup=partial(_serve_on, private_redis.url, f"restart-{uuid.uuid4().hex[:8]}"),
    )
    server.start()
    try:
        if not server.ready.wait(timeout=WAIT_S):
            raise RuntimeError("the ASGI test server did not start")
        yield f"ws://127.0.0.1:{server.port.value}"
    finally:
        server.terminate()
        server.join(timeout=10)


def _session_cookie(user: User) -> str:
    client = DjangoClient()
    sign_in(client, user)
    return client.cookies["sessionid"].value


class MeetingSocket:
    """A meeting socket as the web app keeps one (static/js/live-socket.js): it remembers the last
    ``seq``, reconnects with ``?after=`` whenever the socket drops, and re-sends unacknowledged
    commands with their ``id``."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url = url
        self.cookie = cookie
        self.seq: int | None = None
        self.events: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.unacked: dict[str, str] = {}
        self.drops = 0
        self._ws: Any = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._connected.wait(), WAIT_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def command(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a frame that changes something and wait for its acknowledgement."""
        frame_id = str(uuid.uuid4())
        text = json.dumps({**frame, "id": frame_id})
        self.unacked[frame_id] = text
        if self._connected.is_set():
            with contextlib.suppress(Exception):  # dropped: re-sent on reconnect
                await self._ws.send(text)
        await _until(lambda: frame_id in self.acks, f"an ack for {frame['type']}")
        return self.acks[frame_id]

    async def _run(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        port = self.url.split(":")[2].split("/")[0]
        headers = {"Origin": f"http://127.0.0.1:{port}", "Cookie": f"sessionid={self.cookie}"}
        while True:
            url = self.url if self.seq is None else f"{self.url}?after={self.seq}"
            try:
                async with connect(url, additional_headers=headers, open_timeout=WAIT_S) as ws:
                    self._ws = ws
                    self._connected.set()
                    for text in list(self.unacked.values()):
                        await ws.send(text)
                    async for raw in ws:
                        self._take(json.loads(raw))
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake):
                pass
            self._connected.clear()
            self.drops += 1
            await asyncio.sleep(0.2)  # refused while Redis is down: try again, as the web app does

    def _take(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "state" and self.seq is None:
            self.seq = frame["seq"]
        elif frame["type"] == "event":
            self.events.append(frame)
            self.seq = frame["seq"]
        elif frame["type"] == "ack":
            self.acks[frame["id"]] = frame["object"]
            self.unacked.pop(frame["id"], None)

    def bodies(self) -> list[str]:
        return [e["data"]["body"] for e in self.events if e["event"] == "comment.created"]


async def _until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT_S:g} s for {what}")
        await asyncio.sleep(0.05)


async def test_writes_commit_while_redis_is_down_and_sockets_catch_up_exactly_once_in_order(
    live_world: BoardWorld, private_redis: PrivateRedis, server_url: str
) -> None:
    world = live_world
    url = f"{server_url}/ws/meetings/{world.meeting.pk}/"
    cookies = {
        name: await database_sync_to_async(_session_cookie)(getattr(world, name))
        for name in ("member", "chair", "observer")
    }
    writer, chair, observer = (MeetingSocket(url, cookies[name]) for name in ("member", "chair", "observer"))
    readers = (chair, observer)
    for sock in (writer, *readers):
        await sock.start()
    try:

        async def comment(item_id: int, body: str) -> None:
            await writer.command({"type": "comment.create", "item": item_id, "body": body})

        # Live as usual first.
        await comment(world.public_item.pk, "before")
        await _until(lambda: all(r.bodies() == ["before"] for r in readers), "the first comment, live")

        private_redis.kill()
        # Writes while Redis is gone commit: through a socket of the server, and from another process.
        await comment(world.public_item.pk, "down 1")
        await comment(world.part_b_item.pk, "down, Part B")

        def post_directly() -> None:
            document_services.comment_create(
                actor=world.secretary, item=world.public_item, body="down 2", client_id=uuid.uuid4()
            )

        await database_sync_to_async(post_directly)()
        stored = await database_sync_to_async(
            lambda: list(
                MeetingEvent.objects.filter(meeting=world.meeting, type="comment.created")
                .order_by("seq")
                .values_list("data__body", flat=True)
            )
        )()
        assert stored == ["before", "down 1", "down, Part B", "down 2"]

        private_redis.start()  # the same port, empty: no groups, no subscriptions
        await _until(lambda: "down 2" in chair.bodies() and "down 2" in observer.bodies(), "the catch-up")
        # And live again afterwards, through the restarted Redis.
        await comment(world.public_item.pk, "after")
        await _until(lambda: all("after" in r.bodies() for r in readers), "a comment after the restart")

        assert chair.bodies() == ["before", "down 1", "down, Part B", "down 2", "after"]
        assert observer.bodies() == ["before", "down 1", "down 2", "after"]  # never Part B
        for reader in readers:
            seqs = [e["seq"] for e in reader.events]
            assert seqs == sorted(set(seqs)), f"events doubled or out of order: {seqs}"
    finally:
        for sock in (writer, *readers):
            await sock.stop()
