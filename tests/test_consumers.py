"""The meeting socket: who may connect, what each user receives, resume, idempotency, limits."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import close_old_connections, connections
from django.test import Client

from boardroom.asgi import application
from documents import services as document_services
from documents.models import Comment
from meetings import services
from meetings.models import MeetingEvent
from tests.conftest import BoardWorld, build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_world(transactional_db: None) -> BoardWorld:
    return build_world()


def _cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _connect(
    user: User | None, meeting_id: int, query: str = "", origin: bytes = b"http://testserver"
) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(_cookie)(user)))
    path = f"/ws/meetings/{meeting_id}/{query}"
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def _frame(communicator: WebsocketCommunicator) -> dict[str, Any]:
    return json.loads(await communicator.receive_from(timeout=3))


def _comment_frame(item_id: int, body: str = "Looks right to me", **extra: Any) -> dict[str, Any]:
    return {"type": "comment.create", "id": str(uuid.uuid4()), "item": item_id, "body": body, **extra}


@pytest.mark.parametrize("who", ["outsider", "former", "future", "superuser", "anonymous"])
async def test_people_who_may_not_see_the_meeting_are_refused_before_accept(live_world: BoardWorld, who: str) -> None:
    user = None if who == "anonymous" else getattr(live_world, who)
    communicator, connected = await _connect(user, live_world.meeting.pk)
    assert not connected


async def test_a_foreign_origin_is_refused(live_world: BoardWorld) -> None:
    communicator, connected = await _connect(live_world.member, live_world.meeting.pk, origin=b"https://evil.example")
    assert not connected


async def test_members_cannot_open_a_draft_meeting_socket(live_world: BoardWorld) -> None:
    _, connected = await _connect(live_world.member, live_world.draft.pk)
    assert not connected
    secretary, connected = await _connect(live_world.secretary, live_world.draft.pk)
    assert connected
    await secretary.disconnect()


async def test_a_comment_is_acknowledged_and_reaches_the_others(live_world: BoardWorld) -> None:
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    frame = _comment_frame(live_world.public_item.pk)
    await member.send_json_to(frame)
    ack = await _frame(member)
    assert ack["type"] == "ack" and ack["id"] == frame["id"] and ack["object"]["body"] == "Looks right to me"
    event = await _frame(chair)
    assert event["type"] == "event" and event["event"] == "comment.created"
    assert event["data"]["client_id"] == frame["id"] and event["data"]["author"]["id"] == live_world.member.pk
    own = await _frame(member)  # the author's other devices (and this one) get the event too
    assert own["seq"] == event["seq"]
    await member.disconnect()
    await chair.disconnect()


async def test_the_same_frame_twice_stores_one_comment_and_acknowledges_both(live_world: BoardWorld) -> None:
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    frame = _comment_frame(live_world.public_item.pk)
    await member.send_json_to(frame)
    first = await _frame(member)
    await _frame(member)  # the event
    await member.send_json_to(frame)
    second = await _frame(member)
    assert first["type"] == second["type"] == "ack"
    assert first["object"]["id"] == second["object"]["id"]
    assert await member.receive_nothing(timeout=0.3)
    assert await database_sync_to_async(Comment.objects.count)() == 1
    assert await database_sync_to_async(MeetingEvent.objects.filter(type="comment.created").count)() == 1
    await member.disconnect()


async def test_part_b_events_never_reach_an_observer(live_world: BoardWorld) -> None:
    observer, _ = await _connect(live_world.observer, live_world.meeting.pk)
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    await member.send_json_to(_comment_frame(live_world.part_b_item.pk, "Confidential remark"))
    await _frame(member)
    await member.send_json_to(_comment_frame(live_world.public_item.pk, "Public remark"))
    await _frame(member)
    seen = await _frame(observer)
    assert seen["data"]["body"] == "Public remark"
    assert await observer.receive_nothing(timeout=0.3)
    await observer.disconnect()
    await member.disconnect()


async def test_an_observer_may_not_comment_and_gets_a_forbidden_error(live_world: BoardWorld) -> None:
    observer, _ = await _connect(live_world.observer, live_world.meeting.pk)
    frame = _comment_frame(live_world.public_item.pk)
    await observer.send_json_to(frame)
    error = await _frame(observer)
    assert error == {"type": "error", "id": frame["id"], "code": "forbidden", "message": error["message"]}
    await observer.send_json_to(_comment_frame(live_world.part_b_item.pk))
    assert (await _frame(observer))["code"] == "forbidden"
    await observer.disconnect()


async def test_resume_sends_exactly_the_missed_visible_events_in_order(live_world: BoardWorld) -> None:
    def post(item_id: int, body: str) -> None:
        document_services.comment_create(
            actor=live_world.member, item=live_world.meeting.items.get(pk=item_id), body=body, client_id=uuid.uuid4()
        )

    for n in range(3):
        await database_sync_to_async(post)(live_world.public_item.pk, f"public {n}")
        await database_sync_to_async(post)(live_world.part_b_item.pk, f"secret {n}")
    observer, _ = await _connect(live_world.observer, live_world.meeting.pk, "?after=1")
    bodies = [(await _frame(observer))["data"]["body"] for _ in range(2)]
    assert bodies == ["public 1", "public 2"]
    assert await observer.receive_nothing(timeout=0.3)
    await observer.send_json_to({"type": "resume", "after": 0})
    frames = [await _frame(observer) for _ in range(3)]
    assert [f["data"]["body"] for f in frames] == ["public 0", "public 1", "public 2"]
    assert [f["seq"] for f in frames] == sorted(f["seq"] for f in frames)
    await observer.disconnect()


async def test_a_member_removed_from_the_board_is_disconnected(live_world: BoardWorld) -> None:
    member, _ = await _connect(live_world.member, live_world.meeting.pk)

    def remove() -> None:
        membership = live_world.member.memberships.get(board=live_world.board)
        services.membership_end(actor=live_world.secretary, membership=membership)

    await database_sync_to_async(remove)()
    output = await member.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4403}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "invalid"),
        ("[1, 2]", "invalid"),
        ('{"type": "comment.create", "id": "not-a-uuid", "item": 1, "body": "x"}', "invalid"),
        ('{"type": "resume", "after": "ten"}', "invalid"),
        ('{"type": "launch.missiles", "id": null}', "invalid"),
        ('{"type": "comment.create", "id": "' + str(uuid.uuid4()) + '", "item": "1", "body": "x"}', "invalid"),
        ("x" * (64 * 1024 + 1), "too_large"),
    ],
)
async def test_bad_frames_get_a_clear_error_and_the_socket_stays_open(
    live_world: BoardWorld, text: str, code: str
) -> None:
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    await member.send_to(text_data=text)
    error = await _frame(member)
    assert error["type"] == "error" and error["code"] == code and error["message"]
    await member.send_json_to({"type": "ping"})
    assert (await _frame(member))["type"] == "pong"
    await member.disconnect()


async def test_a_flood_is_rate_limited_then_closed(live_world: BoardWorld) -> None:
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    for _ in range(25):
        await member.send_json_to({"type": "ping"})
    frames = [await _frame(member) for _ in range(21)]
    assert frames[-1]["code"] == "rate_limited"
    for _ in range(100):
        await member.send_json_to({"type": "ping"})
    output = None
    for _ in range(200):
        output = await member.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
    assert output == {"type": "websocket.close", "code": 4429}


def test_concurrent_writers_get_a_gap_free_duplicate_free_seq(live_world: BoardWorld) -> None:
    """200 comments from 20 threads at once: seq runs 1..200 with no gap and no repeat."""
    item = live_world.public_item
    writers = [live_world.member, live_world.chair, live_world.secretary]

    def write(n: int) -> None:
        try:
            document_services.comment_create(
                actor=writers[n % 3], item=item, body=f"comment {n}", client_id=uuid.uuid4()
            )
        finally:
            close_old_connections()
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(write, range(200)))
    seqs = list(MeetingEvent.objects.filter(meeting=live_world.meeting).values_list("seq", flat=True))
    assert sorted(seqs) == list(range(1, 201))
    assert Comment.objects.count() == 200
    live_world.meeting.refresh_from_db()
    assert live_world.meeting.last_seq == 200


async def test_a_missed_bell_is_filled_from_the_log(live_world: BoardWorld) -> None:
    """If a bell is lost (a layer restart), the next one makes the socket replay the gap."""
    from meetings import events

    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    original = events.ring
    events.ring = lambda event: None  # the layer is "down" for the first comment
    try:
        await database_sync_to_async(document_services.comment_create)(
            actor=live_world.chair, item=live_world.public_item, body="lost bell", client_id=uuid.uuid4()
        )
    finally:
        events.ring = original
    await database_sync_to_async(document_services.comment_create)(
        actor=live_world.chair, item=live_world.public_item, body="next", client_id=uuid.uuid4()
    )
    frames = [await _frame(member) for _ in range(2)]
    assert [f["data"]["body"] for f in frames] == ["lost bell", "next"]
    await member.disconnect()
    await asyncio.sleep(0)
