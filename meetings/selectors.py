"""Reads for boards and meetings. Every queryset here is already narrowed by the policy."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from boardroom import policy
from boardroom.policy import AnyUser
from documents.models import Paper

from .models import AgendaItem, Board, Meeting, Membership, Notice


def boards_for(user: AnyUser) -> QuerySet[Board]:
    return policy.visible(user, Board.objects.all()).order_by("name")


def roles_for(user: AnyUser) -> dict[int, Membership]:
    """The user's membership in force on each board, to show their role."""
    if not user.is_authenticated:
        return {}
    return {m.board_id: m for m in Membership.objects.current().filter(user_id=user.pk)}


def upcoming_meetings_for(user: AnyUser, limit: int = 10) -> QuerySet[Meeting]:
    return (
        policy.visible(user, Meeting.objects.all())
        .filter(starts_at__gte=timezone.now() - dt.timedelta(hours=12))
        .select_related("board")
        .order_by("starts_at")[:limit]
    )


def meetings_of_board(user: AnyUser, board: Board) -> QuerySet[Meeting]:
    return policy.visible(user, Meeting.objects.filter(board=board)).order_by("-starts_at")


def agenda_for(user: AnyUser, meeting: Meeting) -> list[AgendaItem]:
    """The items of ``meeting`` this user may see, in agenda order, with their papers.

    Papers are narrowed by the policy too (a paper still processing, or refused, is for the
    board's managers only). Only the columns the page shows are read.
    """
    papers = (
        policy.visible(user, Paper.objects.filter(item__meeting=meeting))
        .select_related("current_version")
        .only(
            "pk",
            "title",
            "position",
            "item_id",
            "current_version__number",
            "current_version__page_count",
            "current_version__note",
            "current_version__page_diff",
        )
        .order_by("position", "pk")
    )
    items = (
        policy.visible(user, AgendaItem.objects.filter(meeting=meeting))
        .select_related("presenter")
        .only(
            "pk",
            "meeting_id",
            "parent_id",
            "number",
            "sort_key",
            "title",
            "description",
            "purpose",
            "duration_minutes",
            "confidential",
            "presenter_name",
            "presenter__first_name",
            "presenter__last_name",
            "presenter__username",
        )
        .prefetch_related(Prefetch("papers", queryset=papers, to_attr="visible_papers"))
        .order_by("sort_key")
    )
    return list(items)


def seated_people(board: Board) -> list[Membership]:
    """Everyone with a seat on the board today, with their role, in a readable order."""
    return list(
        Membership.objects.current()
        .filter(board=board)
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name")
    )


def has_unread_notices(user: AnyUser, meeting: Meeting) -> bool:
    """Whether ``user`` has notices about ``meeting`` not yet marked read (a read, never a write)."""
    if user.pk is None:
        return False
    return Notice.objects.filter(user_id=user.pk, meeting=meeting, read_at__isnull=True).exists()
