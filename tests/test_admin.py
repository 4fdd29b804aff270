"""The Django admin sets boards up: seat changes made there reach the grants, and it shows no
board business beyond what the permission policy lets the person see in the portal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from boardroom import policy
from boardroom.policy import Action
from meetings.models import Membership, Resolution
from meetings.services import resolutions as resolution_services
from tests.auth import sign_in
from tests.conftest import BoardWorld

# Each admin page, and whether it may add rows: boards and seats are set up here; board
# business (meetings, items, papers, resolutions) is made in the portal and only shown here.
ADMIN_PAGES = {
    "meetings/board": True,
    "meetings/membership": True,
    "meetings/meeting": False,
    "meetings/agendaitem": False,
    "meetings/resolution": False,
    "documents/paper": False,
    "documents/paperversion": False,
    "boardroom/auditevent": False,
}


@pytest.mark.parametrize("page", list(ADMIN_PAGES))
def test_admin_lists_open_and_only_set_up_pages_add(world: BoardWorld, page: str) -> None:
    client = Client()
    sign_in(client, world.superuser)
    assert client.get(f"/admin/{page}/").status_code == 200
    assert client.get(f"/admin/{page}/add/").status_code == (200 if ADMIN_PAGES[page] else 403)


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


def _staff(user: User, *codenames: str) -> User:
    """Make ``user`` staff allowed to view the given admin pages (as a platform admin might)."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)  # fresh permission cache


CONTENT_PAGES = [
    "/admin/meetings/meeting/",
    "/admin/meetings/agendaitem/",
    "/admin/meetings/resolution/",
    "/admin/documents/paper/",
    "/admin/documents/paperversion/",
    "/admin/boardroom/auditevent/",
]
VIEW_ALL = ["view_meeting", "view_agendaitem", "view_resolution", "view_paper", "view_paperversion", "view_auditevent"]


def _resolution(world: BoardWorld) -> Resolution:
    return resolution_services.resolution_draft(
        actor=world.secretary,
        board=world.board,
        title="Sale of the boathouse",
        text="RESOLVED that the boathouse is sold to the rowing club.",
        deadline=timezone.now() + dt.timedelta(days=7),
        confidential=True,
    )


def _everything_shown(client: Client) -> str:
    return "".join(client.get(url).content.decode() for url in CONTENT_PAGES)


@pytest.mark.parametrize("who", ["superuser", "staff observer"])
def test_staff_do_not_see_part_b_resolutions_or_drafts_in_the_admin(world: BoardWorld, who: str) -> None:
    resolution = _resolution(world)
    user = world.superuser if who == "superuser" else _staff(world.observer, *VIEW_ALL)
    client = sign_in(Client(), user)
    shown = _everything_shown(client)
    for secret in ("Chief executive", "Pay review", "Draft meeting", "boathouse", "rowing club"):
        assert secret not in shown, (who, secret)
    # Asking for the rows by number is the same as asking for rows that do not exist.
    for url in (
        f"/admin/meetings/agendaitem/{world.part_b_item.pk}/change/",
        f"/admin/documents/paper/{world.part_b_paper.pk}/change/",
        f"/admin/meetings/meeting/{world.draft.pk}/change/",
        f"/admin/meetings/resolution/{resolution.pk}/change/",
        f"/admin/meetings/meeting/{world.meeting.pk}/change/" if who == "superuser" else "/admin/",
    ):
        response = client.get(url, follow=True)
        assert "Chief executive" not in response.content.decode(), (who, url)
        assert "boathouse" not in response.content.decode(), (who, url)
        if url != "/admin/":
            assert response.redirect_chain and response.redirect_chain[-1][0] == "/admin/", (who, url)
    if who == "staff observer":
        # What the policy lets them see in the portal, they see here too.
        assert "March board meeting" in shown and "Finance report" in shown and "Accounts" in shown
    else:
        assert "March board meeting" not in shown and "Finance report" not in shown


def test_the_boards_secretary_sees_its_business_in_the_admin_read_only(world: BoardWorld) -> None:
    _resolution(world)
    client = sign_in(Client(), _staff(world.secretary, *VIEW_ALL, "change_meeting", "change_agendaitem"))
    shown = _everything_shown(client)
    for seen in ("Chief executive", "Pay review", "Draft meeting", "boathouse", "paper.uploaded"):
        assert seen in shown, seen
    assert "Hillside meeting" not in shown  # another board's business
    page = client.get(f"/admin/meetings/agendaitem/{world.part_b_item.pk}/change/")
    assert page.status_code == 200 and 'name="title"' not in page.content.decode()
    before = world.part_b_item.title
    client.post(f"/admin/meetings/agendaitem/{world.part_b_item.pk}/change/", {"title": "Changed in the admin"})
    world.part_b_item.refresh_from_db()
    assert world.part_b_item.title == before


def test_the_admin_log_shows_board_entries_only_to_those_who_manage_the_board(world: BoardWorld) -> None:
    sign_in(Client(), world.member)  # a sign-in: tied to no board
    root = sign_in(Client(), world.superuser).get("/admin/boardroom/auditevent/?all=").content.decode()
    assert "auth.login" in root and "paper.uploaded" not in root and "membership.created" not in root
