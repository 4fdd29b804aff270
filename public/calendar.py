"""The public iCalendar: a board's public meetings, with their public page as the link.

Unlike the members' calendar (``meetings.calendar``) it carries no video link (that is for
members) and points at the public pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from icalendar import Calendar, Event

from meetings.models import Board, Meeting

from . import selectors


def public_calendar(meetings: Iterable[Meeting], board: Board) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Boardroom//public meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{board.name}: public meetings")
    cal.add("x-wr-timezone", board.time_zone)
    for meeting in meetings:
        link = settings.BOARDROOM_SITE_URL + selectors.meeting_url(meeting)
        event = Event()
        event.add("uid", f"public-meeting-{meeting.pk}@boardroom")
        event.add("summary", f"{board.name}: {meeting.title}")
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.ends_at or meeting.starts_at + dt.timedelta(hours=2))
        event.add("dtstamp", meeting.updated_at)
        event.add("last-modified", meeting.updated_at)
        event.add("url", link)
        if meeting.location:
            event.add("location", meeting.location)
        event.add("description", f"Agenda, public papers and decisions: {link}")
        cal.add_component(event)
    return cal.to_ical()


def ics_response(meetings: Iterable[Meeting], board: Board, filename: str, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(public_calendar(meetings, board), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=attachment, filename=filename) or "inline"
    )
    return response
