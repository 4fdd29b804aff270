"""Meetings as iCalendar: one .ics per meeting, and a private feed per person (a secret URL).

The feed is read by calendar apps without a session, so the secret token stands in for the
person: it lists the meetings the policy lets them see, and only public details (title, time,
place, link) — never item titles or papers. Draft meetings never appear in a feed, not even in a
secretary's: a feed link sits in calendar apps, shared calendars and their sync services, out of
reach of the sign-in, and a draft's date, place and video link are not settled news yet.
"Sign out everywhere" withdraws the token too (see README.md, "Live meetings and security").
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from icalendar import Calendar, Event

from boardroom import policy
from boardroom.models import Account
from boardroom.policy import Action

from .models import Meeting, MeetingStatus


def uid_domain() -> str:
    """The installation's own domain, so meeting UIDs differ between installations."""
    return urlsplit(settings.BOARDROOM_SITE_URL).hostname or "boardroom.invalid"


def new_calendar(name: str, product: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", f"-//Boardroom//{product}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def meeting_event(meeting: Meeting, *, uid: str, link: str, description: str) -> Event:
    """One meeting as a VEVENT: times in the board's zone (a VTIMEZONE is added per calendar),
    a UID unique to this installation and a SEQUENCE that rises with every change of the
    meeting's details, so calendar apps replace the copy they hold."""
    zone = zoneinfo.ZoneInfo(meeting.board.time_zone)
    event = Event()
    event.add("uid", f"{uid}-{meeting.pk}@{uid_domain()}")
    event.add("sequence", meeting.calendar_sequence)
    event.add("summary", f"{meeting.board.name}: {meeting.title}")
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", (meeting.ends_at or meeting.starts_at + dt.timedelta(hours=2)).astimezone(zone))
    event.add("dtstamp", timezone.now())
    event.add("last-modified", meeting.updated_at)
    event.add("url", link)
    if meeting.location:
        event.add("location", meeting.location)
    event.add("description", description)
    return event


def finish(cal: Calendar) -> bytes:
    cal.add_missing_timezones()
    return cal.to_ical()


def _calendar(meetings: Iterable[Meeting], name: str) -> bytes:
    cal = new_calendar(name, "board portal")
    for meeting in meetings:
        link = settings.BOARDROOM_SITE_URL + reverse("meeting", args=[meeting.pk])
        details = [f"Agenda and papers: {link}"]
        if meeting.video_url:
            details.append(f"Video call: {meeting.video_url}")
        event = meeting_event(meeting, uid="meeting", link=link, description="\n".join(details))
        if meeting.status == MeetingStatus.DRAFT:
            event.add("status", "TENTATIVE")
        cal.add_component(event)
    return finish(cal)


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response


def meeting_calendar(meeting: Meeting) -> bytes:
    """One meeting's .ics, as downloaded from its page and attached to notice emails."""
    return _calendar([meeting], meeting.board.name)


def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = policy.get_or_404(request.user, Action.VIEW, Meeting.objects.select_related("board"), pk=pk)
    return _ics(meeting_calendar(meeting), f"{meeting.title}.ics")


def feed_token(user: User, *, renew: bool = False) -> str:
    """The person's feed secret, made on first use; ``renew`` replaces it (the old URL stops working)."""
    account, _ = Account.objects.get_or_create(user=user)
    if renew or not account.calendar_token:
        account.calendar_token = secrets.token_urlsafe(32)
        account.save(update_fields=["calendar_token"])
    return str(account.calendar_token)


def feed_withdraw(user: User) -> None:
    """Stop the person's feed URL working; a new one is made when they next open their security page."""
    Account.objects.filter(user=user).update(calendar_token=None)


def feed(request: HttpRequest, token: str) -> HttpResponse:
    account = Account.objects.filter(calendar_token=token, user__is_active=True).select_related("user").first()
    if account is None or not token:
        raise Http404("No such calendar.")
    person = account.user
    since = timezone.now() - dt.timedelta(days=400)
    meetings = (
        policy.visible(person, Meeting.objects.filter(starts_at__gte=since))
        .exclude(status=MeetingStatus.DRAFT)
        .select_related("board")
        .order_by("starts_at")
    )
    return _ics(_calendar(meetings, "Board meetings"), "board-meetings.ics")
