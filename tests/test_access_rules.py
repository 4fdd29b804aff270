"""Access rules the permission matrix (tests/test_policy.py) does not reach on its own.

Each test here guards a rule that a mutation run (scripts/mutate.py, docs/mutation.md) showed no
other test would miss: recusal carried to sub-items, papers that are not ready, owners of actions
who left the board, private and shared annotations, the socket's own filter on every path.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from boardroom import policy
from boardroom.policy import Action
from documents import annotating
from documents import selectors as document_selectors
from documents import services as document_services
from documents.models import Annotation, Paper, VersionStatus
from meetings import live, services
from meetings import selectors as meeting_selectors
from meetings.consumers import MeetingConsumer
from meetings.models import AgendaItem, MeetingStatus, Role
from tests.auth import sign_in
from tests.conftest import BoardWorld


def _sees(user: Any, obj: Any) -> tuple[bool, bool, bool]:
    """(can, visible, in the audience) for VIEW: the three answers the policy gives."""
    policy.forget(user)
    return (
        policy.can(user, Action.VIEW, obj),
        policy.visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists(),
        policy.audience(obj).filter(pk=user.pk).exists(),
    )


# --- recusal ---------------------------------------------------------------------------------


def test_an_interest_in_an_item_recuses_from_its_sub_items_too(world: BoardWorld) -> None:
    """The recused member declared an interest in the finance report: its sub-item (added after
    the declaration) and that sub-item's paper are withheld from them as well."""
    sub_item = services.agenda_item_add(
        actor=world.secretary, meeting=world.meeting, title="Auditor's letter", parent=world.public_item
    )
    paper = document_services.paper_create(actor=world.secretary, item=sub_item, title="Letter")
    document_services.paper_version_add(actor=world.secretary, paper=paper, data=_pdf("Letter"))
    paper.refresh_from_db()
    assert _sees(world.member, sub_item) == (True, True, True)
    assert _sees(world.member, paper) == (True, True, True)
    assert _sees(world.recused, sub_item) == (False, False, False)
    assert _sees(world.recused, paper) == (False, False, False)
    agenda = meeting_selectors.agenda_for(world.recused, world.meeting)
    assert sub_item.pk not in {item.pk for item in agenda}


# --- paper readiness -------------------------------------------------------------------------


@pytest.fixture
def refused_paper(world: BoardWorld, django_capture_on_commit_callbacks: Any) -> Paper:
    """A paper on the public item whose only upload was refused: it has no version to read."""
    with django_capture_on_commit_callbacks(execute=True):
        version = document_services.paper_upload(
            actor=world.secretary,
            item=world.public_item,
            title="Treasurer's late note",
            uploaded=SimpleUploadedFile("late.pdf", b"%PDF-1.7\nthis is not really a PDF\n"),
        )
    version.refresh_from_db()
    assert version.status == VersionStatus.REFUSED
    paper = Paper.objects.get(pk=version.paper_id)
    assert paper.current_version_id is None
    return paper


def test_a_paper_that_is_not_ready_is_for_those_who_manage_the_board(world: BoardWorld, refused_paper: Paper) -> None:
    for manager in (world.secretary, world.chair):
        assert _sees(manager, refused_paper) == (True, True, True)
    for reader in (world.member, world.observer):
        assert _sees(reader, refused_paper) == (False, False, False)
    response = sign_in(Client(), world.member).get(f"/papers/{refused_paper.pk}/pdf")
    assert response.status_code == 404


def test_the_meeting_page_lists_only_ready_papers_to_members(world: BoardWorld, refused_paper: Paper) -> None:
    def papers_shown(user: Any) -> set[int]:
        return {paper.pk for item in meeting_selectors.agenda_for(user, world.meeting) for paper in item.visible_papers}  # type: ignore[attr-defined]

    assert refused_paper.pk in papers_shown(world.secretary)
    assert papers_shown(world.member) == {world.public_paper.pk, world.part_b_paper.pk}
    body = sign_in(Client(), world.member).get(f"/meetings/{world.meeting.pk}/").content.decode()
    assert f"/papers/{world.public_paper.pk}/" in body
    assert refused_paper.title.replace("'", "&#x27;") not in body
    assert f"/papers/{refused_paper.pk}/" not in body


def test_an_items_paper_list_holds_only_ready_papers_for_members(world: BoardWorld, refused_paper: Paper) -> None:
    assert list(document_selectors.papers_for(world.member, world.public_item)) == [world.public_paper]
    assert refused_paper in document_selectors.papers_for(world.secretary, world.public_item)
    assert list(document_selectors.papers_for(world.recused, world.public_item)) == []


# --- roles and meeting status ----------------------------------------------------------------


def test_items_and_papers_are_never_published_on_their_own(world: BoardWorld) -> None:
    """Publishing is done to a meeting: even its secretary cannot 'publish' one item or paper."""
    assert policy.can(world.secretary, Action.PUBLISH, world.draft)
    for obj in (world.public_item, world.part_b_item, world.public_paper):
        assert not policy.can(world.secretary, Action.PUBLISH, obj)
        assert not policy.can(world.chair, Action.PUBLISH, obj)


def test_nobody_takes_part_in_a_closed_meeting(world: BoardWorld) -> None:
    assert policy.can(world.member, Action.PARTICIPATE, world.public_item)
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.LIVE)
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.CLOSED)
    for user in (world.chair, world.member):
        policy.forget(user)
        item = AgendaItem.objects.select_related("meeting").get(pk=world.public_item.pk)
        assert policy.can(user, Action.VIEW, item)
        assert not policy.can(user, Action.PARTICIPATE, item)
        assert not policy.can(user, Action.PARTICIPATE, item.meeting)
    with pytest.raises(PermissionDenied):
        document_services.comment_create(actor=world.member, item=item, body="Too late", client_id=uuid.uuid4())


# --- actions and their owners ----------------------------------------------------------------


def test_a_former_member_no_longer_sees_the_actions_they_own(world: BoardWorld) -> None:
    """Owning an action opens it only while its owner sits on the board; a member who left (and
    sits on another board, so still holds grants somewhere) loses it with the seat."""
    from minutes import services as minutes_services
    from minutes.models import MinuteItem

    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.LIVE)
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.CLOSED)
    minutes = minutes_services.minutes_start(actor=world.secretary, meeting=world.meeting)
    entry = MinuteItem.objects.get(minutes=minutes, item=world.part_b_item)
    action = minutes_services.action_add(
        actor=world.secretary,
        entry=entry,
        description="Benchmark the chief executive's pay",
        owner=world.observer,
        due=None,
    )
    minutes_services.minutes_circulate(actor=world.secretary, minutes=minutes)
    client = sign_in(Client(), world.observer)
    # The observer may not see Part B, but owns the action: they see it and move it on.
    assert policy.can(world.observer, Action.VIEW, action)
    assert policy.can(world.observer, Action.PARTICIPATE, action)
    assert "Benchmark the chief executive" in client.get("/actions/").content.decode()

    services.membership_create(actor=_admin(), board=world.other_board, user=world.observer, role=Role.MEMBER)
    services.membership_end(actor=world.secretary, membership=world.observer.memberships.get(board=world.board))
    policy.forget(world.observer)
    assert policy.access_for(world.observer).grants, "still seated elsewhere"
    assert not policy.can(world.observer, Action.VIEW, action)
    assert not policy.can(world.observer, Action.PARTICIPATE, action)
    assert not policy.visible(world.observer, type(action).objects.filter(pk=action.pk)).exists()
    assert not policy.audience(action).filter(pk=world.observer.pk).exists()
    page = client.get("/actions/")
    assert page.status_code == 200
    assert "Benchmark the chief executive" not in page.content.decode()


def test_the_minutes_page_shows_only_the_minutes_of_items_the_reader_may_see(world: BoardWorld) -> None:
    """Circulated minutes: observers get no Part B minute, the recused member none of their item."""
    from minutes import selectors as minutes_selectors
    from minutes import services as minutes_services

    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.LIVE)
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.CLOSED)
    minutes = minutes_services.minutes_start(actor=world.secretary, meeting=world.meeting)
    minutes_services.minutes_circulate(actor=world.secretary, minutes=minutes)
    expected = {
        world.member: {world.public_item.pk, world.part_b_item.pk},
        world.observer: {world.public_item.pk},
        world.recused: {world.part_b_item.pk},
    }
    for user, items in expected.items():
        assert {entry.item_id for entry in minutes_selectors.entries_for(user, minutes)} == items, user
        body = sign_in(Client(), user).get(f"/meetings/{world.meeting.pk}/minutes/").content.decode()
        for item in (world.public_item, world.part_b_item):
            assert (f'id="minute-{item.pk}"' in body) == (item.pk in items), (user, item)


# --- annotations -----------------------------------------------------------------------------


def _note(user: Any, paper: Paper, visibility: str, body: str = "Ask about this") -> Annotation:
    payload = {"client_id": str(uuid.uuid4()), "kind": "note", "page": 1, "body": body, "visibility": visibility}
    annotation, created = annotating.annotation_save(actor=user, paper=paper, payload=payload)
    assert created
    return annotation


def test_a_private_annotation_is_its_authors_alone(world: BoardWorld) -> None:
    private = _note(world.member, world.public_paper, "private")
    shared = _note(world.member, world.public_paper, "shared")
    assert policy.can(world.member, Action.VIEW, private) and policy.can(world.member, Action.MANAGE, private)
    for other in (world.chair, world.secretary, world.observer):
        assert not policy.can(other, Action.VIEW, private), other
        assert policy.can(other, Action.VIEW, shared), other
        assert not policy.can(other, Action.MANAGE, shared), other
    with pytest.raises(PermissionDenied):
        annotating.annotation_update(actor=world.chair, annotation=shared, payload={"body": "Rewritten"})
    with pytest.raises(PermissionDenied):
        annotating.annotation_delete(actor=world.chair, annotation=shared)
    shared.refresh_from_db()
    assert shared.body == "Ask about this" and shared.deleted_at is None
    annotating.annotation_delete(actor=world.member, annotation=shared)
    shared.refresh_from_db()
    for user in (world.member, world.chair):
        assert not policy.can(user, Action.VIEW, shared)
        assert not policy.visible(user, Annotation.objects.filter(pk=shared.pk)).exists()


def test_a_shared_annotation_follows_its_paper(world: BoardWorld) -> None:
    """Shared with the board still means: only with those who may read the paper."""
    on_part_b = _note(world.member, world.part_b_paper, "shared")
    on_public = _note(world.member, world.public_paper, "shared")
    assert policy.can(world.chair, Action.VIEW, on_part_b)
    assert not policy.can(world.observer, Action.VIEW, on_part_b)
    assert policy.can(world.observer, Action.VIEW, on_public)
    assert not policy.can(world.recused, Action.VIEW, on_public)
    assert policy.can(world.recused, Action.VIEW, on_part_b)
    assert not policy.can(world.outsider, Action.VIEW, on_public)


# --- the socket's own filter -----------------------------------------------------------------


def test_a_sockets_view_admits_only_what_its_user_may_see(world: BoardWorld) -> None:
    observer = live.load_view(world.observer, world.meeting.pk)
    recused = live.load_view(world.recused, world.meeting.pk)
    member = live.load_view(world.member, world.meeting.pk)
    assert observer is not None and recused is not None and member is not None
    assert live.load_view(world.outsider, world.meeting.pk) is None
    public, part_b = world.public_item.pk, world.part_b_item.pk
    assert observer.admits("item", public, None) and not observer.admits("item", part_b, None)
    assert recused.admits("item", part_b, None) and not recused.admits("item", public, None)
    assert member.admits("item", public, None) and member.admits("item", part_b, None)
    assert member.admits("user", None, world.member.pk)
    assert not member.admits("user", None, world.observer.pk)
    assert all(view.admits("meeting", None, None) for view in (observer, recused, member))


def _bell(seq: int, item: int, body: str) -> dict[str, Any]:
    frame = json.dumps({"type": "event", "seq": seq, "event": "comment.created", "data": {"body": body}})
    return {"type": "meeting.bell", "seq": seq, "event": "comment.created", "audience": "item", "item": item,
            "user": None, "frame": frame}  # fmt: skip


async def test_a_queued_bell_is_filtered_like_a_direct_one() -> None:
    """A bell goes out at once when the socket is idle, or through its inbox when it is busy:
    both paths send only what the socket's view admits, and both move past what they skip."""
    sent: list[str] = []

    async def send(text_data: str | None = None, **_: Any) -> None:
        assert text_data is not None
        sent.append(json.loads(text_data)["data"]["body"])

    consumer = MeetingConsumer()
    consumer.send = send  # type: ignore[method-assign]
    consumer.view = live.SocketView(user_id=1, meeting_id=1, may_view=True, items=frozenset({10}))
    for path in (consumer._forward_now, consumer.meeting_bell):
        consumer.last_sent = 0
        await path(_bell(1, 11, "hidden"))
        await path(_bell(2, 10, "shown"))
        assert consumer.last_sent == 2
    assert sent == ["shown", "shown"]


def _cookie(user: Any) -> bytes:
    client = sign_in(Client(), user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.django_db(transaction=True)
async def test_declaring_an_interest_mid_meeting_stops_that_items_events_at_once(
    live_world: BoardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The declaration's own event makes the socket reload what its user may see, so the next
    event on that item is withheld even when the separate access push never arrives."""
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from boardroom.asgi import application
    from meetings import events

    monkeypatch.setattr(events, "access_changed", lambda user_id: None)
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    headers.append((b"cookie", await database_sync_to_async(_cookie)(live_world.member)))
    socket = WebsocketCommunicator(application, f"/ws/meetings/{live_world.meeting.pk}/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    declare = {"type": "declaration.create", "id": str(uuid.uuid4()), "item": live_world.public_item.pk}
    await socket.send_json_to({**declare, "nature": "Partner at the audit firm"})
    while True:  # the declaration is stored once it is acknowledged
        frame = json.loads(await socket.receive_from(timeout=3))
        if frame["type"] == "ack":
            assert frame["id"] == declare["id"]
            break

    def comment(item: AgendaItem, body: str) -> None:
        document_services.comment_create(actor=live_world.chair, item=item, body=body, client_id=uuid.uuid4())

    await database_sync_to_async(comment)(live_world.public_item, "On the accounts")
    await database_sync_to_async(comment)(live_world.part_b_item, "On the pay review")
    seen: list[str] = []
    while "On the pay review" not in seen:
        frame = json.loads(await socket.receive_from(timeout=3))
        if frame.get("event") == "comment.created":
            seen.append(frame["data"]["body"])
    assert seen == ["On the pay review"]
    await socket.disconnect()


def _pdf(text: str) -> bytes:
    from tests.pdfs import make_pdf

    return make_pdf([text])


def _admin() -> Any:
    from tests.conftest import _admin as admin

    return admin()
