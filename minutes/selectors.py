"""Reads for minutes, actions and the archive, already narrowed by the policy."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from boardroom import policy
from boardroom.policy import AnyUser
from documents.models import Paper
from meetings.models import Board, Meeting, MeetingStatus

from . import record
from .models import OPEN_ACTION_STATUSES, ActionItem, Decision, MinuteItem, Minutes, MinutesRender, MinutesStatus


def entries_for(user: AnyUser, minutes: Minutes) -> list[MinuteItem]:
    """The item minutes ``user`` may see, in agenda order, with decisions and actions."""
    return list(
        policy.visible(user, MinuteItem.objects.filter(minutes=minutes))
        .select_related("item", "updated_by")
        .prefetch_related("decisions", "actions__owner")
        .order_by("item__sort_key")
    )


def record_for(minutes: Minutes, entries: list[MinuteItem]) -> dict[str, Any]:
    """The auto-filled record, with declarations and votes only for the items shown."""
    full = record.record_of(minutes)
    shown = {entry.item_id for entry in entries}
    by_item_decl: dict[int, list[dict[str, Any]]] = defaultdict(list)
    by_item_vote: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for declaration in full.get("declarations", []):
        if declaration["item"] in shown:
            by_item_decl[declaration["item"]].append(declaration)
    for vote in full.get("votes", []):
        if vote["item"] in shown:
            by_item_vote[vote["item"]].append({**vote, "line": record.vote_line(vote)})
    for entry in entries:
        entry.auto_declarations = by_item_decl.get(entry.item_id, [])  # type: ignore[attr-defined]
        entry.auto_votes = by_item_vote.get(entry.item_id, [])  # type: ignore[attr-defined]
    return {
        "attendance": full.get("attendance", {}),
        "quorum": full.get("quorum", {}),
        "declarations": [d for item in by_item_decl.values() for d in item],
    }


def open_actions(user: AnyUser, *, board: Board | None = None, owner_id: int | None = None) -> QuerySet[ActionItem]:
    actions = policy.visible(user, ActionItem.objects.filter(status__in=OPEN_ACTION_STATUSES))
    if board is not None:
        actions = actions.filter(board=board)
    if owner_id is not None:
        actions = actions.filter(owner_id=owner_id)
    return actions.select_related("owner", "entry__item", "entry__minutes__meeting__board").order_by("due", "pk")


def matters_arising(user: AnyUser, meeting: Meeting) -> list[ActionItem]:
    """Open actions of the board's earlier meetings: carried into this meeting's matters arising."""
    return list(
        open_actions(user, board=meeting.board).filter(entry__minutes__meeting__starts_at__lt=meeting.starts_at)
    )


def archive(user: AnyUser, *, board_id: int | None = None, year: int | None = None) -> dict[str, Any]:
    """Past meetings the user may see, by year, with their minutes, renders and decisions."""
    meetings = policy.visible(user, Meeting.objects.all()).filter(
        Q(starts_at__lt=timezone.now()) | Q(status__in=(MeetingStatus.CLOSED, MeetingStatus.MINUTED))
    )
    years = sorted({d.year for d in meetings.dates("starts_at", "year")}, reverse=True)
    if board_id is not None:
        meetings = meetings.filter(board_id=board_id)
    if year is not None:
        start = timezone.make_aware(dt.datetime(year, 1, 1))
        meetings = meetings.filter(starts_at__gte=start, starts_at__lt=start.replace(year=year + 1))
    rows = list(meetings.select_related("board").order_by("-starts_at")[:200])
    ids = [m.pk for m in rows]
    # Only the papers this reader may see count (an observer's count leaves Part B out).
    paper_counts = dict(
        policy.visible(user, Paper.objects.filter(item__meeting_id__in=ids))
        .values("item__meeting_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("item__meeting_id", "n")
    )
    minutes = {m.meeting_id: m for m in policy.visible(user, Minutes.objects.filter(meeting_id__in=ids))}
    rendered = set(
        MinutesRender.objects.filter(minutes__meeting_id__in=ids).values_list("minutes__meeting_id", flat=True)
    )
    decisions: dict[int, list[Decision]] = defaultdict(list)
    visible_decisions = policy.visible(
        user,
        Decision.objects.filter(entry__minutes__meeting_id__in=ids).exclude(entry__minutes__status=MinutesStatus.DRAFT),
    ).select_related("entry__item", "entry__minutes")
    for decision in visible_decisions.order_by("entry__item__sort_key", "position"):
        decisions[decision.entry.minutes.meeting_id].append(decision)
    by_year: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in rows:
        meeting.paper_count = paper_counts.get(meeting.pk, 0)  # type: ignore[attr-defined]
        meeting.archive_minutes = minutes.get(meeting.pk)  # type: ignore[attr-defined]
        meeting.archive_pdf = meeting.pk in rendered  # type: ignore[attr-defined]
        meeting.archive_decisions = decisions.get(meeting.pk, [])  # type: ignore[attr-defined]
        by_year[timezone.localtime(meeting.starts_at).year].append(meeting)
    return {"years": years, "by_year": sorted(by_year.items(), reverse=True)}
