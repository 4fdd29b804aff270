"""Links to the minutes, actions, archive and search from the meeting, board and home pages."""

from __future__ import annotations

from typing import Any

from django import template

from boardroom import policy
from boardroom.policy import Action
from meetings.models import Board, Meeting
from minutes import selectors
from minutes.models import Minutes
from minutes.services import TAKEN_WHILE

register = template.Library()


@register.inclusion_tag("minutes/_meeting_link.html", takes_context=True)
def minutes_link(context: dict[str, Any], meeting: Meeting) -> dict[str, Any]:
    """A "Minutes" button where the user may open them (or, managing the board, start them)."""
    user = context["request"].user
    minutes = Minutes.objects.filter(meeting=meeting).first()
    shown = (minutes is not None and policy.can(user, Action.VIEW, minutes)) or (
        meeting.status in TAKEN_WHILE and policy.can(user, Action.MANAGE, meeting)
    )
    return {"meeting": meeting, "shown": shown, "signed": minutes is not None and minutes.locked}


@register.inclusion_tag("minutes/_board_links.html", takes_context=True)
def board_links(context: dict[str, Any], board: Board | None = None) -> dict[str, Any]:
    """Open actions, the archive and search; on a board page with the open and overdue counts (the
    home page stays within its query budget: its link carries no count)."""
    user = context["request"].user
    actions = list(selectors.open_actions(user, board=board)) if board is not None and user.is_authenticated else []
    return {
        "board": board,
        "open_count": len(actions),
        "overdue_count": sum(1 for a in actions if a.overdue),
        "mine_count": sum(1 for a in actions if a.owner_id == user.pk),
    }
