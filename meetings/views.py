from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from boardroom import policy
from boardroom.policy import Action

from . import selectors
from .models import Board, Meeting


@login_required
def home(request: HttpRequest) -> HttpResponse:
    boards = list(selectors.boards_for(request.user))
    roles = selectors.roles_for(request.user)
    for board in boards:
        board.my_membership = roles.get(board.pk)  # type: ignore[attr-defined]
    meetings = list(selectors.upcoming_meetings_for(request.user))
    return render(
        request,
        "meetings/home.html",
        {"boards": boards, "meetings": meetings, "next_meeting": meetings[0] if meetings else None},
    )


@login_required
def board_detail(request: HttpRequest, pk: int) -> HttpResponse:
    board = policy.get_or_404(request.user, Action.VIEW, Board.objects.all(), pk=pk)
    meetings = list(selectors.meetings_of_board(request.user, board))
    # Soonest first for what is ahead; most recent first for what is behind.
    upcoming = [m for m in reversed(meetings) if m.is_upcoming]
    past = [m for m in meetings if not m.is_upcoming]
    return render(
        request,
        "meetings/board.html",
        {
            "board": board,
            "meetings": meetings,
            "upcoming": upcoming,
            "past": past,
            "can_manage": policy.can(request.user, Action.MANAGE, board),
        },
    )


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = policy.get_or_404(request.user, Action.VIEW, Meeting.objects.select_related("board"), pk=pk)
    items = selectors.agenda_for(request.user, meeting)
    total_minutes = sum(item.duration_minutes for item in items)
    return render(
        request,
        "meetings/meeting.html",
        {
            "meeting": meeting,
            "board": meeting.board,
            "items": items,
            "total_minutes": total_minutes,
            "can_manage": policy.can(request.user, Action.MANAGE, meeting),
        },
    )
