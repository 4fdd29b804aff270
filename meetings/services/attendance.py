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
from ._common import _require, refusal, status_refusal

# --- declarations of interest ----------------------------------------------------------------


__all__ = [
    "declaration_record",
    "declaration_data",
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
    meeting = item.meeting
    policy.forget(actor)
    on_behalf = policy.can(actor, Action.CHAIR, meeting) or policy.can(actor, Action.MANAGE, meeting)
    existing = Declaration.objects.filter(item=item, user=user).first()
    if existing is not None and (actor.pk == user.pk or on_behalf):
        return existing  # declared already (a retried frame, or a second device)
    for_self = actor.pk == user.pk and policy.can(actor, Action.PARTICIPATE, item)
    if not (for_self or on_behalf):
        if actor.pk == user.pk:
            raise PermissionDenied(refusal(actor, Action.PARTICIPATE, item))
        raise PermissionDenied("Only the chair or the secretary can record a declaration for someone else.")
    if meeting.status not in (MeetingStatus.PUBLISHED, MeetingStatus.LIVE):
        refused = status_refusal(meeting, live_only=False)
        raise ValidationError(refused or "Declarations are made before or during the meeting.")
    if not Membership.objects.current().filter(user=user, board_id=meeting.board_id).exists():
        raise ValidationError("Only a member of the board can declare an interest.")
    if existing is not None:
        raise ValidationError("That member has already declared an interest in this item.")
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
        data=declaration_data(declaration),
        actor=actor,
        client_id=client_id,
    )
    _leave_the_item(meeting, item, user, actor)
    policy.forget(user)
    events.access_changed(user.pk)
    return declaration


def _person(user: User | None) -> dict[str, object] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def declaration_data(declaration: Declaration) -> dict[str, object]:
    """A declaration as the live protocol sends it (docs/live-protocol.md)."""
    return {
        "id": declaration.pk,
        "item": declaration.item_id,
        "user": _person(declaration.user),
        "nature": declaration.nature,
        "recorded_by": _person(declaration.recorded_by),
    }


def _leave_the_item(meeting: Meeting, item: AgendaItem, user: User, actor: User) -> None:
    """A member who has just declared leaves the item's debate: their ballot on an open vote of the
    item (or its sub-items) is withdrawn, and so is their place in its speakers' queue."""
    from ..models import Ballot, Motion, SpeakerRequest

    items = [item.pk, *AgendaItem.objects.filter(parent=item).values_list("pk", flat=True)]
    withdrawn = Ballot.objects.filter(user=user, motion__item_id__in=items, motion__status=Motion.Status.OPEN)
    motions = list(Motion.objects.filter(pk__in=withdrawn.values("motion_id")).select_related("item"))
    withdrawn.delete()
    for motion in motions:
        from .votes import ballots_changed

        ballots_changed(motion=motion, actor=actor)
    active = SpeakerRequest.objects.filter(user=user, item_id__in=items, status__in=SpeakerRequest.ACTIVE)
    touched = set(active.values_list("item_id", flat=True))
    active.update(status=SpeakerRequest.Status.WITHDRAWN, ended_at=timezone.now())
    for item_id in sorted(touched):
        from .debate import speakers_changed

        speakers_changed(meeting=meeting, item=AgendaItem.objects.get(pk=item_id), actor=actor)


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
