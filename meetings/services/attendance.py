"""Declarations of interest, attendance and quorum."""

from __future__ import annotations

import datetime as dt
import math
import uuid

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from boardroom import audit, policy
from boardroom.policy import Action

from .. import events
from ..models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Declaration,
    Meeting,
    MeetingStatus,
    Membership,
    Role,
)
from ._common import _require

# --- declarations of interest ----------------------------------------------------------------


__all__ = [
    "declaration_record",
    "VOTING_ROLES",
    "voting_member_ids",
    "quorum_state",
    "attendance_mark",
]


@transaction.atomic
def declaration_record(
    *, actor: User, item: AgendaItem, user: User, nature: str, client_id: uuid.UUID | None = None
) -> Declaration:
    """Record that ``user`` has an interest in ``item``: from this moment they are recused from it.

    A member declares for themselves; the chair or secretary may record it for them. The
    item's papers, comments, votes and live events are withheld from the member at once (open
    sockets are told to re-check), and they leave the item's quorum and vote.
    """
    existing = Declaration.objects.filter(item=item, user=user).first()
    if existing is not None:
        return existing
    meeting = item.meeting
    policy.forget(actor)
    for_self = actor.pk == user.pk and policy.can(actor, Action.PARTICIPATE, item)
    on_behalf = policy.can(actor, Action.CHAIR, meeting) or policy.can(actor, Action.MANAGE, meeting)
    if not (for_self or on_behalf):
        raise PermissionDenied("Only the member, the chair or the secretary can record this declaration.")
    if meeting.status not in (MeetingStatus.PUBLISHED, MeetingStatus.LIVE):
        raise ValidationError("Declarations are made before or during the meeting.")
    if not Membership.objects.current().filter(user=user, board_id=meeting.board_id).exists():
        raise ValidationError("Only a member of the board can declare an interest.")
    nature = nature.strip()
    if not nature:
        raise ValidationError("Say what the interest is: it is recorded in the minutes.")
    declaration = Declaration.objects.create(item=item, user=user, nature=nature[:500], recorded_by=actor)
    audit.record(
        "declaration.recorded", actor=actor, obj=declaration, board_id=meeting.board_id, item=item.pk, user=user.pk
    )
    events.event_record(
        meeting=meeting,
        type="declaration.recorded",
        data={"item": item.pk, "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()}},
        actor=actor,
        client_id=client_id,
    )
    policy.forget(user)
    events.access_changed(user.pk)
    return declaration


# --- attendance and quorum -------------------------------------------------------------------

VOTING_ROLES = (Role.CHAIR, Role.MEMBER)


def voting_member_ids(meeting: Meeting) -> set[int]:
    """Members with a vote on the day of the meeting (the chair and members; not the secretary or observers)."""
    day = timezone.localdate(meeting.starts_at)
    seats = Membership.objects.current(on=day).filter(board_id=meeting.board_id, role__in=VOTING_ROLES)
    return set(seats.values_list("user_id", flat=True))


def quorum_state(*, meeting: Meeting, item: AgendaItem | None = None) -> dict[str, object]:
    """How many voting members are in the room against how many the board needs.

    For an item, members recused from it (or from its parent) do not count.
    """
    board = meeting.board
    voting = voting_member_ids(meeting)
    present = set(
        Attendance.objects.filter(
            meeting=meeting,
            user_id__in=voting,
            status__in=(AttendanceStatus.PRESENT, AttendanceStatus.LATE),
            left_at__isnull=True,
        ).values_list("user_id", flat=True)
    )
    eligible = voting
    if item is not None:
        declared_items = [item.pk] + ([item.parent_id] if item.parent_id else [])
        recused = set(Declaration.objects.filter(item_id__in=declared_items).values_list("user_id", flat=True))
        present -= recused
        eligible = voting - recused
    required = board.quorum_members or max(1, math.ceil(len(eligible) * board.quorum_fraction))
    return {
        "item": item.pk if item else None,
        "present": len(present),
        "required": required,
        "voting_members": len(eligible),
        "quorate": len(present) >= required,
    }


@transaction.atomic
def attendance_mark(
    *,
    actor: User,
    meeting: Meeting,
    user: User,
    status: str,
    at: dt.datetime | None = None,
    client_id: uuid.UUID | None = None,
) -> Attendance:
    """The secretary records someone's attendance; quorum is recalculated and sent live."""
    _require(actor, Action.MANAGE, meeting)
    if status not in AttendanceStatus.values:
        raise ValidationError(f"Unknown attendance status {status[:20]!r}.")
    if meeting.status in (MeetingStatus.DRAFT, MeetingStatus.MINUTED):
        raise ValidationError("Attendance is recorded for a published, live or just-closed meeting.")
    if (
        not Membership.objects.current(on=timezone.localdate(meeting.starts_at))
        .filter(user=user, board_id=meeting.board_id)
        .exists()
    ):
        raise ValidationError("That person is not a member of this board.")
    when = at or timezone.now()
    record, _ = Attendance.objects.select_for_update().get_or_create(
        meeting=meeting, user=user, defaults={"status": status, "recorded_by": actor}
    )
    record.status = status
    record.recorded_by = actor
    if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
        record.arrived_at = record.arrived_at or when
        record.left_at = None
    elif status == AttendanceStatus.LEFT_EARLY:
        record.arrived_at = record.arrived_at or meeting.starts_at
        record.left_at = when
    else:
        record.arrived_at = record.left_at = None
    record.save()
    current = meeting.current_item
    events.event_record(
        meeting=meeting,
        type="attendance.updated",
        data={
            "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
            "status": record.status,
            "arrived_at": record.arrived_at.isoformat() if record.arrived_at else None,
            "left_at": record.left_at.isoformat() if record.left_at else None,
            "quorum": quorum_state(meeting=meeting, item=current),
        },
        actor=actor,
        client_id=client_id,
    )
    return record
