"""The permission matrix: every role against every action on every object, over every channel.

The expected table below is written out by hand, independently of the policy's own rules, so a
change that widens or narrows access shows up here as a named leak or a named lock-out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model
from django.test import Client

from boardroom import policy
from boardroom.policy import Action
from documents.models import Paper
from meetings import services
from meetings.models import AgendaItem, Board, Meeting, MeetingStatus, Role
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.downloads import opened, pdf_bytes

ROLES = [
    "chair",
    "secretary",
    "member",
    "recused",
    "observer",
    "former",
    "future",
    "outsider",
    "superuser",
    "anonymous",
]

# The actions that mean something for each kind of object.
ACTIONS: dict[type[Model], list[Action]] = {
    Board: [Action.VIEW, Action.MANAGE],
    Meeting: [Action.VIEW, Action.MANAGE, Action.PUBLISH, Action.CHAIR, Action.PARTICIPATE],
    AgendaItem: [Action.VIEW, Action.MANAGE, Action.PARTICIPATE],
    Paper: [Action.VIEW, Action.MANAGE],
}

OBJECTS = [
    "board",
    "meeting",
    "draft",
    "public_item",
    "part_b_item",
    "public_paper",
    "part_b_paper",
    "other_board",
    "other_meeting",
]

_PREPARER_MEETING = {
    "meeting:view",
    "meeting:manage",
    "meeting:publish",
    "meeting:participate",
    "draft:view",
    "draft:manage",
    "draft:publish",
}
_ALL_ITEMS_AND_PAPERS = {
    f"{obj}:{action}" for obj in ("public_item", "part_b_item") for action in ("view", "manage", "participate")
} | {f"{obj}:{action}" for obj in ("public_paper", "part_b_paper") for action in ("view", "manage")}

EXPECTED: dict[str, set[str]] = {
    "chair": {"board:view", "board:manage", "meeting:chair"} | _PREPARER_MEETING | _ALL_ITEMS_AND_PAPERS,
    "secretary": {"board:view", "board:manage"} | _PREPARER_MEETING | _ALL_ITEMS_AND_PAPERS,
    "member": {
        "board:view",
        "meeting:view",
        "meeting:participate",
        "public_item:view",
        "public_item:participate",
        "part_b_item:view",
        "part_b_item:participate",
        "public_paper:view",
        "part_b_paper:view",
    },
    "recused": {
        "board:view",
        "meeting:view",
        "meeting:participate",
        "part_b_item:view",
        "part_b_item:participate",
        "part_b_paper:view",
    },
    "observer": {"board:view", "meeting:view", "public_item:view", "public_paper:view"},
    "former": set(),
    "future": set(),
    "outsider": {"other_board:view", "other_meeting:view", "other_meeting:participate"},
    "superuser": set(),
    "anonymous": set(),
}


def _user(world: BoardWorld, role: str) -> Any:
    if role == "anonymous":
        return AnonymousUser()
    user = getattr(world, role)
    policy.forget(user)
    return user


def _cells(world: BoardWorld) -> Iterator[tuple[str, str, Model, Action]]:
    for role in ROLES:
        for name in OBJECTS:
            obj: Model = getattr(world, name)
            for action in ACTIONS[type(obj)]:
                yield role, name, obj, action


def matrix_leaks(world: BoardWorld) -> list[str]:
    """Every cell where the policy disagrees with the table, on can(), visible() and audience()."""
    problems: list[str] = []
    for role, name, obj, action in _cells(world):
        user = _user(world, role)
        expected = f"{name}:{action}" in EXPECTED[role]
        if policy.can(user, action, obj) != expected:
            problems.append(f"can: {role} {action} {name}: expected {expected}")
        if action == Action.VIEW:
            seen = policy.visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()
            if seen != expected:
                problems.append(f"visible: {role} {name}: expected {expected}")
            if role != "anonymous":
                in_audience = policy.audience(obj).filter(pk=user.pk).exists()
                if in_audience != expected:
                    problems.append(f"audience: {role} {name}: expected {expected}")
    return problems


def test_policy_matches_the_matrix(world: BoardWorld) -> None:
    assert matrix_leaks(world) == []


def test_matrix_reports_a_deliberately_widened_policy(world: BoardWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """The matrix can fail: give observers Part B and it names the leak."""
    widened = dict(policy.ROLE_GRANTS)
    widened[Role.OBSERVER] = widened[Role.OBSERVER] | {policy.VIEW_CONFIDENTIAL}
    monkeypatch.setattr(policy, "ROLE_GRANTS", widened)
    services.membership_sync_grants(user=world.observer, board=world.board)
    leaks = matrix_leaks(world)
    assert "can: observer view part_b_item: expected False" in leaks
    assert "visible: observer part_b_paper: expected False" in leaks


def test_matrix_reports_a_policy_that_ignores_meeting_status(
    world: BoardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policy, "_meeting_rule", lambda held, meeting, action: policy.VIEW_BOARD in held)
    assert "can: member view draft: expected True" not in matrix_leaks(world)
    assert "can: member view draft: expected False" in matrix_leaks(world)


# --- over HTTP -----------------------------------------------------------------------------


def _url(world: BoardWorld, name: str) -> str | None:
    obj = getattr(world, name)
    if isinstance(obj, Board):
        return f"/boards/{obj.pk}/"
    if isinstance(obj, Meeting):
        return f"/meetings/{obj.pk}/"
    if isinstance(obj, Paper):
        return f"/papers/{obj.pk}/pdf"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_pages_and_downloads_follow_the_matrix(world: BoardWorld, role: str) -> None:
    client = Client()
    if role != "anonymous":
        sign_in(client, getattr(world, role))
    for name in OBJECTS:
        url = _url(world, name)
        if url is None:
            continue
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], (name, url)
        elif f"{name}:view" in EXPECTED[role]:
            assert opened(response), (role, name, url, response.status_code)
        else:
            assert response.status_code == 404, (role, name, url, response.status_code)


@pytest.mark.parametrize("role", ["chair", "secretary", "member", "recused", "observer", "outsider", "former"])
def test_meeting_page_lists_only_the_items_and_papers_the_role_may_see(world: BoardWorld, role: str) -> None:
    client = Client()
    sign_in(client, getattr(world, role))
    page = client.get(f"/meetings/{world.meeting.pk}/").content.decode()
    # The page's live config tells a recused member where their item was ("You stepped out of
    # item 3"): their own declaration, not the item. The agenda itself must not hold it.
    body = re.sub(r'<script id="live-config" type="application/json">.*?</script>', "", page, flags=re.S)
    if role == "recused":
        assert f'data-item="{world.public_item.pk}"' not in page
        assert f'"recusedItems": [{{"id": {world.public_item.pk}' in page
    for name in ("public_item", "part_b_item"):
        item = getattr(world, name)
        shown = item.title.replace("'", "&#x27;") in body
        assert shown == (f"{name}:view" in EXPECTED[role]), (role, name)
    for name in ("public_paper", "part_b_paper"):
        paper = getattr(world, name)
        assert (f"/papers/{paper.pk}/" in body) == (f"{name}:view" in EXPECTED[role]), (role, name)


def test_home_lists_only_the_users_boards(world: BoardWorld) -> None:
    client = Client()
    sign_in(client, world.outsider)
    body = client.get("/").content.decode()
    assert "Hillside Trust" in body
    assert "Riverside Trust" not in body


# --- rules that are not in the table -------------------------------------------------------


def test_ending_a_membership_closes_the_board_at_once(world: BoardWorld) -> None:
    membership = world.member.memberships.get(board=world.board)
    assert policy.can(world.member, Action.VIEW, world.part_b_paper)
    services.membership_end(actor=world.secretary, membership=membership)
    policy.forget(world.member)
    assert not policy.can(world.member, Action.VIEW, world.board)
    assert policy.direct_grants(world.member, world.board) == []


def test_superuser_with_a_direct_grant_but_no_seat_sees_nothing(world: BoardWorld) -> None:
    from guardian.shortcuts import assign_perm

    assign_perm("meetings.view_board", world.superuser, world.board)
    policy.forget(world.superuser)
    assert not policy.can(world.superuser, Action.VIEW, world.board)


def test_draft_meeting_is_hidden_until_published(world: BoardWorld) -> None:
    assert not policy.can(world.member, Action.VIEW, world.draft)
    services.meeting_publish(actor=world.secretary, meeting=world.draft)
    world.draft.refresh_from_db()
    assert world.draft.status == MeetingStatus.PUBLISHED
    assert policy.can(world.member, Action.VIEW, world.draft)


def test_role_change_takes_effect_on_the_next_check(world: BoardWorld) -> None:
    membership = world.observer.memberships.get(board=world.board)
    assert not policy.can(world.observer, Action.VIEW, world.part_b_item)
    services.membership_update(actor=world.secretary, membership=membership, role=Role.MEMBER)
    assert policy.can(world.observer, Action.VIEW, world.part_b_item)


def test_get_or_404_gives_403_for_visible_objects_the_user_may_not_change(world: BoardWorld) -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(PermissionDenied):
        policy.get_or_404(world.member, Action.MANAGE, Meeting.objects.all(), pk=world.meeting.pk)
    with pytest.raises(Http404):
        policy.get_or_404(world.observer, Action.VIEW, AgendaItem.objects.all(), pk=world.part_b_item.pk)
    with pytest.raises(Http404):
        policy.get_or_404(world.member, Action.VIEW, Meeting.objects.all(), pk="not-a-number")


# --- over the meeting socket ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
async def test_meeting_sockets_follow_the_matrix(live_world: BoardWorld, role: str) -> None:
    """A socket opens exactly where the role may view the meeting (events per item: test_consumers)."""
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from boardroom.asgi import application

    def cookie() -> bytes:
        client = Client()
        if role != "anonymous":
            sign_in(client, getattr(live_world, role))
        value = client.cookies["sessionid"].value if "sessionid" in client.cookies else ""
        return f"sessionid={value}".encode()

    session = await database_sync_to_async(cookie)()
    for name in ("meeting", "draft", "other_meeting"):
        meeting = getattr(live_world, name)
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", session)]
        socket = WebsocketCommunicator(application, f"/ws/meetings/{meeting.pk}/?after=0", headers=headers)
        connected, _ = await socket.connect()
        assert connected == (f"{name}:view" in EXPECTED[role]), (role, name)
        # Open or refused, the client leaves and the application finishes here, so no task of
        # it is left for the event loop's teardown (a refused one waited there on Redis).
        await socket.disconnect()


# --- written resolutions -------------------------------------------------------------------

# A circulated resolution (the recused member declared an interest in it), a confidential one,
# a draft, and one of the other board. Observers read but never vote; drafts are for preparers.
RESOLUTION_EXPECTED: dict[str, set[str]] = {
    "chair": {
        *(
            f"{name}:{action}"
            for name in ("resolution", "confidential_resolution")
            for action in ("view", "manage", "participate")
        ),
        "draft_resolution:view",
        "draft_resolution:manage",
    },
    "secretary": {
        f"{name}:{action}"
        for name in ("resolution", "confidential_resolution", "draft_resolution")
        for action in ("view", "manage")
    },
    "member": {
        "resolution:view",
        "resolution:participate",
        "confidential_resolution:view",
        "confidential_resolution:participate",
    },
    "recused": {"resolution:view", "confidential_resolution:view", "confidential_resolution:participate"},
    "observer": {"resolution:view"},
    "former": set(),
    "future": set(),
    "outsider": {"other_resolution:view", "other_resolution:participate"},
    "superuser": set(),
    "anonymous": set(),
}
RESOLUTION_ACTIONS = [Action.VIEW, Action.MANAGE, Action.PARTICIPATE]


def _resolutions(world: BoardWorld) -> dict[str, Any]:
    import datetime as dt

    from django.utils import timezone

    from meetings.models import Resolution, ResolutionStatus, ResolutionVoter
    from meetings.services import resolutions

    deadline = timezone.now() + dt.timedelta(days=5)

    def make(title: str, circulate: bool = True, **extra: Any) -> Resolution:
        made = resolutions.resolution_draft(
            actor=world.secretary, board=world.board, title=title, text="That …", deadline=deadline, **extra
        )
        return resolutions.resolution_circulate(actor=world.secretary, resolution=made) if circulate else made

    found: dict[str, Any] = {
        "resolution": make("Open"),
        "confidential_resolution": make("Secret", confidential=True),
        "draft_resolution": make("Draft", circulate=False),
    }
    resolutions.resolution_declare_interest(actor=world.recused, resolution=found["resolution"], nature="Landlord")
    # The other board has no secretary: its resolution is stored as circulation would leave it.
    other = Resolution.objects.create(
        board=world.other_board,
        title="Hillside",
        text="That …",
        deadline=deadline,
        status=ResolutionStatus.CIRCULATED,
        circulated_at=timezone.now(),
    )
    ResolutionVoter.objects.create(resolution=other, user=world.outsider, name="Outsider")
    found["other_resolution"] = other
    return found


def test_written_resolutions_follow_the_matrix(world: BoardWorld) -> None:
    from meetings.models import Resolution

    objects = _resolutions(world)
    problems: list[str] = []
    for role in ROLES:
        user = _user(world, role)
        for name, obj in objects.items():
            for action in RESOLUTION_ACTIONS:
                expected = f"{name}:{action}" in RESOLUTION_EXPECTED[role]
                if policy.can(user, action, obj) != expected:
                    problems.append(f"can: {role} {action} {name}: expected {expected}")
            expected = f"{name}:view" in RESOLUTION_EXPECTED[role]
            if policy.visible(user, Resolution.objects.filter(pk=obj.pk)).exists() != expected:
                problems.append(f"visible: {role} {name}: expected {expected}")
            if role != "anonymous" and policy.audience(obj).filter(pk=user.pk).exists() != expected:
                problems.append(f"audience: {role} {name}: expected {expected}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_written_resolution_pages_follow_the_matrix(world: BoardWorld, role: str) -> None:
    objects = _resolutions(world)
    client = Client()
    if role != "anonymous":
        sign_in(client, getattr(world, role))
    for name, obj in objects.items():
        response = client.get(f"/resolutions/{obj.pk}/")
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        elif f"{name}:view" in RESOLUTION_EXPECTED[role]:
            assert response.status_code == 200, (role, name)
            shows_ballot = 'name="choice"' in response.content.decode()
            assert shows_ballot == (f"{name}:participate" in RESOLUTION_EXPECTED[role]), (role, name)
        else:
            assert response.status_code == 404, (role, name, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_board_packs_and_agenda_pdfs_follow_the_matrix(world: BoardWorld, role: str) -> None:
    """The pack and the agenda PDF open for whoever may see the meeting, and a pack holds the
    papers of exactly the items the role may see."""
    import pypdfium2 as pdfium

    client = Client()
    if role != "anonymous":
        sign_in(client, getattr(world, role))
    for name in ("meeting", "draft", "other_meeting"):
        meeting = getattr(world, name)
        for url in (f"/meetings/{meeting.pk}/pack.pdf", f"/meetings/{meeting.pk}/agenda.pdf"):
            response = client.get(url)
            if role == "anonymous":
                assert response.status_code == 302, (name, url)
            elif f"{name}:view" in EXPECTED[role]:
                assert opened(response), (role, name, url, response.status_code)
            else:
                assert response.status_code == 404, (role, name, url, response.status_code)
    if "meeting:view" not in EXPECTED[role]:
        return
    data = pdf_bytes(client.get(f"/meetings/{world.meeting.pk}/pack.pdf"))
    doc = pdfium.PdfDocument(data)
    text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    for name in ("public_paper", "part_b_paper"):
        paper = getattr(world, name)
        assert (paper.title in text) == (f"{name}:view" in EXPECTED[role]), (role, name)
    for name in ("public_item", "part_b_item"):
        item = getattr(world, name)
        assert (item.title in text) == (f"{name}:view" in EXPECTED[role]), (role, name)


# --- the public (no sign-in) column ----------------------------------------------------------

# What anyone may see on the public site once the board opted in; with the site off, nothing.
# The other board never opted in. Written out by hand, like the table above.
PUBLIC_EXPECTED_ON = {"board", "meeting", "public_item", "public_paper"}


def public_leaks(world: BoardWorld, expected: set[str]) -> list[str]:
    problems: list[str] = []
    for name in OBJECTS:
        obj: Model = getattr(world, name)
        shown = name in expected
        if policy.can_public(obj) != shown:
            problems.append(f"can_public: {name}: expected {shown}")
        if policy.public_visible(type(obj)._default_manager.filter(pk=obj.pk)).exists() != shown:
            problems.append(f"public_visible: {name}: expected {shown}")
    return problems


def _public_url(world: BoardWorld, name: str) -> str | None:
    from public import selectors

    obj = getattr(world, name)
    board = world.board if name not in ("other_board", "other_meeting") else world.other_board
    if isinstance(obj, Board):
        return f"/public/{obj.slug}/"
    if isinstance(obj, Meeting):
        return selectors.meeting_url(obj)
    if isinstance(obj, Paper):
        return selectors.paper_url(obj, board)
    return None


@pytest.mark.parametrize("opted_in", [True, False])
def test_public_column_of_the_matrix(world: BoardWorld, opted_in: bool) -> None:
    """The public sees the opted-in board's published meeting, its public item and ready paper;
    never a draft, Part B, or a board that did not opt in — by policy and over HTTP (404)."""
    world.board.public_site = opted_in
    world.board.save(update_fields=["public_site"])
    expected = PUBLIC_EXPECTED_ON if opted_in else set()
    assert public_leaks(world, expected) == []
    client = Client()
    for name in OBJECTS:
        url = _public_url(world, name)
        if url is None:
            continue
        response = client.get(url)
        if name in expected:
            assert opened(response), (name, url, response.status_code)  # a page, a file or its S3 link
        else:
            assert response.status_code == 404, (name, url, response.status_code)


def test_public_column_hides_papers_still_processing_and_earlier_versions(world: BoardWorld) -> None:
    from documents.models import PaperVersion

    world.board.public_site = True
    world.board.save(update_fields=["public_site"])
    current = world.public_paper.current_version
    assert current is not None and policy.can_public(current)
    world.public_paper.current_version = None
    world.public_paper.save(update_fields=["current_version"])
    assert not policy.can_public(world.public_paper)
    assert not policy.public_visible(PaperVersion.objects.filter(pk=current.pk)).exists()


def test_public_column_reports_a_policy_that_ignores_part_b(world: BoardWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """The public column can fail: let Part B through and it names the leak."""
    from django.db.models import Q

    world.board.public_site = True
    world.board.save(update_fields=["public_site"])
    original = policy._public_q

    def leaky(model: type[Model], prefix: str = "") -> Q:
        if model is AgendaItem:
            return original(Meeting, f"{prefix}meeting__")
        return original(model, prefix)

    monkeypatch.setattr(policy, "_public_q", leaky)
    leaks = public_leaks(world, PUBLIC_EXPECTED_ON)
    assert "can_public: part_b_item: expected False" in leaks
    assert "public_visible: part_b_paper: expected False" in leaks


# --- minutes, actions and search hits --------------------------------------------------------

# The March meeting, held and closed, with circulated minutes (an entry per item) and an action
# on the Part B item owned by the observer; a second held meeting whose minutes are still a draft.
_MINUTES_PREPARER = {"view", "manage"}
MINUTES_EXPECTED: dict[str, set[str]] = {
    "chair": {
        "minutes:view",
        "minutes:manage",
        "minutes:chair",
        "minutes:participate",
        "draft_minutes:view",
        "draft_minutes:manage",
        "draft_minutes:chair",
        *(f"{n}:{a}" for n in ("public_minute", "part_b_minute", "draft_minute") for a in _MINUTES_PREPARER),
        "owned_action:view",
        "owned_action:manage",
        "owned_action:participate",
    },
    "secretary": {
        "minutes:view",
        "minutes:manage",
        "minutes:participate",
        "draft_minutes:view",
        "draft_minutes:manage",
        *(f"{n}:{a}" for n in ("public_minute", "part_b_minute", "draft_minute") for a in _MINUTES_PREPARER),
        "owned_action:view",
        "owned_action:manage",
        "owned_action:participate",
    },
    "member": {"minutes:view", "minutes:participate", "public_minute:view", "part_b_minute:view", "owned_action:view"},
    "recused": {"minutes:view", "minutes:participate", "part_b_minute:view", "owned_action:view"},
    "observer": {"minutes:view", "public_minute:view", "owned_action:view", "owned_action:participate"},
    "former": set(),
    "future": set(),
    "outsider": set(),
    "superuser": set(),
    "anonymous": set(),
}
MINUTES_ACTIONS = [Action.VIEW, Action.MANAGE, Action.CHAIR, Action.PARTICIPATE]


def _minutes_objects(world: BoardWorld) -> dict[str, Any]:
    from minutes import services as minutes_services
    from minutes.models import ActionItem, MinuteItem
    from tests.factories import MeetingFactory

    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.LIVE)
    services.meeting_advance(actor=world.chair, meeting=world.meeting, to=MeetingStatus.CLOSED)
    minutes = minutes_services.minutes_start(actor=world.secretary, meeting=world.meeting)
    part_b_minute = MinuteItem.objects.get(minutes=minutes, item=world.part_b_item)
    action = minutes_services.action_add(
        actor=world.secretary, entry=part_b_minute, description="Write to HR", owner=world.observer, due=None
    )
    minutes_services.minutes_circulate(actor=world.secretary, minutes=minutes)
    held = MeetingFactory.create(board=world.board, title="Extra meeting", status=MeetingStatus.CLOSED)
    held_item = AgendaItem.objects.create(meeting=held, title="Only item", number="1", sort_key="0001")
    draft_minutes = minutes_services.minutes_start(actor=world.secretary, meeting=held)
    minutes.refresh_from_db()
    action = ActionItem.objects.get(pk=action.pk)
    return {
        "minutes": minutes,
        "draft_minutes": draft_minutes,
        "public_minute": MinuteItem.objects.get(minutes=minutes, item=world.public_item),
        "part_b_minute": part_b_minute,
        "draft_minute": MinuteItem.objects.get(minutes=draft_minutes, item=held_item),
        "owned_action": action,
    }


def test_minutes_and_actions_follow_the_matrix(world: BoardWorld) -> None:
    objects = _minutes_objects(world)
    problems: list[str] = []
    for role in ROLES:
        user = _user(world, role)
        for name, obj in objects.items():
            for action in MINUTES_ACTIONS:
                expected = f"{name}:{action}" in MINUTES_EXPECTED[role]
                if policy.can(user, action, obj) != expected:
                    problems.append(f"can: {role} {action} {name}: expected {expected}")
            expected = f"{name}:view" in MINUTES_EXPECTED[role]
            if policy.visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists() != expected:
                problems.append(f"visible: {role} {name}: expected {expected}")
            if role != "anonymous" and policy.audience(obj).filter(pk=user.pk).exists() != expected:
                problems.append(f"audience: {role} {name}: expected {expected}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_minutes_pages_follow_the_matrix(world: BoardWorld, role: str) -> None:
    objects = _minutes_objects(world)
    client = Client()
    if role != "anonymous":
        sign_in(client, getattr(world, role))
    for name in ("minutes", "draft_minutes"):
        response = client.get(f"/meetings/{objects[name].meeting_id}/minutes/")
        if role == "anonymous":
            assert response.status_code == 302, name
        elif f"{name}:view" in MINUTES_EXPECTED[role]:
            assert response.status_code == 200, (role, name)
            body = response.content.decode()
            assert ("data-minute-form" in body) == (
                f"{name}:manage" in MINUTES_EXPECTED[role] and name == "draft_minutes"
            )
        else:
            assert response.status_code == 404, (role, name, response.status_code)


def test_search_hits_follow_the_matrix(world: BoardWorld) -> None:
    """A search entry is visible exactly when the page or minute it indexes is."""
    from search import indexing
    from search.models import SearchEntry

    objects = _minutes_objects(world)
    for name in ("public_minute", "part_b_minute"):
        entry = objects[name]
        entry.body = "<p>Words</p>"
        entry.save(update_fields=["body"])
    indexing.reindex_all()
    rows = {
        "public_paper": SearchEntry.objects.filter(paper=world.public_paper),
        "part_b_paper": SearchEntry.objects.filter(paper=world.part_b_paper),
        "public_minute": SearchEntry.objects.filter(minute_item=objects["public_minute"], kind="minute"),
        "part_b_minute": SearchEntry.objects.filter(minute_item=objects["part_b_minute"], kind="minute"),
    }
    problems: list[str] = []
    for role in ROLES:
        user = _user(world, role)
        for name, entries in rows.items():
            assert entries.exists(), name
            table = EXPECTED if name.endswith("paper") else MINUTES_EXPECTED
            expected = f"{name}:view" in table[role]
            if policy.visible(user, entries).exists() != expected:
                problems.append(f"visible: {role} {name}: expected {expected}")
            if policy.can(user, Action.VIEW, entries.first()) != expected:  # type: ignore[arg-type]
                problems.append(f"can: {role} {name}: expected {expected}")
    assert problems == [], "\n".join(problems)


def _ranged(response: Any) -> bool:
    """Part of the file: a 206 from the site, or (files on S3) the presigned link that S3 answers."""
    return response.status_code == 206 or (
        response.status_code == 302 and "X-Amz-Signature=" in response.get("Location", "")
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_other_channel_follows_the_matrix(world: BoardWorld, role: str) -> None:
    """Range requests, the reader and its annotation API and exports, calendars, offline copies:
    each answers exactly the roles the matrix lets see the object, and nobody else."""
    client = Client()
    if role != "anonymous":
        sign_in(client, getattr(world, role))
    for name in ("public_paper", "part_b_paper"):
        paper = getattr(world, name)
        allowed = f"{name}:view" in EXPECTED[role]
        checks = [
            (f"/papers/{paper.pk}/pdf", {"Range": "bytes=0-99"}),
            (f"/papers/{paper.pk}/pdf", {"Range": "bytes=-10"}),
            (f"/papers/{paper.pk}/read", {}),
            (f"/papers/{paper.pk}/annotations/", {}),
            (f"/papers/{paper.pk}/annotations.jsonld", {}),
            (f"/papers/{paper.pk}/annotated.pdf", {}),
        ]
        for url, headers in checks:
            response = client.get(url, headers=headers)
            if role == "anonymous":
                assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
            elif allowed and "Range" in headers:
                assert _ranged(response), (role, url, response.status_code)
            elif allowed:
                assert response.status_code == 200, (role, url, response.status_code)
            else:
                assert response.status_code == 404, (role, url, response.status_code)
    for name in ("meeting", "draft", "other_meeting"):
        meeting = getattr(world, name)
        allowed = f"{name}:view" in EXPECTED[role]
        for url in (f"/meetings/{meeting.pk}/calendar.ics", f"/meetings/{meeting.pk}/offline.json"):
            response = client.get(url)
            if role == "anonymous":
                assert response.status_code == 302, url
            else:
                assert response.status_code == (200 if allowed else 404), (role, url, response.status_code)
    keep = client.get("/offline/keep.json").json()
    kept = set(keep["meetings"])
    for name in ("meeting", "draft", "other_meeting"):
        assert (getattr(world, name).pk in kept) == (f"{name}:view" in EXPECTED[role]), (role, name)


def test_guardians_anonymous_user_is_switched_off() -> None:
    """Signed-out visitors are Django's AnonymousUser, never a database user holding grants."""
    from django.conf import settings

    assert settings.ANONYMOUS_USER_NAME is None


# --- notices -------------------------------------------------------------------------------

NOTICE_OBJECTS = ["meeting", "draft", "public_item", "part_b_item", "public_paper", "part_b_paper", "other_meeting"]


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_notices_follow_the_matrix(world: BoardWorld, role: str) -> None:
    """A notice about each object is left for the role (as if it had been told before losing
    access): the unread list and the home page show exactly those the matrix lets it see."""
    from meetings import notices

    user = _user(world, role)
    for name in NOTICE_OBJECTS:
        obj = getattr(world, name)
        item = None if isinstance(obj, Meeting) else obj if isinstance(obj, AgendaItem) else obj.item
        meeting = obj if item is None else item.meeting
        notices.notify(meeting=meeting, kind="mentioned", text=f"About ({name}).", users=[user], item=item)
    listed = {notice.text for notice in notices.unread_for(user)}
    home = sign_in(Client(), user).get("/").content.decode()
    for name in NOTICE_OBJECTS:
        expected = f"{name}:view" in EXPECTED[role]
        assert (f"About ({name})." in listed) == expected, (role, name, "unread list")
        assert (f"About ({name})." in home) == expected, (role, name, "home page")
