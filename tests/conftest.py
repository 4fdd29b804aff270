"""Shared fixtures: a board with named people in every role, and a second board."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from documents import services as document_services
from documents.models import Paper
from meetings import services
from meetings.models import AgendaItem, Board, Meeting, MeetingStatus, Role
from tests.factories import BoardFactory, MeetingFactory, UserFactory
from tests.pdfs import make_pdf


@dataclass
class BoardWorld:
    """A board with chair, secretary, member, a member recused from the public item, observer,
    a member whose term ended, one whose term has not begun, an outsider (member of another
    board only) and a superuser who sits on no board."""

    board: Board
    other_board: Board
    chair: User
    secretary: User
    member: User
    observer: User
    former: User
    recused: User
    future: User
    outsider: User
    superuser: User
    meeting: Meeting
    draft: Meeting
    public_item: AgendaItem
    part_b_item: AgendaItem
    public_paper: Paper
    part_b_paper: Paper
    other_meeting: Meeting


def _seat(board: Board, user: User, role: str, **dates: Any) -> None:
    services.membership_create(actor=_admin(), board=board, user=user, role=role, **dates)


_ADMIN: list[User] = []


def _admin() -> User:
    from django.contrib.auth.models import Permission

    if not _ADMIN or not type(_ADMIN[0]).objects.filter(pk=_ADMIN[0].pk).exists():
        _ADMIN.clear()
        admin = UserFactory.create(username="boards-admin", is_staff=True)
        admin.user_permissions.add(Permission.objects.get(codename="add_membership"))
        _ADMIN.append(type(admin).objects.get(pk=admin.pk))
    return _ADMIN[0]


def build_world() -> BoardWorld:
    today = timezone.localdate()
    board = BoardFactory.create(name="Riverside Trust", slug="riverside")
    other = BoardFactory.create(name="Hillside Trust", slug="hillside")
    people = {
        name: UserFactory.create(username=name)
        for name in ("chair", "secretary", "member", "recused", "observer", "former", "future", "outsider")
    }
    superuser = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    _seat(board, people["chair"], Role.CHAIR)
    _seat(board, people["secretary"], Role.SECRETARY)
    _seat(board, people["member"], Role.MEMBER)
    _seat(board, people["recused"], Role.MEMBER)
    _seat(board, people["observer"], Role.OBSERVER)
    _seat(
        board,
        people["former"],
        Role.MEMBER,
        valid_from=today - dt.timedelta(days=400),
        valid_until=today - dt.timedelta(days=1),
    )
    _seat(board, people["future"], Role.MEMBER, valid_from=today + dt.timedelta(days=30))
    _seat(other, people["outsider"], Role.MEMBER)
    # A grant left behind for the former member, as if revocation had been missed: dates still rule.
    from guardian.shortcuts import assign_perm

    for codename in ("view_board", "view_confidential"):
        assign_perm(f"meetings.{codename}", people["former"], board)

    secretary = people["secretary"]
    meeting = MeetingFactory.create(board=board, title="March board meeting", status=MeetingStatus.DRAFT)
    public_item = services.agenda_item_add(actor=secretary, meeting=meeting, title="Finance report")
    part_b_item = services.agenda_item_add(
        actor=secretary, meeting=meeting, title="Chief executive's pay", confidential=True
    )
    public_paper = document_services.paper_create(actor=secretary, item=public_item, title="Accounts")
    document_services.paper_version_add(actor=secretary, paper=public_paper, data=make_pdf(["Accounts", "p2"]))
    part_b_paper = document_services.paper_create(actor=secretary, item=part_b_item, title="Pay review")
    document_services.paper_version_add(actor=secretary, paper=part_b_paper, data=make_pdf(["Pay review"]))
    public_paper.refresh_from_db()
    part_b_paper.refresh_from_db()
    services.meeting_publish(actor=secretary, meeting=meeting)
    meeting.refresh_from_db()
    services.declaration_record(
        actor=people["recused"],
        item=public_item,
        user=people["recused"],
        nature="Director of the firm that audits the accounts",
    )
    draft = MeetingFactory.create(board=board, title="Draft meeting", status=MeetingStatus.DRAFT)
    other_meeting = MeetingFactory.create(board=other, title="Hillside meeting", status=MeetingStatus.PUBLISHED)
    return BoardWorld(
        board=board,
        other_board=other,
        superuser=superuser,
        meeting=meeting,
        draft=draft,
        public_item=public_item,
        part_b_item=part_b_item,
        public_paper=public_paper,
        part_b_paper=part_b_paper,
        other_meeting=other_meeting,
        **people,
    )


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Any:
    """Each test gets its own channel layer object: the Redis layer binds its locks to the event
    loop that first used them, and every async test runs on a new loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Hashing a password properly takes a third of a second; tests make many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _files_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Embedded runs keep each test's files in its own folder; S3 runs use the configured bucket."""
    default = settings.STORAGES["default"]
    if default["BACKEND"].endswith("FileSystemStorage"):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {**default, "OPTIONS": {**default.get("OPTIONS", {}), "location": str(tmp_path / "files")}},
        }


@pytest.fixture
def world(db: None) -> BoardWorld:
    return build_world()


@pytest.fixture
def live_world(transactional_db: None) -> BoardWorld:
    """The same board, committed, for code that runs in other threads (sockets, live servers)."""
    return build_world()
