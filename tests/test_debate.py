"""Running the debate over the meeting socket: speakers' queue, adjournment, mover and seconder,
the chair's casting vote, named results, refusals that say why, and the state frame."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError

from meetings import live, services
from meetings.models import Meeting, MeetingEvent, Motion
from minutes.record import live_record, vote_line
from tests.conftest import BoardWorld
from tests.test_consumers import _connect, _frame

pytestmark = pytest.mark.django_db(transaction=True)


def _uid() -> str:
    return str(uuid.uuid4())


def _live_on(world: BoardWorld, item: Any) -> None:
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to="live")
    world.meeting.refresh_from_db()
    services.meeting_set_current_item(actor=world.chair, meeting=world.meeting, item=item)
    world.meeting.refresh_from_db()


async def _state(user: Any, meeting_id: int) -> tuple[Any, dict[str, Any]]:
    socket, connected = await _connect(user, meeting_id)
    assert connected
    while True:
        frame = json.loads(await socket.receive_from(timeout=3))
        if frame["type"] == "state":
            return socket, frame


async def test_speakers_queue_over_the_socket(live_world: BoardWorld) -> None:
    await database_sync_to_async(_live_on)(live_world, live_world.part_b_item)
    member, _ = await _connect(live_world.member, live_world.meeting.pk)
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    ask = {"type": "speaker.request", "id": _uid(), "item": live_world.part_b_item.pk}
    await member.send_json_to(ask)
    ack = await _frame(member)
    assert ack["type"] == "ack" and ack["object"]["queue"][0]["user"]["id"] == live_world.member.pk
    event = await _frame(chair)
    assert event["event"] == "speakers.changed" and len(event["data"]["queue"]) == 1
    request_id = event["data"]["queue"][0]["id"]
    await member.send_json_to(ask)  # the same frame again changes nothing
    assert (await _frame(member, skip=("state", "presence", "event")))["type"] == "ack"
    await member.send_json_to({**ask, "id": _uid()})  # a second request is refused, with the reason
    again = await _frame(member, skip=("state", "presence", "event"))
    assert again["type"] == "error" and "already asked" in again["message"]
    await member.send_json_to({"type": "speaker.give", "id": _uid(), "request": request_id})
    refused = await _frame(member, skip=("state", "presence", "event"))
    assert refused["message"] == "Only the chair or the secretary can do that."
    await chair.send_json_to({"type": "speaker.give", "id": _uid(), "request": request_id})
    given = await _frame(chair, skip=("state", "presence", "event"))
    assert given["object"]["floor"]["user"]["id"] == live_world.member.pk and given["object"]["queue"] == []
    _, state = await _state(live_world.secretary, live_world.meeting.pk)
    assert state["speakers"]["floor"]["user"]["id"] == live_world.member.pk
    await member.send_json_to({"type": "speaker.done", "id": _uid()})
    done = await _frame(member, skip=("state", "presence", "event"))
    assert done["type"] == "ack" and done["object"]["floor"] is None
    observer, state = await _state(live_world.observer, live_world.meeting.pk)
    assert state["speakers"] is None  # Part B: an observer may not see the item
    await observer.send_json_to(ask)
    assert (await _frame(observer))["code"] == "forbidden"
    for socket in (member, chair, observer):
        await socket.disconnect()


def test_only_the_current_item_takes_requests_and_a_declaration_leaves_the_queue(world: BoardWorld) -> None:
    _live_on(world, world.part_b_item)
    with pytest.raises(ValidationError, match="under discussion"):
        services.speaker_request(actor=world.member, item=world.public_item)
    services.speaker_request(actor=world.member, item=world.part_b_item)
    services.declaration_record(actor=world.chair, item=world.part_b_item, user=world.member, nature="Spouse on staff")
    assert services.speakers_snapshot(world.part_b_item.pk)["queue"] == []
    changed = MeetingEvent.objects.filter(type="speakers.changed").order_by("-seq").first()
    assert changed is not None and changed.data["queue"] == []
    decl = MeetingEvent.objects.filter(type="declaration.recorded").order_by("-seq").first()
    assert decl is not None and decl.data["recorded_by"]["id"] == world.chair.pk


def test_adjourned_meetings_open_no_votes(world: BoardWorld) -> None:
    _live_on(world, world.part_b_item)
    with pytest.raises(PermissionDenied, match="Only the chair"):
        services.meeting_adjourn(actor=world.member, meeting=world.meeting)
    services.meeting_adjourn(actor=world.chair, meeting=world.meeting)
    with pytest.raises(ValidationError, match="adjourned"):
        services.motion_open(actor=world.chair, item=world.part_b_item, text="That we agree")
    event = MeetingEvent.objects.filter(type="meeting.adjourned").get()
    assert event.data["adjourned"]["by"]["id"] == world.chair.pk
    services.meeting_adjourn(actor=world.chair, meeting=world.meeting, adjourn=False)
    assert Meeting.objects.get(pk=world.meeting.pk).adjourned_at is None
    services.motion_open(actor=world.chair, item=world.part_b_item, text="That we agree")


def test_mover_and_seconder_are_members_who_take_part(world: BoardWorld) -> None:
    _live_on(world, world.public_item)
    with pytest.raises(ValidationError, match="other than the mover"):
        services.motion_open(
            actor=world.chair, item=world.public_item, text="X", mover=world.member.pk, seconder=world.member.pk
        )
    with pytest.raises(ValidationError, match="declared an interest"):
        services.motion_open(actor=world.chair, item=world.public_item, text="X", mover=world.recused.pk)
    with pytest.raises(ValidationError, match="member of this board"):
        services.motion_open(actor=world.chair, item=world.public_item, text="X", mover=world.outsider.pk)
    motion = services.motion_open(
        actor=world.chair,
        item=world.public_item,
        text="That we approve",
        mover=world.member.pk,
        seconder=world.chair.pk,
    )
    opened = MeetingEvent.objects.get(type="vote.opened")
    assert opened.data["mover"]["id"] == world.member.pk and opened.data["seconder"]["id"] == world.chair.pk
    assert {p["id"] for p in opened.data["eligible_people"]} == {world.chair.pk, world.member.pk}
    services.vote_cast(actor=world.member, motion=motion, choice="For")
    cast = MeetingEvent.objects.get(type="vote.cast")
    assert cast.data["voted"] == [world.member.pk] and "choice" not in json.dumps(cast.data)
    with pytest.raises(PermissionDenied, match="secretary and observers"):
        services.vote_cast(actor=world.secretary, motion=motion, choice="For")


@pytest.mark.parametrize("casting", [True, False])
def test_a_tie_is_decided_by_the_chair_only_where_the_board_allows(world: BoardWorld, casting: bool) -> None:
    world.board.chair_casting_vote = casting
    world.board.save()
    _live_on(world, world.public_item)
    motion = services.motion_open(actor=world.chair, item=world.public_item, text="That we approve the accounts")
    services.vote_cast(actor=world.member, motion=motion, choice="For")
    services.vote_cast(actor=world.chair, motion=motion, choice="Against")
    closed = services.motion_close(actor=world.chair, motion=motion)
    assert {v["user"]["id"] for v in closed.result["votes"]} == {world.member.pk, world.chair.pk}
    if not casting:
        assert closed.result["outcome"].startswith("not carried") and "casting_pending" not in closed.result
        with pytest.raises(ValidationError, match="not tied"):
            services.vote_casting(actor=world.chair, motion=motion, choice="For")
        return
    assert closed.result["outcome"] == "tied" and closed.result["casting_pending"] is True
    with pytest.raises(PermissionDenied, match="Only the chair"):
        services.vote_casting(actor=world.member, motion=motion, choice="For")
    with pytest.raises(ValidationError):
        services.vote_casting(actor=world.chair, motion=motion, choice="Abstain")
    decided = services.vote_casting(actor=world.chair, motion=motion, choice="For")
    assert decided.result["outcome"].startswith("carried on the chair's casting vote")
    assert decided.result["casting"]["user"]["id"] == world.chair.pk
    assert MeetingEvent.objects.filter(type="vote.closed").count() == 2
    line = vote_line(live_record(world.meeting)["votes"][0])
    assert "carried on the chair's casting vote" in line
    assert Motion.objects.get(pk=motion.pk).status == Motion.Status.CLOSED


def test_refusals_say_why(world: BoardWorld) -> None:
    _live_on(world, world.public_item)
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to="closed")
    with pytest.raises(ValidationError, match="The meeting is closed."):
        services.meeting_set_current_item(actor=world.chair, meeting=world.meeting, item=world.public_item)
    with pytest.raises((PermissionDenied, ValidationError), match="The meeting is closed."):
        services.speaker_request(actor=world.member, item=world.public_item)
    with pytest.raises(PermissionDenied, match="You declared an interest in this item."):
        services.speaker_request(actor=world.recused, item=world.public_item)


def test_state_rebuilds_declarations_vote_and_recusals(world: BoardWorld) -> None:
    _live_on(world, world.part_b_item)
    motion = services.motion_open(actor=world.chair, item=world.part_b_item, text="That the pay review is agreed")
    services.vote_cast(actor=world.member, motion=motion, choice="Against")
    chair_state = live.meeting_state(world.meeting.pk, live.load_view(world.chair, world.meeting.pk))  # type: ignore[arg-type]
    member_state = live.meeting_state(world.meeting.pk, live.load_view(world.member, world.meeting.pk))  # type: ignore[arg-type]
    recused_state = live.meeting_state(world.meeting.pk, live.load_view(world.recused, world.meeting.pk))  # type: ignore[arg-type]
    observer_state = live.meeting_state(world.meeting.pk, live.load_view(world.observer, world.meeting.pk))  # type: ignore[arg-type]
    assert [d["user"]["id"] for d in chair_state["declarations"]] == [world.recused.pk]  # type: ignore[attr-defined]
    assert member_state["declarations"] == [] and member_state["my_recusals"] == []
    assert recused_state["my_recusals"] == [world.public_item.pk]
    assert member_state["vote"]["mine"] == "Against" and member_state["vote"]["voted"] == [world.member.pk]  # type: ignore[index]
    assert chair_state["vote"]["mine"] is None and chair_state["vote"]["cast"] == 1  # type: ignore[index]
    assert observer_state["vote"] is None and observer_state["speakers"] is None
    assert chair_state["current_since"] is not None and chair_state["quorum"] is not None
    assert chair_state["adjourned"] is None


def test_the_secretary_sets_the_chairs_casting_vote_on_the_board_page(world: BoardWorld) -> None:
    from django.test import Client

    from tests.auth import sign_in

    client = Client()
    sign_in(client, world.member)
    assert client.post(world.board.get_absolute_url(), {"chair_casting_vote": "on"}).status_code == 403
    sign_in(client, world.secretary)
    assert "The chair has a casting vote on a tie" in client.get(world.board.get_absolute_url()).content.decode()
    assert client.post(world.board.get_absolute_url(), {"chair_casting_vote": "on"}).status_code == 302
    world.board.refresh_from_db()
    assert world.board.chair_casting_vote is True


async def test_a_reconnecting_socket_gets_presenter_adjournment_and_timer_in_its_state(live_world: BoardWorld) -> None:
    await database_sync_to_async(_live_on)(live_world, live_world.public_item)
    chair, _ = await _connect(live_world.chair, live_world.meeting.pk)
    await chair.send_json_to({"type": "presenter.page", "id": _uid(), "paper": live_world.public_paper.pk, "page": 2})
    assert (await _frame(chair, skip=("state", "presence", "event")))["type"] == "ack"
    await chair.send_json_to({"type": "meeting.adjourn", "id": _uid()})
    assert (await _frame(chair, skip=("state", "presence", "event")))["object"]["adjourned"]["by"][
        "id"
    ] == live_world.chair.pk
    await chair.send_json_to(
        {"type": "vote.open", "id": _uid(), "item": live_world.public_item.pk, "text": "That we agree"}
    )
    refused = await _frame(chair, skip=("state", "presence", "event"))
    assert refused["type"] == "error" and refused["message"].startswith("The meeting is adjourned.")
    member, state = await _state(live_world.member, live_world.meeting.pk)
    assert state["presenter"]["page"] == 2 and state["presenter"]["presenter"]["id"] == live_world.chair.pk
    assert state["adjourned"]["by"]["id"] == live_world.chair.pk and state["current_since"]
    recused, state = await _state(live_world.recused, live_world.meeting.pk)
    assert state["presenter"] is None and state["my_recusals"] == [live_world.public_item.pk]
    for socket in (chair, member, recused):
        await socket.disconnect()
