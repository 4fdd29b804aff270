"""iCalendar as calendar apps need it: an update replaces the event (SEQUENCE), times carry the
board's zone with its VTIMEZONE, and UIDs belong to this installation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client, override_settings
from icalendar import Calendar

from meetings.services import agenda
from tests.auth import sign_in
from tests.conftest import BoardWorld


def _event(client: Client, url: str) -> tuple[Calendar, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


@pytest.mark.django_db
@override_settings(BOARDROOM_SITE_URL="https://board.riverside.example")
def test_moving_a_meeting_raises_its_sequence_and_keeps_its_uid(world: BoardWorld) -> None:
    client = sign_in(Client(), world.member)
    url = f"/meetings/{world.meeting.pk}/calendar.ics"
    _, before = _event(client, url)
    assert str(before["uid"]) == f"meeting-{world.meeting.pk}@board.riverside.example"
    agenda.meeting_update(
        actor=world.secretary, meeting=world.meeting, starts_at=world.meeting.starts_at + dt.timedelta(days=7)
    )
    _, after = _event(client, url)
    assert after["uid"] == before["uid"]
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    # Saving the same details again is no change: calendar apps are not asked to update.
    world.meeting.refresh_from_db()
    agenda.meeting_update(actor=world.secretary, meeting=world.meeting, location=world.meeting.location)
    _, same = _event(client, url)
    assert int(same["sequence"]) == int(after["sequence"])


@pytest.mark.django_db
def test_times_carry_the_boards_zone_and_its_vtimezone(world: BoardWorld) -> None:
    calendar, event = _event(sign_in(Client(), world.member), f"/meetings/{world.meeting.pk}/calendar.ics")
    tzid = event["dtstart"].params["TZID"]
    assert tzid == world.board.time_zone
    zones = [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")]
    assert zones == [tzid]
    assert event.decoded("dtstart") == world.meeting.starts_at.replace(microsecond=0)
