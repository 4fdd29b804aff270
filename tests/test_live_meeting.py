"""Declarations, attendance with quorum, and votes: as services and over the meeting socket."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError

from boardroom import policy
from boardroom.policy import Action
from meetings import services
from meetings.models import AttendanceStatus, Motion
from tests.conftest import BoardWorld
from tests.test_consumers import _comment_frame, _connect, _frame, _quiet

pytestmark = pytest.mark.django_db(transaction=True)


def _uid() -> str:
    return str(uuid.uuid4())


def _go_live(world: BoardWorld) -> None:
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to="live")
    world.meeting.refresh_from_db()


async def test_declaring_mid_meeting_withholds_the_item_at_once(live_world: BoardWorld) -> None:
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    await member.send_json_to(
        {
            "type": "declaration.create",
            "id": _uid(),
            "item": live_world.public_item.pk,
            "nature": "My spouse works for the auditors",
        }
    )
    ack = await _frame(member)
    assert ack["type"] == "ack" and ack["object"]["user"] == live_world.member.pk
    declared = await _frame(chair)
    assert declared["event"] == "declaration.recorded"
    await chair.send_json_to(_comment_frame(live_world.public_item.pk, "about the accounts"))
    await chair.send_json_to(_comment_frame(live_world.part_b_item.pk, "about pay"))
    received = await _frame(member, skip=("state", "presence", "ack"))
    if received.get("event") == "declaration.recorded":
        received = await _frame(member)
    assert received["data"]["body"] == "about pay"
    assert await _quiet(member)
    await member.send_json_to(_comment_frame(live_world.public_item.pk, "can I still talk?"))
    assert (await _frame(member))["code"] == "forbidden"
    for socket in (member, chair):
        await socket.disconnect()


def test_only_the_member_or_the_chair_or_secretary_records_a_declaration(world: BoardWorld) -> None:
    with pytest.raises(PermissionDenied):
        services.declaration_record(actor=world.member, item=world.part_b_item, user=world.chair, nature="x")
    with pytest.raises(ValidationError):
        services.declaration_record(actor=world.member, item=world.part_b_item, user=world.member, nature="  ")
    services.declaration_record(
        actor=world.secretary, item=world.part_b_item, user=world.member, nature="Related to the chief executive"
    )
    assert not policy.can(world.member, Action.VIEW, world.part_b_paper)


def test_quorum_counts_voting_members_in_the_room_less_the_recused(world: BoardWorld) -> None:
    board = world.board
    board.quorum_members = 0
    board.quorum_fraction = 0.5  # type: ignore[assignment]
    board.save()
    # Voting members: chair, member, recused (the secretary and the observer have no vote).
    state = services.quorum_state(meeting=world.meeting)
    assert state == {"item": None, "present": 0, "required": 2, "voting_members": 3, "quorate": False}
    for person in (world.chair, world.recused):
        services.attendance_mark(
            actor=world.secretary, meeting=world.meeting, user=person, status=AttendanceStatus.PRESENT
        )
    assert services.quorum_state(meeting=world.meeting)["quorate"] is True
    on_item = services.quorum_state(meeting=world.meeting, item=world.public_item)
    # On the item the recused member neither counts as present nor towards the size of the vote.
    assert on_item == {"item": world.public_item.pk, "present": 1, "required": 1, "voting_members": 2, "quorate": True}
    services.attendance_mark(
        actor=world.secretary, meeting=world.meeting, user=world.chair, status=AttendanceStatus.LEFT_EARLY
    )
    assert services.quorum_state(meeting=world.meeting)["present"] == 1


def test_attendance_is_for_the_secretary_and_for_members_of_the_board(world: BoardWorld) -> None:
    with pytest.raises(PermissionDenied):
        services.attendance_mark(actor=world.member, meeting=world.meeting, user=world.member, status="present")
    with pytest.raises(ValidationError):
        services.attendance_mark(actor=world.secretary, meeting=world.meeting, user=world.outsider, status="present")
    with pytest.raises(ValidationError):
        services.attendance_mark(actor=world.secretary, meeting=world.meeting, user=world.member, status="asleep")


async def test_attendance_over_the_socket_sends_the_quorum_live(live_world: BoardWorld) -> None:
    secretary, _ = await _connect(live_world.secretary, live_world.meeting.pk)
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    await secretary.send_json_to(
        {"type": "attendance.mark", "id": _uid(), "user": live_world.chair.pk, "status": "present"}
    )
    assert (await _frame(secretary))["type"] == "ack"
    event = await _frame(member)
    assert event["event"] == "attendance.updated" and event["data"]["status"] == "present"
    assert event["data"]["quorum"]["present"] == 1
    await member.send_json_to(
        {"type": "attendance.mark", "id": _uid(), "user": live_world.member.pk, "status": "present"}
    )
    assert (await _frame(member))["code"] == "forbidden"
    for socket in (member, secretary):
        await socket.disconnect()


async def test_a_vote_is_opened_cast_and_closed_live(live_world: BoardWorld) -> None:
    await database_sync_to_async(_go_live)(live_world)
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    observer, _ = await _connect(live_world.observer, live_world.meeting.pk)
    recused, _ = await _connect(live_world.recused, live_world.meeting.pk)
    await chair.send_json_to(
        {"type": "vote.open", "id": _uid(), "item": live_world.public_item.pk, "text": "That the accounts be approved."}
    )
    motion = (await _frame(chair))["object"]
    opened = await _frame(member)
    assert opened["event"] == "vote.opened" and opened["data"]["eligible"] == 2  # chair and member
    assert (await _frame(observer))["event"] == "vote.opened"
    await member.send_json_to({"type": "vote.cast", "id": _uid(), "motion": motion["id"], "choice": "For"})
    assert (await _frame(member, skip=("state", "presence", "event")))["object"]["choice"] == "For"
    await observer.send_json_to({"type": "vote.cast", "id": _uid(), "motion": motion["id"], "choice": "For"})
    assert (await _frame(observer, skip=("state", "presence", "event")))["code"] == "forbidden"
    await recused.send_json_to({"type": "vote.cast", "id": _uid(), "motion": motion["id"], "choice": "Against"})
    assert (await _frame(recused))["code"] == "forbidden"
    await chair.send_json_to({"type": "vote.cast", "id": _uid(), "motion": motion["id"], "choice": "Against"})
    await chair.send_json_to({"type": "vote.close", "id": _uid(), "motion": motion["id"]})
    closed = None
    while closed is None:
        frame = await _frame(member)
        if frame.get("event") == "vote.closed":
            closed = frame
    result = closed["data"]["result"]
    assert result["counts"] == {"For": 1, "Against": 1, "Abstain": 0}
    assert result["outcome"].startswith("not carried")
    assert {v["choice"] for v in result["votes"]} == {"For", "Against"}
    assert await _quiet(recused)  # nothing about a vote on an item they are recused from
    for socket in (chair, member, observer, recused):
        await socket.disconnect()


def test_a_secret_ballot_records_counts_but_not_names(world: BoardWorld) -> None:
    _go_live(world)
    motion = services.motion_open(
        actor=world.chair, item=world.part_b_item, text="That the pay award be made.", secret=True
    )
    services.vote_cast(actor=world.member, motion=motion, choice="For")
    services.vote_cast(actor=world.member, motion=motion, choice="Abstain")  # a change of mind
    services.vote_cast(actor=world.recused, motion=motion, choice="For")
    closed = services.motion_close(actor=world.chair, motion=motion)
    assert closed.result["counts"] == {"For": 1, "Against": 0, "Abstain": 1}
    assert closed.result["votes"] == []
    with pytest.raises(ValidationError):
        services.vote_cast(actor=world.member, motion=closed, choice="For")


def test_only_one_vote_is_open_at_a_time_and_only_while_live(world: BoardWorld) -> None:
    with pytest.raises(ValidationError):
        services.motion_open(actor=world.chair, item=world.public_item, text="Too early")
    _go_live(world)
    services.motion_open(actor=world.chair, item=world.public_item, text="First")
    with pytest.raises(ValidationError):
        services.motion_open(actor=world.chair, item=world.public_item, text="Second")
    with pytest.raises(PermissionDenied):
        services.motion_open(actor=world.member, item=world.public_item, text="Mine")
    assert Motion.objects.count() == 1


async def test_an_item_added_after_publishing_reaches_members_live(live_world: BoardWorld) -> None:
    member, _ = await _connect(live_world.member, live_world.meeting.pk)

    def add_item() -> int:
        return services.agenda_item_add(
            actor=live_world.secretary, meeting=live_world.meeting, title="Urgent: roof repairs"
        ).pk

    item_id = await database_sync_to_async(add_item)()
    changed = await _frame(member)
    assert changed["event"] == "agenda.changed" and changed["data"] == {"change": "item.added"}
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    await chair.send_json_to(_comment_frame(item_id, "Quote attached"))
    comment = await _frame(member)
    assert comment["event"] == "comment.created" and comment["data"]["item"] == item_id
    for socket in (member, chair):
        await socket.disconnect()


async def test_authors_edit_and_delete_their_comments_within_ten_minutes(live_world: BoardWorld) -> None:
    import datetime as dt

    from django.utils import timezone

    from documents.models import Comment

    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    await member.send_json_to(_comment_frame(live_world.public_item.pk, "Teh figures look right"))
    comment_id = (await _frame(member))["object"]["id"]
    await _frame(chair)
    await chair.send_json_to({"type": "comment.edit", "id": _uid(), "comment": comment_id, "body": "Mine now"})
    assert (await _frame(chair))["code"] == "forbidden"
    await member.send_json_to(
        {"type": "comment.edit", "id": _uid(), "comment": comment_id, "body": "The figures look right"}
    )
    edited = await _frame(chair)
    assert edited["event"] == "comment.edited" and edited["data"]["body"] == "The figures look right"
    assert edited["data"]["edited_at"]
    await member.send_json_to({"type": "comment.delete", "id": _uid(), "comment": comment_id})
    deleted = await _frame(chair)
    assert deleted["event"] == "comment.deleted" and deleted["data"]["deleted"] and deleted["data"]["body"] == ""

    def age() -> None:
        Comment.objects.filter(pk=comment_id).update(
            deleted_at=None, created_at=timezone.now() - dt.timedelta(minutes=11)
        )

    await database_sync_to_async(age)()
    await member.send_json_to({"type": "comment.edit", "id": _uid(), "comment": comment_id, "body": "Too late"})
    late = await _frame(member, skip=("state", "presence", "event", "ack"))
    assert late["code"] == "invalid" and "ten minutes" in late["message"]
    for socket in (member, chair):
        await socket.disconnect()


def test_mentions_notify_only_people_who_may_see_the_item(world: BoardWorld) -> None:
    from documents import services as document_services
    from meetings.models import MeetingEvent, Notice

    document_services.comment_create(
        actor=world.member,
        item=world.part_b_item,
        client_id=uuid.uuid4(),
        body="@chair can you confirm? cc @observer @nobody",
    )
    event = MeetingEvent.objects.filter(type="comment.created").latest("seq")
    assert event.data["mentions"] == [world.chair.pk]  # the observer may not see Part B
    assert list(Notice.objects.filter(kind="mentioned").values_list("user__username", flat=True)) == ["chair"]


def test_writes_commit_when_the_channel_layer_is_down(
    world: BoardWorld, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """Redis gone: the comment and its event are stored; sockets catch up from the log later
    (tests/test_redis_restart.py kills a real Redis under a real server)."""
    from documents import services as document_services
    from documents.models import Comment
    from meetings import fanout
    from meetings.models import MeetingEvent

    rung: list[str] = []

    def unreachable(topic: str, message: dict[str, Any]) -> None:
        rung.append(topic)
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(fanout, "publish", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        comment = document_services.comment_create(
            actor=world.member, item=world.public_item, body="Still here", client_id=uuid.uuid4()
        )
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert MeetingEvent.objects.filter(type="comment.created", data__id=comment.pk).exists()
    assert rung == [fanout.meeting_topic(world.meeting.pk)]  # the bell was tried, after commit
