"""The secretary's agenda builder: edit, reorder, nest, standing items, cloning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings import services
from meetings.models import AgendaItem, Meeting, MeetingEvent
from tests.conftest import BoardWorld


def _numbers(meeting: Meeting) -> list[tuple[str, str]]:
    return list(AgendaItem.objects.filter(meeting=meeting).order_by("sort_key").values_list("number", "title"))


@pytest.fixture
def agenda(world: BoardWorld) -> Meeting:
    meeting = services.meeting_create(
        actor=world.secretary, board=world.board, title="June", starts_at=timezone.now() + dt.timedelta(days=20)
    )
    for title in ("A", "B", "C"):
        services.agenda_item_add(actor=world.secretary, meeting=meeting, title=title)
    b = AgendaItem.objects.get(meeting=meeting, title="B")
    services.agenda_item_add(actor=world.secretary, meeting=meeting, title="B1", parent=b)
    services.agenda_item_add(actor=world.secretary, meeting=meeting, title="B2", parent=b)
    return meeting


def test_moves_up_down_in_and_out_renumber(world: BoardWorld, agenda: Meeting) -> None:
    item = {i.title: i for i in AgendaItem.objects.filter(meeting=agenda)}
    services.agenda_move(actor=world.secretary, item=item["C"], direction="up")
    assert _numbers(agenda) == [("1", "A"), ("2", "C"), ("3", "B"), ("3.1", "B1"), ("3.2", "B2")]
    services.agenda_move(actor=world.secretary, item=item["B2"], direction="up")
    assert _numbers(agenda)[3:] == [("3.1", "B2"), ("3.2", "B1")]
    services.agenda_move(actor=world.secretary, item=item["C"], direction="in")
    assert _numbers(agenda)[:3] == [("1", "A"), ("1.1", "C"), ("2", "B")]
    services.agenda_move(actor=world.secretary, item=item["B2"], direction="out")
    assert _numbers(agenda) == [("1", "A"), ("1.1", "C"), ("2", "B"), ("2.1", "B1"), ("3", "B2")]
    with pytest.raises(ValidationError):
        services.agenda_move(actor=world.secretary, item=item["B"], direction="in")  # B has sub-items


def test_a_whole_new_order_is_checked_before_anything_moves(world: BoardWorld, agenda: Meeting) -> None:
    item = {i.title: i.pk for i in AgendaItem.objects.filter(meeting=agenda)}
    before = _numbers(agenda)
    bad_orders = [
        [{"id": item["A"], "parent": None}],  # items missing
        [
            {"id": item["B1"], "parent": item["B"]},
            {"id": item["B"], "parent": None},
            {"id": item["A"], "parent": None},
            {"id": item["C"], "parent": None},
            {"id": item["B2"], "parent": item["B"]},
        ],  # child before parent
        [
            {"id": item["A"], "parent": None},
            {"id": item["B"], "parent": item["A"]},
            {"id": item["B1"], "parent": item["B"]},
            {"id": item["B2"], "parent": item["B"]},
            {"id": item["C"], "parent": None},
        ],  # three levels
        [{"id": "x"}],
    ]
    for order in bad_orders:
        with pytest.raises(ValidationError):
            services.agenda_reorder(actor=world.secretary, meeting=agenda, order=order)  # type: ignore[arg-type]
        assert _numbers(agenda) == before
    good = [{"id": item[t], "parent": None} for t in ("C", "A")] + [
        {"id": item["B"], "parent": None},
        {"id": item["B2"], "parent": item["B"]},
        {"id": item["B1"], "parent": item["B"]},
    ]
    services.agenda_reorder(actor=world.secretary, meeting=agenda, order=good)  # type: ignore[arg-type]
    assert _numbers(agenda) == [("1", "C"), ("2", "A"), ("3", "B"), ("3.1", "B2"), ("3.2", "B1")]


def test_part_b_carries_down_to_sub_items(world: BoardWorld, agenda: Meeting) -> None:
    b = AgendaItem.objects.get(meeting=agenda, title="B")
    services.agenda_item_update(actor=world.secretary, item=b, confidential=True)
    assert set(AgendaItem.objects.filter(parent=b).values_list("confidential", flat=True)) == {True}
    child = services.agenda_item_add(actor=world.secretary, meeting=agenda, title="B3", parent=b)
    assert child.confidential


def test_standing_items_are_added_once(world: BoardWorld, agenda: Meeting) -> None:
    added = services.agenda_add_standing_items(actor=world.secretary, meeting=agenda)
    assert len(added) == len(services.DEFAULT_STANDING_ITEMS)
    assert services.agenda_add_standing_items(actor=world.secretary, meeting=agenda) == []


def test_cloning_copies_items_and_nesting_not_papers(world: BoardWorld, agenda: Meeting) -> None:
    copies = services.agenda_clone(actor=world.secretary, meeting=agenda, source=world.meeting)
    assert [c.title for c in copies] == ["Finance report", "Chief executive's pay"]
    assert copies[1].confidential and not copies[0].papers.exists()
    with pytest.raises(PermissionDenied):
        services.agenda_clone(actor=world.secretary, meeting=agenda, source=world.other_meeting)


def test_members_cannot_build_and_closed_meetings_are_frozen(world: BoardWorld, agenda: Meeting) -> None:
    a = AgendaItem.objects.get(meeting=agenda, title="A")
    with pytest.raises(PermissionDenied):
        services.agenda_item_update(actor=world.member, item=a, title="Mine")
    services.meeting_publish(actor=world.secretary, meeting=agenda)
    services.meeting_advance(actor=world.chair, meeting=agenda, to="live")
    services.meeting_advance(actor=world.chair, meeting=agenda, to="closed")
    agenda.refresh_from_db()
    with pytest.raises(ValidationError):
        services.agenda_item_update(actor=world.secretary, item=a, title="Too late")


def test_changes_after_publishing_reach_members_live(world: BoardWorld, agenda: Meeting) -> None:
    services.meeting_publish(actor=world.secretary, meeting=agenda)
    a = AgendaItem.objects.get(meeting=agenda, title="A")
    services.agenda_item_update(actor=world.secretary, item=a, title="A, revised")
    assert MeetingEvent.objects.filter(meeting=agenda, type="agenda.changed").exists()
    with pytest.raises(ValidationError):
        services.agenda_item_update(actor=world.secretary, item=a, number="99")
