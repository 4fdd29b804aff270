"""Meetings, their status, and their agendas."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from boardroom import audit
from boardroom.policy import Action

from .. import events
from ..models import (
    AgendaItem,
    Board,
    Meeting,
    MeetingStatus,
    Purpose,
)
from ._common import _require

# --- meetings and agendas --------------------------------------------------------------------


__all__ = [
    "meeting_create",
    "STATUS_FLOW",
    "meeting_advance",
    "meeting_publish",
    "agenda_renumber",
    "agenda_item_add",
]


def meeting_create(
    *,
    actor: User | None,
    board: Board,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    location: str = "",
    video_url: str = "",
) -> Meeting:
    """Create a draft meeting. Only those who manage the board may."""
    _require(actor, Action.MANAGE, board)
    if timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": "A meeting time needs a time zone."})
    meeting = Meeting(
        board=board,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        video_url=video_url,
        status=MeetingStatus.DRAFT,
    )
    meeting.full_clean()
    meeting.save()
    return meeting


# The forward path of a meeting's life; each status may only move to the next.
STATUS_FLOW = {
    MeetingStatus.DRAFT: MeetingStatus.PUBLISHED,
    MeetingStatus.PUBLISHED: MeetingStatus.LIVE,
    MeetingStatus.LIVE: MeetingStatus.CLOSED,
    MeetingStatus.CLOSED: MeetingStatus.MINUTED,
}


@transaction.atomic
def meeting_advance(*, actor: User | None, meeting: Meeting, to: str, client_id: uuid.UUID | None = None) -> Meeting:
    """Move a meeting to its next status: publish (secretary), start and close (chair), minute."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if STATUS_FLOW.get(MeetingStatus(meeting.status)) != to:
        raise ValidationError(f"A {meeting.get_status_display().lower()} meeting cannot become {to}.")
    needed = Action.CHAIR if to in (MeetingStatus.LIVE, MeetingStatus.CLOSED) else Action.PUBLISH
    _require(actor, needed, meeting)
    meeting.status = to
    fields = ["status", "updated_at"]
    if to == MeetingStatus.CLOSED and meeting.current_item_id is not None:
        meeting.current_item = None
        fields.append("current_item")
    meeting.save(update_fields=fields)
    audit.record("meeting.status", actor=actor, obj=meeting, board_id=meeting.board_id, status=to)
    events.event_record(meeting=meeting, type="meeting.status", data={"status": to}, actor=actor, client_id=client_id)
    return meeting


def meeting_publish(*, actor: User | None, meeting: Meeting) -> Meeting:
    return meeting_advance(actor=actor, meeting=meeting, to=MeetingStatus.PUBLISHED)


def agenda_renumber(*, meeting: Meeting) -> None:
    """Number items 1, 2, 2.1, 2.2, 3 … from their order among siblings."""
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
    children: dict[int | None, list[AgendaItem]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    changed: list[AgendaItem] = []

    def walk(parent_id: int | None, prefix: str, key: str) -> None:
        for index, item in enumerate(children.get(parent_id, []), start=1):
            number = f"{prefix}{index}"
            sort_key = f"{key}{index:04d}"
            if (item.number, item.sort_key) != (number, sort_key):
                item.number, item.sort_key = number, sort_key
                changed.append(item)
            walk(item.pk, f"{number}.", f"{sort_key}.")

    walk(None, "", "")
    AgendaItem.objects.bulk_update(changed, ["number", "sort_key"])


@transaction.atomic
def agenda_item_add(
    *,
    actor: User | None,
    meeting: Meeting,
    title: str,
    parent: AgendaItem | None = None,
    purpose: str = Purpose.INFORMATION,
    description: str = "",
    presenter: User | None = None,
    presenter_name: str = "",
    duration_minutes: int = 0,
    confidential: bool = False,
) -> AgendaItem:
    """Append an item at the end of the agenda (or of ``parent``'s sub-items) and renumber."""
    _require(actor, Action.MANAGE, meeting)
    if parent is not None:
        if parent.meeting_id != meeting.pk:
            raise ValidationError({"parent": "The parent item belongs to another meeting."})
        if parent.parent_id is not None:
            raise ValidationError({"parent": "Items nest two levels deep at most."})
        # A sub-item of a Part B item is Part B too.
        confidential = confidential or parent.confidential
    siblings = AgendaItem.objects.filter(meeting=meeting, parent=parent)
    last = siblings.order_by("-position").values_list("position", flat=True).first()
    item = AgendaItem(
        meeting=meeting,
        parent=parent,
        position=(last or 0) + 1,
        title=title,
        purpose=purpose,
        description=description,
        presenter=presenter,
        presenter_name=presenter_name,
        duration_minutes=duration_minutes,
        confidential=confidential,
    )
    item.full_clean()
    item.save()
    agenda_renumber(meeting=meeting)
    item.refresh_from_db(fields=["number", "sort_key"])
    return item
