"""Shared checks for the services, and refusals a person understands.

A refused live command is shown to the person who sent it (docs/live-protocol.md, "Refusals"),
so each refusal says why in a plain sentence: the meeting is closed, they declared an interest,
only the chair does that.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from boardroom import policy
from boardroom.policy import Action

from ..models import AgendaItem, Board, Meeting, MeetingStatus

# Refusals shared by the live commands.
MEETING_CLOSED = "The meeting is closed."
MEETING_NOT_STARTED = "The meeting has not started."
MEETING_NOT_PUBLISHED = "The meeting has not been published yet."
MEETING_ADJOURNED = "The meeting is adjourned."
DECLARED = "You declared an interest in this item."
ONLY_CHAIR = "Only the chair can do that."
ONLY_CHAIR_OR_SECRETARY = "Only the chair or the secretary can do that."
ONLY_MEMBERS = "Only members of the board can do that; observers follow the meeting."
CONFIDENTIAL = "This item is confidential (Part B)."


def _meeting_of(obj: object) -> Meeting | None:
    if isinstance(obj, Meeting):
        return obj
    if isinstance(obj, AgendaItem):
        return obj.meeting
    return None


def status_refusal(meeting: Meeting, *, live_only: bool = True) -> str | None:
    """Why nothing live can happen in ``meeting`` now, or None if it is in progress.

    With ``live_only`` false a published meeting is accepted too (declarations, comments).
    """
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.MINUTED):
        return MEETING_CLOSED
    if meeting.status == MeetingStatus.DRAFT:
        return MEETING_NOT_PUBLISHED
    if meeting.status == MeetingStatus.PUBLISHED and live_only:
        return MEETING_NOT_STARTED
    return None


def refusal(actor: User | None, action: Action, obj: object) -> str:
    """The reason ``actor`` may not do ``action`` to ``obj``, as a sentence for them."""
    held: frozenset[str] = frozenset()
    recused: frozenset[int] = frozenset()
    if actor is not None:
        access = policy.access_for(actor)
        try:
            held = access.on(policy.board_id_of(obj))  # type: ignore[arg-type]
        except TypeError:
            held = frozenset()
        recused = access.recused
    if policy.VIEW_BOARD not in held:
        return "You are not a member of this board."
    if isinstance(obj, AgendaItem):
        if obj.pk in recused:
            return DECLARED
        if obj.confidential and policy.VIEW_CONFIDENTIAL not in held:
            return CONFIDENTIAL
    if action == Action.CHAIR:
        return ONLY_CHAIR
    if action in (Action.MANAGE, Action.PUBLISH):
        return ONLY_CHAIR_OR_SECRETARY
    if action == Action.PARTICIPATE:
        if policy.PARTICIPATE not in held:
            return ONLY_MEMBERS
        meeting = _meeting_of(obj)
        if meeting is not None:
            return status_refusal(meeting, live_only=False) or "You may not take part in this meeting."
    return "You may not do that here."


def _require(actor: User | None, action: Action, obj: object) -> None:
    if actor is None or not policy.can(actor, action, obj):  # type: ignore[arg-type]
        raise PermissionDenied(refusal(actor, action, obj))


def _require_board_admin(actor: User | None, board: Board | None) -> None:
    """Board set-up is for the board's secretary or chair, or a staff administrator."""
    if actor is not None and policy.may_administer_boards(actor):
        return
    if board is None:
        raise PermissionDenied("Only an administrator may create boards.")
    _require(actor, Action.MANAGE, board)
