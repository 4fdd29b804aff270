"""The process-level fan-out of a meeting's broadcasts (meetings/fanout.py): order, exactly once,
leaving, and resynchronising sockets when the Redis subscription comes back."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from boardroom.asgi import application
from documents import services as document_services
from meetings import fanout
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.test_redis_restart import REDIS_SERVER, PrivateRedis


class Inbox:
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []

    async def fanout_receive(self, message: dict[str, Any]) -> None:
        self.got.append(message)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_the_in_memory_hub_hands_messages_in_order_to_the_sockets_of_the_topic(settings: Any) -> None:
    settings.LIVE_FANOUT_URL = ""
    hub = fanout.hub()
    here, there, elsewhere = Inbox(), Inbox(), Inbox()
    await hub.join("t", here)
    await hub.join("t", there)
    await hub.join("other", elsewhere)
    for n in range(5):
        fanout.publish("t", {"type": "meeting.bell", "n": n})
    await _settle()
    assert [m["n"] for m in here.got] == [m["n"] for m in there.got] == [0, 1, 2, 3, 4]
    assert elsewhere.got == []
    await hub.leave("t", there)
    fanout.publish("t", {"type": "meeting.bell", "n": 5})
    await _settle()
    assert [m["n"] for m in here.got][-1] == 5 and len(there.got) == 5


async def test_publishing_from_another_thread_reaches_the_loop(settings: Any) -> None:
    settings.LIVE_FANOUT_URL = ""
    inbox = Inbox()
    await fanout.hub().join("t", inbox)
    thread = threading.Thread(target=fanout.publish, args=("t", {"type": "meeting.bell", "n": 1}))
    thread.start()
    thread.join()
    for _ in range(50):
        if inbox.got:
            break
        await asyncio.sleep(0.01)
    assert inbox.got == [{"type": "meeting.bell", "n": 1}]


def _cookie(user: User) -> bytes:
    client = Client()
    sign_in(client, user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.django_db(transaction=True)
async def test_a_busy_socket_gets_every_event_once_in_order_beside_idle_ones(live_world: BoardWorld) -> None:
    """Idle sockets take bells straight from the hub; one busy with its own commands takes them
    from its inbox. Both see every visible event once, in seq order."""
    sockets = []
    for user in (live_world.member, live_world.chair, live_world.observer):
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
        headers.append((b"cookie", await database_sync_to_async(_cookie)(user)))
        communicator = WebsocketCommunicator(application, f"/ws/meetings/{live_world.meeting.pk}/", headers=headers)
        assert (await communicator.connect())[0]
        sockets.append(communicator)
    busy, chair, observer = sockets

    def post(n: int) -> None:
        item = live_world.part_b_item if n % 3 == 0 else live_world.public_item
        document_services.comment_create(actor=live_world.secretary, item=item, body=f"c{n}", client_id=uuid.uuid4())

    async def keep_busy() -> None:
        for n in range(10):
            await busy.send_json_to(
                {"type": "comment.create", "id": str(uuid.uuid4()), "item": live_world.public_item.pk, "body": f"b{n}"}
            )
            await busy.send_json_to({"type": "ping"})

    writer = asyncio.ensure_future(keep_busy())
    for n in range(12):
        await database_sync_to_async(post)(n)
    await writer

    async def events(communicator: WebsocketCommunicator, count: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < count:
            frame = json.loads(await communicator.receive_from(timeout=5))
            if frame["type"] == "event":
                found.append(frame)
        while not await communicator.receive_nothing(timeout=0.3):
            assert json.loads(await communicator.receive_from())["type"] != "event", "an event too many"
        return found

    everything = await events(chair, 22)
    public = await events(observer, 22 - 4)
    mine = await events(busy, 22)
    for seen in (everything, public, mine):
        seqs = [f["seq"] for f in seen]
        assert seqs == sorted(set(seqs))
    assert [f["seq"] for f in mine] == [f["seq"] for f in everything]
    assert not any(f["data"]["body"].startswith("c") and int(f["data"]["body"][1:]) % 3 == 0 for f in public)
    for communicator in sockets:
        await communicator.disconnect()


@pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason="redis-server is not installed")
async def test_the_redis_hub_resubscribes_and_asks_its_sockets_to_resync_after_a_restart(
    settings: Any, tmp_path: Path
) -> None:
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        settings.LIVE_FANOUT_URL = redis.url
        hub = fanout.hub()
        inbox = Inbox()
        await hub.join("t", inbox)
        await asyncio.to_thread(fanout.publish, "t", {"type": "meeting.bell", "n": 1})
        await _wait_for(lambda: len(inbox.got) == 1)
        redis.kill()
        with pytest.raises(Exception):  # noqa: B017, PT011 — whichever error redis-py raises for a refused connection
            await asyncio.to_thread(fanout.publish, "t", {"type": "meeting.bell", "n": 2})
        await asyncio.to_thread(redis.start)
        await _wait_for(lambda: fanout.RESYNC in inbox.got)
        await asyncio.to_thread(fanout.publish, "t", {"type": "meeting.bell", "n": 3})
        await _wait_for(lambda: len(inbox.got) == 3)
        assert inbox.got == [{"type": "meeting.bell", "n": 1}, fanout.RESYNC, {"type": "meeting.bell", "n": 3}]
        await hub.leave("t", inbox)
    finally:
        redis.kill()


async def _wait_for(condition: Any) -> None:
    for _ in range(600):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("waited 30 s")
