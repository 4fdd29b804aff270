"""Written resolutions on the home and board pages, and deadlines shown in the board's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import template
from django.utils import dateformat, timezone

from boardroom import policy
from boardroom.policy import Action

from .. import resolutions
from ..models import Board, ResolutionStatus

register = template.Library()

# Status badges reuse the meeting badge colours: open is the accent, passed is green.
BADGES = {
    ResolutionStatus.DRAFT: "status-draft",
    ResolutionStatus.CIRCULATED: "status-published",
    ResolutionStatus.PASSED: "status-live",
}


def _local(value: dt.datetime, board: Board) -> dt.datetime:
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(board.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    return timezone.localtime(value, zone)


@register.filter
def board_time(value: dt.datetime | None, board: Board) -> str:
    """``Friday 5 December 2026, 17:00 GMT (Europe/London)``: a time as the board's members read it."""
    if value is None:
        return ""
    return f"{dateformat.format(_local(value, board), 'l j F Y, H:i T')} ({board.time_zone})"


@register.filter
def board_time_short(value: dt.datetime | None, board: Board) -> str:
    """``Fri 5 Dec 2026, 17:00 GMT``: for lists and tables, where the zone's name is said once nearby."""
    if value is None:
        return ""
    return dateformat.format(_local(value, board), "D j M Y, H:i T")


@register.filter
def resolution_badge(status: str) -> str:
    return BADGES.get(ResolutionStatus(status), "")


@register.inclusion_tag("meetings/_resolutions_home.html", takes_context=True)
def home_resolutions(context: dict[str, Any]) -> dict[str, Any]:
    """Open resolutions the person may see, theirs to vote on first."""
    user = context["request"].user
    open_ones = [r for r in resolutions.visible_resolutions(user) if r.is_open]
    open_ones.sort(key=lambda r: not resolutions.awaits_vote(r))
    return {"resolutions": open_ones}


@register.inclusion_tag("meetings/_resolutions_board.html", takes_context=True)
def board_resolutions(context: dict[str, Any], board: Board) -> dict[str, Any]:
    user = context["request"].user
    return {
        "board": board,
        "resolutions": resolutions.visible_resolutions(user, board=board),
        "can_manage": policy.can(user, Action.MANAGE, board),
    }
