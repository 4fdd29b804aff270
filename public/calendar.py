"""The public iCalendar: a board's public meetings, with their public page as the link.

Unlike the members' calendar (``meetings.calendar``) it carries no video link (that is for
members) and points at the public pages.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from meetings.calendar import finish, meeting_event, new_calendar
from meetings.models import Board, Meeting

from . import selectors


def public_calendar(meetings: Iterable[Meeting], board: Board) -> bytes:
    cal = new_calendar(f"{board.name}: public meetings", "public meetings")
    cal.add("x-wr-timezone", board.time_zone)
    for meeting in meetings:
        link = settings.BOARDROOM_SITE_URL + selectors.meeting_url(meeting)
        cal.add_component(
            meeting_event(
                meeting, uid="public-meeting", link=link, description=f"Agenda, public papers and decisions: {link}"
            )
        )
    return finish(cal)


def ics_response(meetings: Iterable[Meeting], board: Board, filename: str, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(public_calendar(meetings, board), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=attachment, filename=filename) or "inline"
    )
    return response
