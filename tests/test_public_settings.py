"""The clerk's public-site settings, the paper-saved figures, and the optional minutes hook."""

from __future__ import annotations

import datetime as dt
import sys
import types
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from meetings.models import Board, PublicPartB
from public import minutes_hook, papersaved, selectors, services
from tests.auth import sign_in
from tests.conftest import BoardWorld


def settings_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "public_site": "on",
        "public_part_b": "hidden",
        "public_questions": "on",
        "paper_saved_public": "on",
        "paper_cost_per_sheet": "0.02",
        "print_cost_per_page": "0.05",
        "postage_per_pack": "3.00",
        "print_double_sided": "on",
        "currency_symbol": "€",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_secretary_switches_the_public_site_on(world: BoardWorld) -> None:
    client = Client()
    sign_in(client, world.secretary)
    assert "Public site" in client.get(f"/boards/{world.board.pk}/").content.decode()
    page = client.get(f"/boards/{world.board.pk}/public-site/")
    assert page.status_code == 200 and "The public site is <strong>off</strong>" in page.content.decode()
    response = client.post(f"/boards/{world.board.pk}/public-site/", settings_post())
    assert response.status_code == 302
    board = Board.objects.get(pk=world.board.pk)
    assert board.public_site and board.public_part_b == PublicPartB.HIDDEN
    assert board.postage_per_pack == Decimal("3.00") and board.currency_symbol == "€"
    assert Client().get(f"/public/{board.slug}/").status_code == 200
    # And off again: the public site is gone at once.
    client.post(f"/boards/{world.board.pk}/public-site/", settings_post(public_site=None))
    assert Client().get(f"/public/{board.slug}/").status_code == 404


def test_bad_settings_are_a_400_and_change_nothing(world: BoardWorld) -> None:
    client = Client()
    sign_in(client, world.secretary)
    response = client.post(
        f"/boards/{world.board.pk}/public-site/", settings_post(public_part_b="everything", postage_per_pack="lots")
    )
    assert response.status_code == 400
    assert not Board.objects.get(pk=world.board.pk).public_site
    with pytest.raises(Exception, match="negative"):
        services.board_public_settings_update(actor=world.secretary, board=world.board, postage_per_pack=Decimal(-1))


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("observer", 403), ("outsider", 404)])
def test_only_those_who_manage_the_board_change_its_public_site(world: BoardWorld, role: str, status: int) -> None:
    client = Client()
    sign_in(client, getattr(world, role))
    assert client.get(f"/boards/{world.board.pk}/public-site/").status_code == status
    assert client.post(f"/boards/{world.board.pk}/public-site/", settings_post()).status_code == status
    assert not Board.objects.get(pk=world.board.pk).public_site
    with pytest.raises(PermissionDenied):
        services.board_public_settings_update(actor=getattr(world, role), board=world.board, public_site=True)


def test_paper_saved_counts_pages_for_each_member_who_received_them(world: BoardWorld) -> None:
    """Accounts (2 pages) reach chair, secretary, member and observer (the recused member is
    recused from it); Pay review (1 page, Part B) reaches chair, secretary, member and the
    recused member. Five people are seated on the meeting day; the draft meeting counts not."""
    year = selectors.local_start(world.meeting).year
    saved = papersaved.paper_saved(world.board, year)
    assert saved.meetings == 1
    assert saved.pages == 2 * 4 + 1 * 4
    assert saved.sheets == 1 * 4 + 1 * 4  # double-sided
    assert saved.packs == 5
    assert saved.paper_cost == Decimal("0.08")
    assert saved.print_cost == Decimal("0.48")
    assert saved.postage == Decimal("12.50")
    assert saved.total == Decimal("13.06")
    assert papersaved.years(world.board) == [year]
    world.board.print_double_sided = False
    assert papersaved.paper_saved(world.board, year).sheets == 12


def test_paper_saved_is_on_the_dashboard_and_public_only_if_enabled(world: BoardWorld) -> None:
    member = Client()
    sign_in(member, world.member)
    page = member.get(f"/boards/{world.board.pk}/paper-saved/")
    assert page.status_code == 200 and "Pages sent digitally" in page.content.decode()
    outsider = Client()
    sign_in(outsider, world.outsider)
    assert outsider.get(f"/boards/{world.board.pk}/paper-saved/").status_code == 404
    services.board_public_settings_update(actor=world.secretary, board=world.board, public_site=True)
    assert "Paper saved" not in Client().get("/public/riverside/").content.decode()
    services.board_public_settings_update(actor=world.secretary, board=world.board, paper_saved_public=True)
    body = Client().get("/public/riverside/").content.decode()
    assert "Paper saved" in body and "£13.06" in body


def test_paper_saved_takes_four_queries_whatever_the_size(world: BoardWorld, django_assert_num_queries: Any) -> None:
    year = selectors.local_start(world.meeting).year
    with django_assert_num_queries(4):
        papersaved.paper_saved(world.board, year)


# --- the approved-minutes hook ----------------------------------------------------------------


def test_without_approved_minutes_there_is_no_minutes_section(world: BoardWorld) -> None:
    services.board_public_settings_update(actor=world.secretary, board=world.board, public_site=True)
    assert minutes_hook.approved_minutes(world.meeting) is None
    body = Client().get(selectors.meeting_url(world.meeting)).content.decode()
    assert "Approved minutes" not in body


def test_minutes_from_the_minutes_app_are_cut_to_public_items(
    world: BoardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even if the provider hands over a Part B minute, the public page never shows it."""
    import datetime as dt

    provider = types.ModuleType("minutes.public")
    provider.approved_minutes = lambda meeting: {  # type: ignore[attr-defined]
        "approved_on": dt.date(2026, 4, 1),
        "sections": {world.public_item.pk: "The board received the accounts.", world.part_b_item.pk: "Pay: 4 %."},
        "pdf_url": "https://elsewhere.example/minutes.pdf",
    }
    monkeypatch.setitem(sys.modules, "minutes.public", provider)
    monkeypatch.setattr(minutes_hook.apps, "is_installed", lambda name: name == "minutes")
    assert minutes_hook.approved_minutes(world.meeting) is None  # the board is not public yet
    services.board_public_settings_update(actor=world.secretary, board=world.board, public_site=True)
    minutes = minutes_hook.approved_minutes(world.meeting)
    assert minutes is not None
    assert minutes.sections == {world.public_item.pk: "The board received the accounts."}
    assert minutes.pdf_url == ""  # only links into the public site are shown
    body = Client().get(selectors.meeting_url(world.meeting)).content.decode()
    assert "Approved minutes" in body and "The board received the accounts." in body and "Pay: 4 %." not in body


def test_the_minutes_apps_approved_minutes_reach_the_public_page(world: BoardWorld) -> None:
    """Draft minutes stay private; once approved, the public items' minutes are published."""
    from django.utils import timezone

    from minutes.models import MinuteItem, Minutes, MinutesStatus

    services.board_public_settings_update(actor=world.secretary, board=world.board, public_site=True)
    minutes = Minutes.objects.create(meeting=world.meeting)
    MinuteItem.objects.create(
        minutes=minutes, item=world.public_item, body="<p>The board <b>received</b> the accounts.</p>"
    )
    MinuteItem.objects.create(minutes=minutes, item=world.part_b_item, body="<p>Pay rises of 4 %.</p>")
    assert minutes_hook.approved_minutes(world.meeting) is None  # a draft is not published
    Minutes.objects.filter(pk=minutes.pk).update(status=MinutesStatus.APPROVED, approved_at=timezone.now())
    published = minutes_hook.approved_minutes(world.meeting)
    assert published is not None and list(published.sections) == [world.public_item.pk]
    body = Client().get(selectors.meeting_url(world.meeting)).content.decode()
    assert "The board received the accounts." in body and "Pay rises" not in body


def test_the_feed_dates_approved_minutes_when_they_were_approved_never_later(world: BoardWorld) -> None:
    """Approved minutes enter the feeds at the moment of approval, so Last-Modified is never
    in the future (it once said noon of the approval day)."""
    from email.utils import parsedate_to_datetime

    import feedparser
    from django.utils import timezone

    from meetings.models import Meeting, MeetingStatus
    from minutes.models import MinuteItem, Minutes, MinutesStatus

    services.board_public_settings_update(actor=world.secretary, board=world.board, public_site=True)
    Meeting.objects.filter(pk=world.meeting.pk).update(status=MeetingStatus.MINUTED)
    minutes = Minutes.objects.create(meeting=world.meeting)
    MinuteItem.objects.create(minutes=minutes, item=world.public_item, body="<p>Received.</p>")
    approved = timezone.now().replace(microsecond=0)
    Minutes.objects.filter(pk=minutes.pk).update(status=MinutesStatus.APPROVED, approved_at=approved)
    for kind in ("rss", "atom"):
        response = Client().get(f"/public/{world.board.slug}/feed.{kind}")
        feed = feedparser.parse(response.content)
        entry = next(e for e in feed.entries if e.title.startswith("Approved minutes"))
        published = parsedate_to_datetime(response["Last-Modified"])
        assert published <= timezone.now()
        year, month, day, hour, minute, second = entry.published_parsed[:6]
        assert dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC) == approved
