"""Running the debate: the speakers' queue of the item under discussion.

A member asks to speak on the current item; the chair (or the secretary) gives the floor to
whom they choose; the speaker, the chair or the secretary ends the turn. Every change sends the
item's whole queue as one ``speakers.changed`` event (docs/live-protocol.md), so clients replace
what they show rather than patch it.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from boardroom import policy
from boardroom.policy import Action

from .. import events
from ..models import AgendaItem, Meeting, SpeakerRequest
from ._common import DECLARED, MEETING_ADJOURNED, ONLY_CHAIR_OR_SECRETARY, refusal, status_refusal

__all__ = [
    "speakers_snapshot",
    "speakers_changed",
    "speaker_request",
    "speaker_withdraw",
    "speaker_give",
    "speaker_done",
]


def _person(user: User) -> dict[str, object]:
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def speakers_snapshot(item_id: int) -> dict[str, object]:
    """The item's queue (in the order asked) and who has the floor: ``{"item", "queue", "floor"}``."""
    active = (
        SpeakerRequest.objects.filter(item_id=item_id, status__in=SpeakerRequest.ACTIVE)
        .select_related("user")
        .order_by("requested_at", "pk")
    )
    queue: list[dict[str, object]] = []
    floor: dict[str, object] | None = None
    for request in active:
        if request.status == SpeakerRequest.Status.SPEAKING:
            floor = {"id": request.pk, "user": _person(request.user), "since": request.given_at}
        else:
            queue.append(
                {"id": request.pk, "user": _person(request.user), "item": item_id, "requested_at": request.requested_at}
            )
    return {"item": item_id, "queue": queue, "floor": floor}


def speakers_changed(
    *, meeting: Meeting, item: AgendaItem, actor: User, client_id: uuid.UUID | None = None
) -> dict[str, object]:
    """Record ``speakers.changed`` for the item (inside the writing transaction)."""
    data = speakers_snapshot(item.pk)
    events.event_record(
        meeting=meeting, type="speakers.changed", data=data, actor=actor, item=item, client_id=client_id
    )
    return data


def _locked_meeting(item: AgendaItem) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=item.meeting_id)


def _runs_debate(actor: User, meeting: Meeting) -> bool:
    return policy.can(actor, Action.CHAIR, meeting) or policy.can(actor, Action.MANAGE, meeting)


def _live(meeting: Meeting) -> None:
    refused = status_refusal(meeting)
    if refused:
        raise ValidationError(refused)


@transaction.atomic
def speaker_request(*, actor: User, item: AgendaItem, client_id: uuid.UUID | None = None) -> dict[str, object]:
    """A member asks to speak on the item under discussion (one open request per person and item)."""
    meeting = _locked_meeting(item)
    if events.event_for_client_id(actor, client_id) is not None:
        return speakers_snapshot(item.pk)
    policy.forget(actor)
    if not policy.can(actor, Action.PARTICIPATE, item):
        raise PermissionDenied(refusal(actor, Action.PARTICIPATE, item))
    _live(meeting)
    if meeting.current_item_id != item.pk:
        raise ValidationError("You can ask to speak on the item under discussion only.")
    if SpeakerRequest.objects.filter(item=item, user=actor, status__in=SpeakerRequest.ACTIVE).exists():
        raise ValidationError("You have already asked to speak on this item.")
    try:
        with transaction.atomic():
            SpeakerRequest.objects.create(item=item, user=actor)
    except IntegrityError:
        raise ValidationError("You have already asked to speak on this item.") from None
    return speakers_changed(meeting=meeting, item=item, actor=actor, client_id=client_id)


@transaction.atomic
def speaker_withdraw(*, actor: User, request: SpeakerRequest, client_id: uuid.UUID | None = None) -> dict[str, object]:
    """The requester withdraws their request (or the chair or secretary removes it from the queue)."""
    item = request.item
    meeting = _locked_meeting(item)
    if events.event_for_client_id(actor, client_id) is not None:
        return speakers_snapshot(item.pk)
    request = SpeakerRequest.objects.select_for_update().get(pk=request.pk)
    own = request.user_id == actor.pk
    if not own and not _runs_debate(actor, meeting):
        raise PermissionDenied("Only the person who asked, the chair or the secretary can withdraw a request.")
    if request.status != SpeakerRequest.Status.QUEUED:
        if request.status == SpeakerRequest.Status.SPEAKING:
            raise ValidationError("That person has the floor: end their turn instead.")
        raise ValidationError("That request is no longer in the queue.")
    request.status = SpeakerRequest.Status.WITHDRAWN
    request.ended_at = timezone.now()
    request.save(update_fields=["status", "ended_at"])
    return speakers_changed(meeting=meeting, item=item, actor=actor, client_id=client_id)


@transaction.atomic
def speaker_give(*, actor: User, request: SpeakerRequest, client_id: uuid.UUID | None = None) -> dict[str, object]:
    """The chair or secretary gives the floor to a queued speaker; whoever held it has finished."""
    item = request.item
    meeting = _locked_meeting(item)
    if events.event_for_client_id(actor, client_id) is not None:
        return speakers_snapshot(item.pk)
    if not _runs_debate(actor, meeting):
        raise PermissionDenied(ONLY_CHAIR_OR_SECRETARY)
    if not policy.can(actor, Action.VIEW, item):
        raise PermissionDenied(DECLARED)
    _live(meeting)
    if meeting.adjourned_at is not None:
        raise ValidationError(f"{MEETING_ADJOURNED} Resume it before giving the floor.")
    if meeting.current_item_id != item.pk:
        raise ValidationError("That request is for an item no longer under discussion.")
    request = SpeakerRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != SpeakerRequest.Status.QUEUED:
        raise ValidationError("That request is no longer in the queue.")
    now = timezone.now()
    SpeakerRequest.objects.filter(item=item, status=SpeakerRequest.Status.SPEAKING).update(
        status=SpeakerRequest.Status.DONE, ended_at=now
    )
    request.status = SpeakerRequest.Status.SPEAKING
    request.given_at = now
    request.given_by = actor
    request.save(update_fields=["status", "given_at", "given_by"])
    return speakers_changed(meeting=meeting, item=item, actor=actor, client_id=client_id)


@transaction.atomic
def speaker_done(
    *, actor: User, meeting: Meeting, item: AgendaItem | None = None, client_id: uuid.UUID | None = None
) -> dict[str, object] | None:
    """End the current speaker's turn on ``item`` (the current item by default): the chair, the
    secretary or the speaker. None if nobody has the floor."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    item_id = item.pk if item is not None else meeting.current_item_id
    if events.event_for_client_id(actor, client_id) is not None:
        return speakers_snapshot(item_id) if item_id is not None else None
    _live(meeting)
    if item_id is None:
        raise ValidationError("Nobody has the floor: no item is under discussion.")
    speaking = (
        SpeakerRequest.objects.select_for_update(of=("self",))
        .select_related("item")
        .filter(item_id=item_id, status=SpeakerRequest.Status.SPEAKING)
        .first()
    )
    if speaking is None:
        raise ValidationError("Nobody has the floor.")
    if speaking.user_id != actor.pk and not _runs_debate(actor, meeting):
        raise PermissionDenied("Only the speaker, the chair or the secretary can end a turn.")
    if speaking.user_id != actor.pk and not policy.can(actor, Action.VIEW, speaking.item):
        raise PermissionDenied(DECLARED)
    speaking.status = SpeakerRequest.Status.DONE
    speaking.ended_at = timezone.now()
    speaking.save(update_fields=["status", "ended_at"])
    return speakers_changed(meeting=meeting, item=speaking.item, actor=actor, client_id=client_id)
