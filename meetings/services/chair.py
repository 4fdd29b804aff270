"""The chair's controls during a meeting, and presence."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from boardroom import policy
from boardroom.policy import Action
from documents.models import Paper

from .. import events
from ..models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    Presence,
)
from ._common import _require

# --- the chair's controls --------------------------------------------------------------------


__all__ = [
    "meeting_set_current_item",
    "presenter_show_page",
    "PRESENCE_STALE_AFTER",
    "presence_snapshot",
    "presence_join",
    "presence_touch",
    "presence_leave",
]


@transaction.atomic
def meeting_set_current_item(
    *, actor: User, meeting: Meeting, item: AgendaItem | None, client_id: uuid.UUID | None = None
) -> Meeting:
    """The chair moves the meeting to ``item`` (or to none); members' screens follow.

    The event names only the item's id: members who may not see that item (Part B, recusal)
    learn only that the meeting is on an item they cannot open.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if events.event_for_client_id(actor, client_id) is not None:
        return meeting
    _require(actor, Action.CHAIR, meeting)
    if meeting.status != MeetingStatus.LIVE:
        raise ValidationError("Start the meeting before moving through the agenda.")
    if item is not None and item.meeting_id != meeting.pk:
        raise ValidationError("That item is on another meeting's agenda.")
    meeting.current_item = item
    meeting.save(update_fields=["current_item", "updated_at"])
    events.event_record(
        meeting=meeting,
        type="meeting.current_item",
        data={"item": item.pk if item else None},
        actor=actor,
        client_id=client_id,
    )
    return meeting


@transaction.atomic
def presenter_show_page(*, actor: User, paper: Paper, page: int, client_id: uuid.UUID | None = None) -> dict[str, int]:
    """The presenter (chair, secretary or the item's presenter) shows a page; followers' readers go there."""
    item = paper.item
    meeting = item.meeting
    if events.event_for_client_id(actor, client_id) is not None:
        return {"paper": paper.pk, "page": page}
    may_present = (
        policy.can(actor, Action.CHAIR, meeting)
        or policy.can(actor, Action.MANAGE, meeting)
        or (item.presenter_id == actor.pk and policy.can(actor, Action.VIEW, item))
    )
    if not may_present:
        raise PermissionDenied("Only the chair, the secretary or the item's presenter can present.")
    if meeting.status != MeetingStatus.LIVE:
        raise ValidationError("Presenting is for a meeting in progress.")
    version = paper.current_version
    if version is None or not 1 <= page <= version.page_count:
        raise ValidationError("That page is not in the paper.")
    data = {"paper": paper.pk, "page": page, "item": item.pk, "presenter": actor.pk}
    events.event_record(meeting=meeting, type="presenter.page", data=data, actor=actor, item=item, client_id=client_id)
    return data


# --- presence --------------------------------------------------------------------------------

PRESENCE_STALE_AFTER = dt.timedelta(minutes=2)


def presence_snapshot(*, meeting_id: int) -> list[dict[str, object]]:
    """Who is connected to the meeting now, with how many devices each."""
    fresh = Presence.objects.filter(meeting_id=meeting_id, seen_at__gte=timezone.now() - PRESENCE_STALE_AFTER)
    people: dict[int, dict[str, object]] = {}
    for presence in fresh.select_related("user").order_by("user__last_name", "user__first_name", "pk"):
        entry = people.setdefault(
            presence.user_id,
            {
                "id": presence.user_id,
                "name": presence.user.get_full_name() or presence.user.get_username(),
                "devices": [],
            },
        )
        entry["devices"].append(presence.device or "device")  # type: ignore[attr-defined]
    return list(people.values())


def presence_join(
    *, user: User, meeting_id: int, channel_name: str, device: str, snapshot: bool = True
) -> list[dict[str, object]]:
    """Record a socket as present; with ``snapshot``, return who is online now (the caller may
    leave that to a later, throttled snapshot: it reads every present socket of the meeting)."""
    Presence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"meeting_id": meeting_id, "user": user, "device": device[:60], "seen_at": timezone.now()},
    )
    return presence_snapshot(meeting_id=meeting_id) if snapshot else []


def presence_touch(*, channel_name: str) -> None:
    Presence.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def presence_leave(*, meeting_id: int, channel_name: str) -> list[dict[str, object]]:
    Presence.objects.filter(channel_name=channel_name).delete()
    return presence_snapshot(meeting_id=meeting_id)
