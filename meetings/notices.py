"""Telling people what changed: in-app notices always, email at most every two hours.

Emails say which meeting changed, when and where it is (with its .ics attached) and link to it
at ``BOARDROOM_SITE_URL``; they never carry item titles or paper text (nor
a written resolution's title or text), since email leaves the portal's protection. Every notice
and email goes only to people the policy lets see what it is about, checked again whenever a
notice is shown or an email is sent: a notice about an agenda item that has since become Part B
for the reader, or that they have declared an interest in, is no longer shown (nor emailed).

A notice about one agenda item carries that item, and every check of it goes through the policy.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django_tasks import task

from boardroom import policy
from boardroom.policy import Action

from . import calendar
from .models import AgendaItem, Board, Meeting, Notice, Resolution

log = logging.getLogger(__name__)

EMAIL_GAP = dt.timedelta(hours=2)
EMAIL_ORDER = (
    Notice.Kind.PUBLISHED,
    Notice.Kind.AGENDA_CHANGED,
    Notice.Kind.PAPERS_CHANGED,
    Notice.Kind.MENTIONED,
    Notice.Kind.RESOLUTION_CIRCULATED,
    Notice.Kind.RESOLUTION_DECIDED,
    Notice.Kind.REMINDER,
)
EMAIL_LINES = {
    Notice.Kind.PUBLISHED: "The agenda and papers are ready to read.",
    Notice.Kind.AGENDA_CHANGED: "The agenda has changed.",
    Notice.Kind.PAPERS_CHANGED: "Papers have been added or updated.",
    Notice.Kind.MENTIONED: "Someone mentioned you in a comment.",
    Notice.Kind.RESOLUTION_CIRCULATED: "A written resolution has been circulated for your vote.",
    Notice.Kind.RESOLUTION_DECIDED: "The outcome of a written resolution has been recorded.",
    Notice.Kind.REMINDER: "A reminder: there are papers for this meeting you have not opened yet.",
}


# Notices left before item references existed cannot be checked against their item: those that
# may name one (mentions; paper changes naming an item) are not shown rather than shown unchecked.
UNCHECKABLE = re.compile(r"\bitem\b", re.IGNORECASE)


def notify(
    *, meeting: Meeting, kind: str, text: str, users: Iterable[User], item: AgendaItem | None = None
) -> list[Notice]:
    """Leave a notice for each person and, after commit, send the emails that are due.

    ``item``: the agenda item the notice is about (and names), if any; the notice is then shown
    only while the policy lets the reader see that item.
    """
    notices = Notice.objects.bulk_create(
        [Notice(user=user, meeting=meeting, item=item, kind=kind, text=text[:500]) for user in users if user.is_active]
    )
    if notices:
        meeting_id = meeting.pk
        transaction.on_commit(lambda: send_notice_emails.enqueue(meeting_id))
    return notices


def meeting_published(*, meeting: Meeting, actor: User | None) -> list[Notice]:
    people = policy.audience(meeting)
    if actor is not None:
        people = people.exclude(pk=actor.pk)
    when = timezone.localtime(meeting.starts_at).strftime("%A %-d %B %Y, %H:%M")
    return notify(
        meeting=meeting,
        kind=Notice.Kind.PUBLISHED,
        text=f"The agenda and papers for {meeting.title} ({when}) are ready to read.",
        users=people,
    )


def may_see(user: User, notices: Sequence[Notice]) -> list[Notice]:
    """Those of ``notices`` (all the person's own) whose agenda item ``user`` may see now: one query.

    Notices about a meeting or resolution as a whole pass; the caller has checked those.
    """
    referenced = {notice.item_id for notice in notices if notice.item_id is not None}
    seen = set(policy.visible(user, AgendaItem.objects.filter(pk__in=referenced)).values_list("pk", flat=True))
    shown = []
    for notice in notices:
        if notice.item_id is None:
            if notice.kind in (Notice.Kind.MENTIONED, Notice.Kind.PAPERS_CHANGED) and UNCHECKABLE.search(notice.text):
                continue
        elif notice.item_id not in seen:
            continue
        shown.append(notice)
    return shown


def unread_for(user: User, limit: int = 20) -> list[Notice]:
    """The person's unread notices about meetings (and written resolutions) they may still see,
    and about agenda items they may still see (see ``may_see``), newest first."""
    meetings = policy.visible(user, Meeting.objects.all())
    resolutions = policy.visible(user, Resolution.objects.all())
    unread = (
        Notice.objects.filter(user=user, read_at__isnull=True)
        .filter(Q(meeting__in=meetings) | Q(resolution__in=resolutions))
        .select_related("meeting", "resolution")
        .order_by("-created_at", "-pk")
    )
    shown: list[Notice] = []
    start, batch_size = 0, limit * 2
    while len(shown) < limit:
        batch = list(unread[start : start + batch_size])
        shown += may_see(user, batch)
        if len(batch) < batch_size:
            break
        start += batch_size
    return shown[:limit]


def mark_read(*, user: User, meeting: Meeting | None = None, resolution: Resolution | None = None) -> None:
    about = Q(meeting=meeting) if meeting is not None else Q(resolution=resolution)
    Notice.objects.filter(about, user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- board notices: written resolutions --------------------------------------------------------


def notify_board(*, resolution: Resolution, kind: str, text: str, users: Iterable[User]) -> list[Notice]:
    """A notice about something of a board rather than of one meeting; emails are batched per board."""
    board_id = resolution.board_id
    notices = Notice.objects.bulk_create(
        [
            Notice(user=user, board_id=board_id, resolution=resolution, kind=kind, text=text[:500])
            for user in users
            if user.is_active
        ]
    )
    if notices:
        transaction.on_commit(lambda: send_board_notice_emails.enqueue(board_id))
    return notices


def resolution_circulated(*, resolution: Resolution, users: Iterable[User], deadline: str) -> list[Notice]:
    return notify_board(
        resolution=resolution,
        kind=Notice.Kind.RESOLUTION_CIRCULATED,
        text=f"Written resolution for your vote: {resolution.title}. Vote by {deadline}.",
        users=users,
    )


def resolution_decided(*, resolution: Resolution, actor: User | None) -> list[Notice]:
    """Everyone who may see it hears the outcome (not the person whose action decided it)."""
    people = policy.audience(resolution)
    if actor is not None:
        people = people.exclude(pk=actor.pk)
    outcome = resolution.get_status_display().lower()
    return notify_board(
        resolution=resolution,
        kind=Notice.Kind.RESOLUTION_DECIDED,
        text=f"Written resolution {outcome}: {resolution.title}.",
        users=people,
    )


def send_due_board_emails(board: Board, *, now: dt.datetime | None = None) -> tuple[int, dt.datetime | None]:
    """Email everyone with unsent board notices who has not had a board email in two hours.

    As for meetings, the email names only the board and the kind of news, and links to the
    portal: a resolution's title and text never leave it.
    """
    now = now or timezone.now()
    pending = Notice.objects.filter(board=board, meeting__isnull=True, emailed_at__isnull=True).select_related(
        "user", "resolution"
    )
    by_person: dict[int, list[Notice]] = {}
    for notice in pending:
        by_person.setdefault(notice.user_id, []).append(notice)
    sent, next_due = 0, None
    for notices in by_person.values():
        person = notices[0].user
        policy.forget(person)
        notices = [n for n in notices if n.resolution is not None and policy.can(person, Action.VIEW, n.resolution)]
        if not person.email or not notices:
            continue
        last = Notice.objects.filter(user=person, board=board, meeting__isnull=True).aggregate(last=Max("emailed_at"))
        if last["last"] is not None and now - last["last"] < EMAIL_GAP:
            due = last["last"] + EMAIL_GAP
            next_due = min(next_due or due, due)
            continue
        kinds = {n.kind for n in notices}
        lines = "\n".join(f"• {EMAIL_LINES[kind]}" for kind in EMAIL_ORDER if kind in kinds)
        about = {n.resolution_id for n in notices}
        path = reverse("resolution", args=[about.pop()]) if len(about) == 1 else reverse("board", args=[board.pk])
        body = (
            f"Hello {person.first_name or person.get_username()},\n\n{lines}\n\n"
            f"Open it in Boardroom: {settings.BOARDROOM_SITE_URL}{path}\n\n— Boardroom"
        )
        try:
            send_mail(f"{board.name}: written resolution", body, None, [person.email])
        except OSError:
            log.warning("could not email user %s about board %s; will try again", person.pk, board.pk)
            continue
        Notice.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=now)
        sent += 1
    return sent, next_due


@task()
def send_board_notice_emails(board_id: int) -> int:
    """Background task: send the board emails that are due; queue itself again for the rest."""
    board = Board.objects.filter(pk=board_id).first()
    if board is None:
        return 0
    sent, next_due = send_due_board_emails(board)
    if next_due is not None and send_board_notice_emails.get_backend().supports_defer:
        send_board_notice_emails.using(run_after=next_due).enqueue(board_id)
    return sent


def meeting_facts(meeting: Meeting) -> str:
    """Date, time, place and video link, in the board's time zone, as lines of an email."""
    zone = zoneinfo.ZoneInfo(meeting.board.time_zone)
    starts = meeting.starts_at.astimezone(zone)
    when = f"{starts:%A} {starts.day} {starts:%B %Y}, {starts:%H:%M}"
    if meeting.ends_at:
        when += f" to {meeting.ends_at.astimezone(zone):%H:%M}"
    lines = [f"When: {when} ({meeting.board.time_zone.replace('_', ' ')} time)"]
    if meeting.location:
        lines.append(f"Where: {meeting.location}")
    if meeting.video_url:
        lines.append(f"Video call: {meeting.video_url}")
    return "\n".join(lines)


def _email_due(user: User, meeting: Meeting, now: dt.datetime) -> dt.datetime | None:
    """When this person may next be emailed about this meeting (None: now)."""
    last = Notice.objects.filter(user=user, meeting=meeting).aggregate(last=Max("emailed_at"))["last"]
    if last is not None and now - last < EMAIL_GAP:
        return last + EMAIL_GAP
    return None


def send_due_emails(meeting: Meeting, *, now: dt.datetime | None = None) -> tuple[int, dt.datetime | None]:
    """Email everyone with unsent notices about ``meeting`` who has not been emailed in two hours.

    Returns how many emails went, and when the next batch falls due (if any are waiting).
    """
    now = now or timezone.now()
    meeting = Meeting.objects.select_related("board").get(pk=meeting.pk)  # the status as it is now
    pending = Notice.objects.filter(meeting=meeting, emailed_at__isnull=True).select_related("user")
    by_person: dict[int, list[Notice]] = {}
    for notice in pending:
        by_person.setdefault(notice.user_id, []).append(notice)
    sent, next_due = 0, None
    link = settings.BOARDROOM_SITE_URL + reverse("meeting", args=[meeting.pk])
    # The email stands alone: when and where, and the meeting for the person's calendar. What is
    # in it is what the meeting's .ics holds for anyone who may see the meeting; no item titles.
    facts = meeting_facts(meeting)
    invitation = calendar.meeting_calendar(meeting)
    for notices in by_person.values():
        person = notices[0].user
        policy.forget(person)
        if not person.email or not policy.can(person, Action.VIEW, meeting):
            continue
        notices = may_see(person, notices)
        if not notices:
            continue
        due = _email_due(person, meeting, now)
        if due is not None:
            next_due = min(next_due or due, due)
            continue
        # Only what kind of change, never titles: the notices themselves stay behind the sign-in.
        kinds = {n.kind for n in notices}
        lines = "\n".join(f"• {EMAIL_LINES[kind]}" for kind in EMAIL_ORDER if kind in kinds)
        body = (
            f"Hello {person.first_name or person.get_username()},\n\n{lines}\n\n{facts}\n\n"
            f"Open the meeting: {link}\n\n— Boardroom"
        )
        message = EmailMessage(f"{meeting.board.name}: {meeting.title}", body, None, [person.email])
        message.attach(f"{slugify(meeting.title) or 'meeting'}.ics", invitation, "text/calendar")
        try:
            message.send()
        except OSError:
            log.warning("could not email user %s about meeting %s; will try again", person.pk, meeting.pk)
            continue
        Notice.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=now)
        sent += 1
    return sent, next_due


@task()
def send_notice_emails(meeting_id: int) -> int:
    """Background task: send the emails due for one meeting; queue itself again for the rest."""
    meeting = Meeting.objects.select_related("board").filter(pk=meeting_id).first()
    if meeting is None:
        return 0
    sent, next_due = send_due_emails(meeting)
    if next_due is not None and send_notice_emails.get_backend().supports_defer:
        send_notice_emails.using(run_after=next_due).enqueue(meeting_id)
    return sent
