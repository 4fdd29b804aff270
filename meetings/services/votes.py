"""Motions, ballots and results."""

from __future__ import annotations

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
    Ballot,
    Declaration,
    Meeting,
    MeetingStatus,
    Motion,
    default_vote_options,
)
from ._common import _require
from .attendance import quorum_state, voting_member_ids

__all__ = [
    "NOT_IN_THE_ROOM",
    "vote_eligible_ids",
    "motion_data",
    "motion_open",
    "vote_cast",
    "motion_close",
]

NOT_IN_THE_ROOM = (AttendanceStatus.ABSENT, AttendanceStatus.APOLOGIES, AttendanceStatus.LEFT_EARLY)


def vote_eligible_ids(motion: Motion) -> set[int]:
    """Voting members not recused from the item and not recorded as away (absent, apologies, left)."""
    item = motion.item
    meeting = item.meeting
    declared_items = [item.pk] + ([item.parent_id] if item.parent_id else [])
    recused = set(Declaration.objects.filter(item_id__in=declared_items).values_list("user_id", flat=True))
    away = set(Attendance.objects.filter(meeting=meeting, status__in=NOT_IN_THE_ROOM).values_list("user_id", flat=True))
    return voting_member_ids(meeting) - recused - away


def motion_data(motion: Motion) -> dict[str, object]:
    return {
        "id": motion.pk,
        "item": motion.item_id,
        "text": motion.text,
        "options": motion.options,
        "secret": motion.secret,
        "status": motion.status,
        "result": motion.result or None,
    }


@transaction.atomic
def motion_open(
    *,
    actor: User,
    item: AgendaItem,
    text: str,
    options: list[str] | None = None,
    secret: bool = False,
    client_id: uuid.UUID | None = None,
) -> Motion:
    """The chair puts a motion to the vote on an item of a meeting in progress."""
    earlier = events.event_for_client_id(actor, client_id)
    if earlier is not None:
        return Motion.objects.get(pk=earlier.data["id"])
    meeting = Meeting.objects.select_for_update().get(pk=item.meeting_id)
    _require(actor, Action.CHAIR, meeting)
    if not policy.can(actor, Action.VIEW, item):
        raise PermissionDenied("You are recused from this item; the vice-chair puts the motion.")
    if meeting.status != MeetingStatus.LIVE:
        raise ValidationError("Votes are held while the meeting is in progress.")
    if Motion.objects.filter(item__meeting=meeting, status=Motion.Status.OPEN).exists():
        raise ValidationError("Close the open vote before starting another.")
    text = text.strip()
    if not text:
        raise ValidationError("Write the motion the members are voting on.")
    choices = [str(o).strip()[:100] for o in (options or default_vote_options()) if str(o).strip()]
    if len(choices) < 2 or len(set(choices)) != len(choices) or len(choices) > 10:
        raise ValidationError("A vote needs between 2 and 10 different options.")
    motion = Motion.objects.create(item=item, text=text[:2000], options=choices, secret=secret, opened_by=actor)
    audit.record("vote.opened", actor=actor, obj=motion, board_id=meeting.board_id, item=item.pk, secret=secret)
    events.event_record(
        meeting=meeting,
        type="vote.opened",
        data={**motion_data(motion), "eligible": len(vote_eligible_ids(motion))},
        actor=actor,
        item=item,
        client_id=client_id,
    )
    return motion


@transaction.atomic
def vote_cast(*, actor: User, motion: Motion, choice: str, client_id: uuid.UUID | None = None) -> Ballot:
    """An eligible member casts (or changes) their ballot while the vote is open."""
    motion = Motion.objects.select_for_update().select_related("item__meeting").get(pk=motion.pk)
    policy.forget(actor)
    if not policy.can(actor, Action.PARTICIPATE, motion.item):
        raise PermissionDenied("You may not vote on this item.")
    if motion.status != Motion.Status.OPEN:
        raise ValidationError("This vote has closed.")
    if actor.pk not in vote_eligible_ids(motion):
        raise PermissionDenied("Only voting members in the meeting may vote.")
    if choice not in motion.options:
        raise ValidationError("Choose one of the options on the ballot.")
    ballot, _ = Ballot.objects.update_or_create(motion=motion, user=actor, defaults={"choice": choice})
    # Who voted is recorded; how they voted stays in the ballot (and never for a secret ballot).
    audit.record("vote.cast", actor=actor, obj=motion, board_id=motion.item.meeting.board_id)
    if events.event_for_client_id(actor, client_id) is None:
        events.event_record(
            meeting=motion.item.meeting,
            type="vote.cast",
            # While the vote is open only the number of ballots is shown, never who chose what.
            data={"motion": motion.pk, "cast": motion.ballots.count()},
            actor=actor,
            item=motion.item,
            client_id=client_id,
        )
    return ballot


@transaction.atomic
def motion_close(*, actor: User, motion: Motion, client_id: uuid.UUID | None = None) -> Motion:
    """The chair closes the vote: counts, outcome and the quorum at this moment are recorded."""
    motion = Motion.objects.select_for_update().select_related("item__meeting__board").get(pk=motion.pk)
    if motion.status == Motion.Status.CLOSED:
        return motion
    meeting = motion.item.meeting
    _require(actor, Action.CHAIR, meeting)
    ballots = list(motion.ballots.select_related("user").order_by("user__last_name", "user__first_name"))
    counts = {option: 0 for option in motion.options}
    for ballot in ballots:
        counts[ballot.choice] = counts.get(ballot.choice, 0) + 1
    quorum = quorum_state(meeting=meeting, item=motion.item)
    if motion.options[:2] == ["For", "Against"]:
        carried = counts["For"] > counts["Against"]
        outcome = "carried" if carried else "not carried"
    else:
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        tied = len(ranked) > 1 and ranked[0][1] == ranked[1][1]
        outcome = "tied" if tied else ranked[0][0]
    if not quorum["quorate"]:
        outcome = f"{outcome} (inquorate)"
    motion.result = {
        "counts": counts,
        "outcome": outcome,
        "ballots": len(ballots),
        "quorum": quorum,
        "votes": []
        if motion.secret
        else [
            {"user": b.user_id, "name": b.user.get_full_name() or b.user.get_username(), "choice": b.choice}
            for b in ballots
        ],
    }
    motion.status = Motion.Status.CLOSED
    motion.closed_at = timezone.now()
    motion.save(update_fields=["result", "status", "closed_at"])
    audit.record("vote.closed", actor=actor, obj=motion, board_id=meeting.board_id, outcome=outcome, counts=counts)
    events.event_record(
        meeting=meeting,
        type="vote.closed",
        data=motion_data(motion),
        actor=actor,
        item=motion.item,
        client_id=client_id,
    )
    return motion
