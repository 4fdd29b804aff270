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
    Membership,
    Motion,
    default_vote_options,
)
from ._common import DECLARED, MEETING_ADJOURNED, _require, refusal, status_refusal
from .attendance import quorum_state, voting_member_ids

__all__ = [
    "NOT_IN_THE_ROOM",
    "vote_eligible_ids",
    "eligible_people",
    "motion_data",
    "opened_data",
    "motion_open",
    "voted_ids",
    "ballots_changed",
    "vote_cast",
    "motion_close",
    "vote_casting",
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


def _person(user: User | None) -> dict[str, object] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def eligible_people(motion: Motion) -> list[dict[str, object]]:
    """The members who may vote on ``motion`` (``{id, name}``), by name."""
    people = User.objects.filter(pk__in=vote_eligible_ids(motion)).order_by("last_name", "first_name", "username")
    return [_person(user) for user in people]  # type: ignore[misc]


def motion_data(motion: Motion) -> dict[str, object]:
    return {
        "id": motion.pk,
        "item": motion.item_id,
        "text": motion.text,
        "options": motion.options,
        "secret": motion.secret,
        "status": motion.status,
        "mover": _person(motion.mover),
        "seconder": _person(motion.seconder),
        "result": motion.result or None,
    }


def opened_data(motion: Motion) -> dict[str, object]:
    """The motion as ``vote.opened`` sends it: with who may vote."""
    people = eligible_people(motion)
    return {**motion_data(motion), "eligible": len(people), "eligible_people": people}


def _seconding_member(meeting: Meeting, item: AgendaItem, user_id: int | None, role: str) -> User | None:
    """The mover or seconder named on a motion: a member of the board who may take part in the item."""
    if user_id is None:
        return None
    day = timezone.localdate(meeting.starts_at)
    seated = Membership.objects.current(on=day).filter(board_id=meeting.board_id).values("user_id")
    person = User.objects.filter(pk=user_id, pk__in=seated, is_active=True).first()
    if person is None:
        raise ValidationError(f"The {role} must be a member of this board.")
    if not policy.can(person, Action.PARTICIPATE, item):
        if item.pk in policy.access_for(person).recused:
            raise ValidationError(f"The {role} declared an interest in this item.")
        raise ValidationError(f"The {role} must be a member who takes part in this item.")
    return person


@transaction.atomic
def motion_open(
    *,
    actor: User,
    item: AgendaItem,
    text: str,
    options: list[str] | None = None,
    secret: bool = False,
    mover: int | None = None,
    seconder: int | None = None,
    client_id: uuid.UUID | None = None,
) -> Motion:
    """The chair puts a motion to the vote on an item of a meeting in progress.

    ``mover`` and ``seconder`` (user ids, optional) are members who may take part in the item.
    """
    earlier = events.event_for_client_id(actor, client_id)
    if earlier is not None:
        return Motion.objects.get(pk=earlier.data["id"])
    meeting = Meeting.objects.select_for_update().get(pk=item.meeting_id)
    _require(actor, Action.CHAIR, meeting)
    if not policy.can(actor, Action.VIEW, item):
        raise PermissionDenied(f"{DECLARED} The vice-chair puts the motion.")
    refused = status_refusal(meeting)
    if refused:
        raise ValidationError(refused)
    if meeting.adjourned_at is not None:
        raise ValidationError(f"{MEETING_ADJOURNED} Resume it before opening a vote.")
    if Motion.objects.filter(item__meeting=meeting, status=Motion.Status.OPEN).exists():
        raise ValidationError("Close the open vote before starting another.")
    text = text.strip()
    if not text:
        raise ValidationError("Write the motion the members are voting on.")
    choices = [str(o).strip()[:100] for o in (options or default_vote_options()) if str(o).strip()]
    if len(choices) < 2 or len(set(choices)) != len(choices) or len(choices) > 10:
        raise ValidationError("A vote needs between 2 and 10 different options.")
    if mover is not None and mover == seconder:
        raise ValidationError("The seconder must be someone other than the mover.")
    moved_by = _seconding_member(meeting, item, mover, "mover")
    seconded_by = _seconding_member(meeting, item, seconder, "seconder")
    motion = Motion.objects.create(
        item=item,
        text=text[:2000],
        options=choices,
        secret=secret,
        opened_by=actor,
        mover=moved_by,
        seconder=seconded_by,
    )
    audit.record("vote.opened", actor=actor, obj=motion, board_id=meeting.board_id, item=item.pk, secret=secret)
    events.event_record(
        meeting=meeting,
        type="vote.opened",
        data=opened_data(motion),
        actor=actor,
        item=item,
        client_id=client_id,
    )
    return motion


def voted_ids(motion: Motion) -> list[int]:
    """Who has voted so far (never what they chose while the vote is open)."""
    return sorted(motion.ballots.values_list("user_id", flat=True))


def _cast_event(motion: Motion, actor: User, client_id: uuid.UUID | None) -> None:
    voted = voted_ids(motion)
    events.event_record(
        meeting=motion.item.meeting,
        type="vote.cast",
        # While the vote is open only who has voted is shown, never who chose what.
        data={"motion": motion.pk, "cast": len(voted), "voted": voted},
        actor=actor,
        item=motion.item,
        client_id=client_id,
    )


def ballots_changed(*, motion: Motion, actor: User) -> None:
    """Tell the item the count changed without a vote being cast (a voter declared an interest)."""
    _cast_event(motion, actor, None)


@transaction.atomic
def vote_cast(*, actor: User, motion: Motion, choice: str, client_id: uuid.UUID | None = None) -> Ballot:
    """An eligible member casts (or changes) their ballot while the vote is open."""
    motion = Motion.objects.select_for_update().select_related("item__meeting").get(pk=motion.pk)
    earlier = events.event_for_client_id(actor, client_id)
    if earlier is not None:
        ballot = Ballot.objects.filter(motion=motion, user=actor).first()
        if ballot is not None:
            return ballot
    policy.forget(actor)
    if not policy.can(actor, Action.PARTICIPATE, motion.item):
        raise PermissionDenied(refusal(actor, Action.PARTICIPATE, motion.item))
    if motion.status != Motion.Status.OPEN:
        raise ValidationError("The vote is closed.")
    if actor.pk not in vote_eligible_ids(motion):
        if actor.pk not in voting_member_ids(motion.item.meeting):
            raise PermissionDenied("Only voting members can vote: the secretary and observers do not.")
        raise PermissionDenied("You are recorded as away from the meeting, so you cannot vote.")
    if choice not in motion.options:
        raise ValidationError("Choose one of the options on the ballot.")
    ballot, _ = Ballot.objects.update_or_create(motion=motion, user=actor, defaults={"choice": choice})
    # Who voted is recorded; how they voted stays in the ballot (and never for a secret ballot).
    audit.record("vote.cast", actor=actor, obj=motion, board_id=motion.item.meeting.board_id)
    _cast_event(motion, actor, client_id)
    return ballot


CASTING = "on the chair's casting vote"


def _outcome(options: list[str], counts: dict[str, int]) -> tuple[str, list[str]]:
    """The outcome from the counts, and the options tied at the top ([] if none are)."""
    if options[:2] == ["For", "Against"]:
        if counts["For"] == counts["Against"] and counts["For"] > 0:
            return "tied", ["For", "Against"]
        return ("carried" if counts["For"] > counts["Against"] else "not carried"), []
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    top = [option for option, count in ranked if count == ranked[0][1]]
    if len(top) > 1:
        return "tied", top if ranked[0][1] > 0 else []
    return ranked[0][0], []


@transaction.atomic
def motion_close(*, actor: User, motion: Motion, client_id: uuid.UUID | None = None) -> Motion:
    """The chair closes the vote: counts, outcome and the quorum at this moment are recorded.

    On a tie, where the board gives the chair a casting vote, the result waits for it
    (``casting_pending``); otherwise a tie is not carried.
    """
    motion = (
        Motion.objects.select_for_update(of=("self",))
        .select_related("item__meeting__board", "mover", "seconder")
        .get(pk=motion.pk)
    )
    if motion.status == Motion.Status.CLOSED:
        return motion
    meeting = motion.item.meeting
    _require(actor, Action.CHAIR, meeting)
    if not policy.can(actor, Action.VIEW, motion.item):
        raise PermissionDenied(DECLARED)
    ballots = list(motion.ballots.select_related("user").order_by("user__last_name", "user__first_name"))
    counts = {option: 0 for option in motion.options}
    for ballot in ballots:
        counts[ballot.choice] = counts.get(ballot.choice, 0) + 1
    quorum = quorum_state(meeting=meeting, item=motion.item)
    outcome, tied = _outcome(motion.options, counts)
    pending = bool(tied) and meeting.board.chair_casting_vote
    if outcome == "tied" and not pending and motion.options[:2] == ["For", "Against"]:
        outcome = "not carried"  # an equality of votes defeats the motion
    if not quorum["quorate"] and not pending:
        outcome = f"{outcome} (inquorate)"
    motion.result = {
        "counts": counts,
        "outcome": outcome,
        "ballots": len(ballots),
        "quorum": quorum,
        "votes": [] if motion.secret else [{"user": _person(b.user), "choice": b.choice} for b in ballots],
    }
    if pending:
        motion.result["casting_pending"] = True
        motion.result["tied"] = tied
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


@transaction.atomic
def vote_casting(*, actor: User, motion: Motion, choice: str, client_id: uuid.UUID | None = None) -> Motion:
    """The chair decides a tied vote with their casting vote (where the board's rules give one)."""
    motion = (
        Motion.objects.select_for_update(of=("self",))
        .select_related("item__meeting__board", "mover", "seconder")
        .get(pk=motion.pk)
    )
    if events.event_for_client_id(actor, client_id) is not None:
        return motion
    meeting = motion.item.meeting
    _require(actor, Action.CHAIR, meeting)
    if not policy.can(actor, Action.VIEW, motion.item):
        raise PermissionDenied(DECLARED)
    result = dict(motion.result or {})
    if motion.status == Motion.Status.OPEN:
        raise ValidationError("Close the vote first: a casting vote decides a tie.")
    if result.get("casting"):
        raise ValidationError("The chair's casting vote has already been given.")
    if not result.get("casting_pending"):
        raise ValidationError("The vote was not tied, so there is no casting vote to give.")
    tied = list(result.get("tied") or [])
    if choice not in tied:
        raise ValidationError(f"The casting vote is one of: {', '.join(tied)}.")
    if motion.options[:2] == ["For", "Against"]:
        outcome = f"carried {CASTING}" if choice == "For" else f"not carried {CASTING}"
    else:
        outcome = f"{choice} {CASTING}"
    if not (result.get("quorum") or {}).get("quorate", True):
        outcome = f"{outcome} (inquorate)"
    result.pop("casting_pending", None)
    result["outcome"] = outcome
    result["casting"] = {"user": _person(actor), "choice": choice}
    motion.result = result
    motion.save(update_fields=["result"])
    audit.record("vote.casting", actor=actor, obj=motion, board_id=meeting.board_id, outcome=outcome)
    events.event_record(
        meeting=meeting,
        type="vote.closed",
        data=motion_data(motion),
        actor=actor,
        item=motion.item,
        client_id=client_id,
    )
    return motion
