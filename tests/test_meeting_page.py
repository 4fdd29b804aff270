"""The meeting page reads only (marking notices read writes once, when there are any), is sent
compressed to browsers that accept it, and the secretary's queries do not grow with the agenda."""

from __future__ import annotations

import gzip
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents.models import Paper
from meetings.models import Notice
from tests.auth import sign_in
from tests.factories import UserFactory
from tests.test_queries import board_for, meeting_with, queries_for


@pytest.fixture
def people(db: None) -> dict[str, User]:
    return {
        name: UserFactory.create(username=name, is_staff=name == "admin", is_superuser=name == "admin")
        for name in ("admin", "secretary", "member", "presenter")
    }


WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


def writes_of(client: Client, url: str) -> tuple[list[str], int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries if WRITE.match(q["sql"])], len(captured.captured_queries)


def test_viewing_the_meeting_page_writes_only_to_mark_unread_notices(people: dict[str, User], client: Client) -> None:
    board = board_for(people, "trust")
    meeting = meeting_with(people, board, items=3, papers=1)
    member = people["member"]
    assert Notice.objects.filter(user=member, meeting=meeting, read_at__isnull=True).exists()  # from publishing
    sign_in(client, member)

    first, _ = writes_of(client, meeting.get_absolute_url())
    assert any("meetings_notice" in sql for sql in first)
    assert not Notice.objects.filter(user=member, meeting=meeting, read_at__isnull=True).exists()
    again, _ = writes_of(client, meeting.get_absolute_url())
    assert again == []


def test_the_meeting_page_is_gzipped_for_browsers_that_accept_it(people: dict[str, User], client: Client) -> None:
    board = board_for(people, "trust")
    meeting = meeting_with(people, board, items=10, papers=1)
    sign_in(client, people["member"])

    packed = client.get(meeting.get_absolute_url(), headers={"accept-encoding": "gzip"})
    plain = client.get(meeting.get_absolute_url())

    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert "Paper 9-0" in gzip.decompress(packed.content).decode()
    assert len(packed.content) < len(plain.content) / 3
    assert not plain.has_header("Content-Encoding")


def test_secretary_queries_do_not_grow_with_the_agenda(people: dict[str, User], client: Client) -> None:
    board = board_for(people, "trust")
    small = meeting_with(people, board, items=3, papers=1)
    large = meeting_with(people, board, items=30, papers=3, days=14)
    sign_in(client, people["secretary"])

    small_count, _ = queries_for(client, small.get_absolute_url())
    large_count, page = queries_for(client, large.get_absolute_url())

    assert "Agenda builder" in page
    assert large_count == small_count
    # Each paper links to its own reader page.
    for paper in Paper.objects.filter(item__meeting=large):
        assert f'href="{reverse("paper_read", args=[paper.pk])}"' in page
