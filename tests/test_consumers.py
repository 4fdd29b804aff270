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
from tests.auth import sign_in
from tests.conftest import BoardWorld

pytestmark = pytest.mark.django_db(transaction=True)


def _cookie(user: User) -> bytes:
    client = Client()
    sign_in(client, user)
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


NOISE = ("state", "presence")


async def _frame(communicator: WebsocketCommunicator, skip: tuple[str, ...] = NOISE) -> dict[str, Any]:
    """The next frame, passing over the state and presence snapshots that come and go."""
    while True:
        frame = json.loads(await communicator.receive_from(timeout=3))
        if frame["type"] not in skip:
            return frame


async def _quiet(communicator: WebsocketCommunicator) -> bool:
    """True if nothing but presence snapshots arrives for a moment."""
    while not await communicator.receive_nothing(timeout=0.3):
        frame = json.loads(await communicator.receive_from(timeout=1))
        if frame["type"] not in NOISE:
            return False
    return True


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
    assert await _quiet(member)
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
    assert await _quiet(observer)
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
    first = await database_sync_to_async(
        MeetingEvent.objects.filter(type="comment.created").order_by("seq").values_list("seq", flat=True).first
    )()
    observer, _ = await _connect(live_world.observer, live_world.meeting.pk, f"?after={first}")
    bodies = [(await _frame(observer))["data"]["body"] for _ in range(2)]
    assert bodies == ["public 1", "public 2"]
    assert await _quiet(observer)
    await observer.send_json_to({"type": "resume", "after": 0})
    status = await _frame(observer)
    assert status["event"] == "meeting.status" and status["data"] == {"status": "published"}
    declared = await _frame(observer)
    assert declared["event"] == "declaration.recorded"
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
    while output["type"] == "websocket.send":  # the state and presence snapshots sent on joining
        output = await member.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4403}


async def test_access_lost_without_a_push_closes_the_socket_at_the_periodic_re_check(
    live_world: BoardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A membership whose term ran out sends no access.changed: the periodic re-check (its own
    timer per socket, whether or not events flow) closes the socket all the same."""
    import datetime as dt

    from django.utils import timezone

    from meetings import consumers
    from meetings.models import Membership

    monkeypatch.setattr(consumers, "_recheck_interval", lambda: 0.2)
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    await database_sync_to_async(Membership.objects.filter(user=live_world.member, board=live_world.board).update)(
        valid_from=yesterday - dt.timedelta(days=30), valid_until=yesterday
    )
    output = await member.receive_output(timeout=5)
    while output["type"] == "websocket.send":
        output = await member.receive_output(timeout=5)
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
    before = 2  # the meeting being published, and a declaration
    assert sorted(seqs) == list(range(1, 200 + before + 1))
    assert Comment.objects.count() == 200
    live_world.meeting.refresh_from_db()
    assert live_world.meeting.last_seq == 200 + before


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


# --- the chair's controls and presence -------------------------------------------------------


async def test_the_chair_starts_the_meeting_and_moves_through_the_agenda(live_world: BoardWorld) -> None:
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    observer, _ = await _connect(live_world.observer, live_world.meeting.pk)
    start = {"type": "meeting.start", "id": str(uuid.uuid4())}
    await member.send_json_to(start)
    assert (await _frame(member))["code"] == "forbidden"
    await chair.send_json_to(start)
    assert (await _frame(chair))["object"]["status"] == "live"
    await chair.send_json_to(start)  # a retry of the same frame: acknowledged, nothing changes
    assert (await _frame(chair, skip=(*NOISE, "event")))["type"] == "ack"
    for socket in (member, observer):
        event = await _frame(socket)
        assert event["event"] == "meeting.status" and event["data"] == {"status": "live"}
    await chair.send_json_to({"type": "item.current", "id": str(uuid.uuid4()), "item": live_world.part_b_item.pk})
    for socket in (member, observer):
        event = await _frame(socket)
        assert event["event"] == "meeting.current_item" and event["data"]["item"] == live_world.part_b_item.pk
        assert event["data"]["since"]
    count = await database_sync_to_async(
        MeetingEvent.objects.filter(type="meeting.status", data__status="live").count
    )()
    assert count == 1
    for socket in (chair, member, observer):
        await socket.disconnect()


async def test_presenter_pages_reach_only_those_who_may_see_the_item(live_world: BoardWorld) -> None:
    await database_sync_to_async(services.meeting_advance)(
        actor=live_world.chair, meeting=live_world.meeting, to="live"
    )
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    observer, _ = await _connect(live_world.observer, live_world.meeting.pk)
    for paper in (live_world.part_b_paper, live_world.public_paper):
        await chair.send_json_to({"type": "presenter.page", "id": str(uuid.uuid4()), "paper": paper.pk, "page": 1})
    member_pages = [(await _frame(member))["data"]["paper"] for _ in range(2)]
    assert member_pages == [live_world.part_b_paper.pk, live_world.public_paper.pk]
    assert (await _frame(observer))["data"]["paper"] == live_world.public_paper.pk
    assert await _quiet(observer)
    await member.send_json_to(
        {"type": "presenter.page", "id": str(uuid.uuid4()), "paper": live_world.public_paper.pk, "page": 1}
    )
    assert (await _frame(member))["code"] == "forbidden"
    await chair.send_json_to(
        {"type": "presenter.page", "id": str(uuid.uuid4()), "paper": live_world.public_paper.pk, "page": 99}
    )
    assert (await _frame(chair, skip=(*NOISE, "event", "ack")))["code"] == "invalid"
    for socket in (chair, member, observer):
        await socket.disconnect()


async def test_presence_shows_who_is_connected_and_from_what(live_world: BoardWorld) -> None:
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"user-agent", b"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)"),
        (b"cookie", await database_sync_to_async(_cookie)(live_world.member)),
    ]
    member = WebsocketCommunicator(application, f"/ws/meetings/{live_world.meeting.pk}/", headers=headers)
    assert (await member.connect())[0]

    async def next_presence() -> list[dict[str, Any]]:
        while True:
            frame = json.loads(await chair.receive_from(timeout=3))
            if frame["type"] == "presence":
                return frame["online"]

    online = await next_presence()  # the chair's own arrival
    online = await next_presence()
    assert {p["id"]: p["devices"] for p in online}[live_world.member.pk] == ["iPad"]
    await member.disconnect()
    online = await next_presence()
    assert live_world.member.pk not in {p["id"] for p in online}
    await chair.disconnect()
