"""Date and time fields reach the browser in the only format ``<input type="date|time">`` reads.

With the site's en-GB locale Django would render 15/12/2026, which a date input shows as
empty (and then refuses to submit until the date is typed again)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.test import Client

from meetings.models import Meeting
from meetings.services import resolutions as resolution_services
from tests.auth import sign_in
from tests.conftest import BoardWorld


def _value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    assert value, f"input {name} has no value"
    return value.group(1)


@pytest.mark.django_db
def test_meeting_details_form_shows_iso_date_and_24_hour_times(world: BoardWorld) -> None:
    meeting = world.meeting
    zone = zoneinfo.ZoneInfo(world.board.time_zone)
    starts = dt.datetime(2026, 12, 15, 18, 30, tzinfo=zone)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=starts, ends_at=starts + dt.timedelta(hours=2))
    html = sign_in(Client(), world.secretary).get(f"/meetings/{meeting.pk}/details/").content.decode()
    assert _value(html, "date") == "2026-12-15"
    assert _value(html, "starts") == "18:30"
    assert _value(html, "ends") == "20:30"


@pytest.mark.django_db
def test_saving_the_details_form_unchanged_keeps_the_date(world: BoardWorld) -> None:
    meeting = world.meeting
    client = sign_in(Client(), world.secretary)
    html = client.get(f"/meetings/{meeting.pk}/details/").content.decode()
    fields = {name: _value(html, name) for name in ("title", "date", "starts")}
    before = Meeting.objects.get(pk=meeting.pk).starts_at
    response = client.post(f"/meetings/{meeting.pk}/details/", fields)
    assert response.status_code in (302, 303), response.content[:500]
    assert Meeting.objects.get(pk=meeting.pk).starts_at == before.replace(second=0, microsecond=0)


@pytest.mark.django_db
def test_resolution_deadline_shows_iso_date(world: BoardWorld) -> None:
    zone = zoneinfo.ZoneInfo(world.board.time_zone)
    resolution = resolution_services.resolution_draft(
        actor=world.secretary,
        board=world.board,
        title="Adopt the reserves policy",
        text="That the reserves policy be adopted.",
        deadline=dt.datetime(2026, 12, 15, 17, 0, tzinfo=zone),
    )
    html = sign_in(Client(), world.secretary).get(f"/resolutions/{resolution.pk}/edit/").content.decode()
    assert _value(html, "deadline_date") == "2026-12-15"
    assert _value(html, "deadline_time") == "17:00"
