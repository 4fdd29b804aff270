"""The chair's controls during a meeting, and presence."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from boardroom import audit, policy
from boardroom.policy import Action
from documents.models import Paper

from .. import events
from ..models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    Motion,
    Presence,
)
from ._common import _require, refusal, status_refusal

# --- the chair's controls --------------------------------------------------------------------


__all__ = [
    "meeting_set_current_item",
    "adjourned_data",
    "meeting_adjourn",
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
    refused = status_refusal(meeting)
    if refused:
        raise ValidationError(refused)
    if item is not None and item.meeting_id != meeting.pk:
        raise ValidationError("That item is on another meeting's agenda.")
    if item is None or item.pk != meeting.current_item_id or meeting.current_since is None:
        # The item timer starts when an item becomes current (choosing the same item again keeps it).
        meeting.current_since = timezone.now() if item is not None else None
    meeting.current_item = item
    meeting.save(update_fields=["current_item", "current_since", "updated_at"])
    events.event_record(
        meeting=meeting,
        type="meeting.current_item",
        data={"item": item.pk if item else None, "since": meeting.current_since},
        actor=actor,
        client_id=client_id,
    )
    return meeting


def adjourned_data(meeting: Meeting) -> dict[str, object] | None:
    """``{"since", "by"}`` while a live meeting is adjourned, else None (docs/live-protocol.md)."""
    if meeting.status != MeetingStatus.LIVE or meeting.adjourned_at is None:
        return None
    by = meeting.adjourned_by
    return {
        "since": meeting.adjourned_at,
        "by": {"id": by.pk, "name": by.get_full_name() or by.get_username()} if by is not None else None,
    }


@transaction.atomic
def meeting_adjourn(
    *, actor: User, meeting: Meeting, adjourn: bool = True, client_id: uuid.UUID | None = None
) -> Meeting:
    """The chair adjourns a live meeting for a while (``adjourn``) or resumes it.

    The meeting stays live: the agenda, comments and the speakers' queue go on, but no vote
    opens until it resumes. A vote must be closed before adjourning.
    """
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("adjourned_by").get(pk=meeting.pk)
    if events.event_for_client_id(actor, client_id) is not None:
        return meeting
    _require(actor, Action.CHAIR, meeting)
    refused = status_refusal(meeting)
    if refused:
        raise ValidationError(refused)
    if adjourn and meeting.adjourned_at is not None:
        raise ValidationError("The meeting is already adjourned.")
    if not adjourn and meeting.adjourned_at is None:
        raise ValidationError("The meeting is not adjourned.")
    if adjourn and Motion.objects.filter(item__meeting=meeting, status=Motion.Status.OPEN).exists():
        raise ValidationError("Close the open vote before adjourning.")
    meeting.adjourned_at = timezone.now() if adjourn else None
    meeting.adjourned_by = actor if adjourn else None
    meeting.save(update_fields=["adjourned_at", "adjourned_by", "updated_at"])
    audit.record(
        "meeting.adjourned" if adjourn else "meeting.resumed", actor=actor, obj=meeting, board_id=meeting.board_id
    )
    events.event_record(
        meeting=meeting,
        type="meeting.adjourned",
        data={"adjourned": adjourned_data(meeting)},
        actor=actor,
        client_id=client_id,
    )
    return meeting


@transaction.atomic
def presenter_show_page(
    *, actor: User, paper: Paper, page: int, client_id: uuid.UUID | None = None
) -> dict[str, object]:
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
        if not policy.can(actor, Action.VIEW, item):
            raise PermissionDenied(refusal(actor, Action.VIEW, item))
        raise PermissionDenied("Only the chair, the secretary or the item's presenter can present.")
    refused = status_refusal(meeting)
    if refused:
        raise ValidationError(refused)
    version = paper.current_version
    if version is None or not 1 <= page <= version.page_count:
        raise ValidationError("That page is not in the paper.")
    data: dict[str, object] = {
        "paper": paper.pk,
        "page": page,
        "item": item.pk,
        "presenter": actor.pk,
        "presenter_name": actor.get_full_name() or actor.get_username(),
    }
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
