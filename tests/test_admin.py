"""The Django admin covers the domain, and seat changes made there reach the grants."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from boardroom import policy
from boardroom.policy import Action
from meetings.models import Membership
from tests.auth import sign_in
from tests.conftest import BoardWorld

ADMIN_PAGES = [
    "meetings/board",
    "meetings/membership",
    "meetings/meeting",
    "meetings/agendaitem",
    "documents/paper",
    "documents/paperversion",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_lists_and_forms_open(world: BoardWorld, page: str) -> None:
    client = Client()
    sign_in(client, world.superuser)
    assert client.get(f"/admin/{page}/").status_code == 200
    if page != "documents/paperversion":
        assert client.get(f"/admin/{page}/add/").status_code in (200, 403)


def test_a_seat_added_in_the_admin_grants_access(world: BoardWorld) -> None:
    client = Client()
    sign_in(client, world.superuser)
    response = client.post(
        "/admin/meetings/membership/add/",
        {
            "user": world.outsider.pk,
            "board": world.board.pk,
            "role": "member",
            "title": "",
            "valid_from": timezone.localdate().isoformat(),
            "valid_until": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy.forget(world.outsider)
    assert policy.can(world.outsider, Action.VIEW, world.part_b_item)
    Membership.objects.get(user=world.outsider, board=world.board)
    client.post(
        f"/admin/meetings/membership/{Membership.objects.get(user=world.outsider, board=world.board).pk}/delete/",
        {"post": "yes"},
    )
    policy.forget(world.outsider)
    assert not policy.can(world.outsider, Action.VIEW, world.board)
    assert policy.direct_grants(world.outsider, world.board) == []
