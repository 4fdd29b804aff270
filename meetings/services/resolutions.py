"""Written resolutions: drafted by the secretary, circulated to the board, voted on before a deadline.

The threshold is always counted against ALL eligible members (those frozen on the list at
circulation, less anyone who declared an interest), not against those who answered: silence
is not agreement. A resolution is decided as soon as the outcome is settled by the votes cast
(passed once enough members are for it; not passed once "for" plus those yet to answer can no
longer reach the threshold), or at the deadline, when it lapses unless it passed.

Closing is idempotent and race-safe: every decision locks the row and is written with a
conditional update from "circulated", so two closers (the ``close_resolutions`` command, a
member's vote, a page read after the deadline) decide it exactly once.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import uuid
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from boardroom import audit, policy
from boardroom.policy import Action

from .. import notices
from ..models import (
    Board,
    Majority,
    Membership,
    Resolution,
    ResolutionStatus,
    ResolutionVoter,
    default_vote_options,
)
from ._common import _require
from .attendance import VOTING_ROLES

__all__ = [
    "FOR",
    "required_for",
    "resolution_tally",
    "resolution_draft",
    "resolution_update",
    "resolution_eligible_members",
    "resolution_circulate",
    "resolution_vote",
    "resolution_declare_interest",
    "resolution_withdraw",
    "resolutions_close_due",
    "resolution_close_if_due",
]

FOR = "For"
LONGEST = dt.timedelta(days=366)
SYSTEM = "Boardroom"


def required_for(majority: str, eligible: int) -> int:
    """How many "for" votes pass a resolution with ``eligible`` members entitled to vote."""
    if eligible <= 0:
        return 1  # nobody can vote, so it cannot pass
    if majority == Majority.UNANIMOUS:
        return eligible
    if majority == Majority.THREE_QUARTERS:
        return -(-3 * eligible // 4)  # at least 75 %, in whole members (exact integer ceiling)
    return eligible // 2 + 1  # more than half


def _options(allow_abstain: bool) -> list[str]:
    options = default_vote_options()
    return options if allow_abstain else [o for o in options if o != "Abstain"]


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _when(resolution: Resolution) -> str:
    local = timezone.localtime(resolution.deadline, _zone(resolution.board))
    return f"{local:%A %-d %B %Y, %H:%M} ({resolution.board.time_zone})"


def _zone(board: Board) -> Any:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(board.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def _closed_message(resolution: Resolution) -> str:
    if resolution.status == ResolutionStatus.DRAFT:
        return "This resolution has not been circulated yet."
    if resolution.status == ResolutionStatus.WITHDRAWN:
        return "This resolution was withdrawn; nothing more can be recorded on it."
    if resolution.status == ResolutionStatus.LAPSED:
        return f"Voting closed at the deadline, {_when(resolution)}; the resolution lapsed."
    return f"Voting has closed: the resolution was decided ({resolution.get_status_display().lower()})."


def _clean(
    *,
    title: str,
    text: str,
    background: str,
    majority: str,
    deadline: dt.datetime,
    now: dt.datetime,
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title, text, background = title.strip(), text.strip(), background.strip()
    if not title:
        errors["title"] = "Give the resolution a short title."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if not text:
        errors["text"] = "Write the text of the resolution: it is what the members agree to."
    elif len(text) > 10000:
        errors["text"] = "The text is longer than 10,000 characters; put the detail in the explanatory note."
    if len(background) > 20000:
        errors["background"] = "The explanatory note is longer than 20,000 characters."
    if majority not in Majority.values:
        errors["majority"] = "Choose the majority the resolution needs."
    if timezone.is_naive(deadline):
        errors["deadline"] = "The deadline needs a time zone."
    elif deadline <= now:
        errors["deadline"] = "The deadline has already passed: choose a date and time in the future."
    elif deadline - now > LONGEST:
        errors["deadline"] = "The deadline is more than a year away; choose an earlier one."
    if errors:
        raise ValidationError(errors)
    return {"title": title, "text": text, "background": background, "majority": majority, "deadline": deadline}


# --- drafting --------------------------------------------------------------------------------


def resolution_draft(
    *,
    actor: User,
    board: Board,
    title: str,
    text: str,
    deadline: dt.datetime,
    background: str = "",
    majority: str = Majority.SIMPLE,
    allow_abstain: bool = True,
    confidential: bool = False,
    client_id: uuid.UUID | None = None,
) -> Resolution:
    """The secretary drafts a resolution. Members see nothing until it is circulated.

    A repeated ``client_id`` (the same form submitted twice) returns the first draft unchanged.
    """
    _require(actor, Action.MANAGE, board)
    if client_id is not None:
        earlier = Resolution.objects.filter(client_id=client_id, board=board, created_by=actor).first()
        if earlier is not None:
            return earlier
    fields = _clean(
        title=title, text=text, background=background, majority=majority, deadline=deadline, now=timezone.now()
    )
    try:
        with transaction.atomic():
            resolution = Resolution.objects.create(
                board=board,
                options=_options(allow_abstain),
                confidential=confidential,
                created_by=actor,
                client_id=client_id,
                **fields,
            )
            audit.record(
                "resolution.drafted",
                actor=actor,
                obj=resolution,
                board_id=board.pk,
                title=resolution.title,
                majority=resolution.majority,
                confidential=confidential,
                deadline=resolution.deadline,
            )
    except IntegrityError:
        # The same form, submitted twice at once: the other request made the draft.
        earlier = Resolution.objects.filter(client_id=client_id, board=board, created_by=actor).first()
        if earlier is None:
            raise
        return earlier
    return resolution


@transaction.atomic
def resolution_update(
    *,
    actor: User,
    resolution: Resolution,
    title: str,
    text: str,
    deadline: dt.datetime,
    background: str = "",
    majority: str = Majority.SIMPLE,
    allow_abstain: bool = True,
    confidential: bool = False,
) -> Resolution:
    """Edit a draft. Once circulated the text is frozen: withdraw it and draft a new one instead."""
    resolution = Resolution.objects.select_for_update().select_related("board").get(pk=resolution.pk)
    _require(actor, Action.MANAGE, resolution)
    if resolution.status != ResolutionStatus.DRAFT:
        raise ValidationError(
            "This resolution has been circulated, so its text can no longer change. "
            "To change it, withdraw it and circulate a new one.",
            code="frozen",
        )
    fields = _clean(
        title=title, text=text, background=background, majority=majority, deadline=deadline, now=timezone.now()
    )
    for name, value in fields.items():
        setattr(resolution, name, value)
    resolution.options = _options(allow_abstain)
    resolution.confidential = confidential
    resolution.save(update_fields=[*fields, "options", "confidential", "updated_at"])
    audit.record(
        "resolution.updated",
        actor=actor,
        obj=resolution,
        board_id=resolution.board_id,
        title=resolution.title,
        majority=resolution.majority,
        confidential=confidential,
        deadline=resolution.deadline,
    )
    return resolution


# --- circulating -----------------------------------------------------------------------------


def resolution_eligible_members(resolution: Resolution, *, on: dt.date | None = None) -> QuerySet[User]:
    """Who would vote if it were circulated now: voting members (chair and members; not the
    secretary or observers) whose seat is in force, and who may see it (Part B for confidential)."""
    as_circulated = copy.copy(resolution)
    as_circulated.circulated_at = as_circulated.circulated_at or timezone.now()
    seated = Membership.objects.current(on=on).filter(board_id=resolution.board_id, role__in=VOTING_ROLES)
    return (
        policy.audience(as_circulated)
        .filter(pk__in=seated.values("user_id"))
        .order_by("last_name", "first_name", "username")
    )


@transaction.atomic
def resolution_circulate(*, actor: User, resolution: Resolution) -> Resolution:
    """Send a draft to the board: the text and the eligible list are frozen, and members are told.

    Preconditions: a draft, a deadline still ahead, at least one member able to vote.
    Effects: one ``ResolutionVoter`` per eligible member, the text's SHA-256 kept, a notice to
    each (email batched, with no title or text), an audit entry.
    """
    resolution = Resolution.objects.select_for_update().select_related("board").get(pk=resolution.pk)
    _require(actor, Action.MANAGE, resolution)
    if resolution.status != ResolutionStatus.DRAFT:
        if resolution.circulated_at is None:
            raise ValidationError(_closed_message(resolution), code="conflict")
        when = timezone.localtime(resolution.circulated_at, _zone(resolution.board))
        raise ValidationError(
            f"This resolution was already circulated on {when:%-d %B %Y at %H:%M}; nothing was changed.",
            code="conflict",
        )
    now = timezone.now()
    if resolution.deadline <= now:
        raise ValidationError(
            "The deadline has passed. Edit the draft to set a new deadline, then circulate it.", code="invalid"
        )
    voters = list(resolution_eligible_members(resolution))
    if not voters:
        raise ValidationError("Nobody on the board can vote on this resolution, so it cannot be circulated.")
    sha256 = hashlib.sha256(resolution.text.encode()).hexdigest()
    # Conditional on still being a draft: a second circulation racing this one changes nothing.
    if not Resolution.objects.filter(pk=resolution.pk, status=ResolutionStatus.DRAFT).update(
        status=ResolutionStatus.CIRCULATED, circulated_at=now, circulated_by=actor, text_sha256=sha256
    ):
        raise ValidationError("This resolution was already circulated; nothing was changed.", code="conflict")
    resolution.status, resolution.circulated_at, resolution.circulated_by = ResolutionStatus.CIRCULATED, now, actor
    resolution.text_sha256 = sha256
    ResolutionVoter.objects.bulk_create(
        [ResolutionVoter(resolution=resolution, user=user, name=_name(user)) for user in voters]
    )
    audit.record(
        "resolution.circulated",
        actor=actor,
        obj=resolution,
        board_id=resolution.board_id,
        eligible=[user.pk for user in voters],
        required=required_for(resolution.majority, len(voters)),
        majority=resolution.majority,
        deadline=resolution.deadline,
        text_sha256=sha256,
    )
    notices.resolution_circulated(resolution=resolution, users=voters, deadline=_when(resolution))
    return resolution


# --- counting and deciding -------------------------------------------------------------------


def resolution_tally(resolution: Resolution, voters: list[ResolutionVoter] | None = None) -> dict[str, Any]:
    """Where the vote stands: counts per option against the threshold, over ALL eligible members."""
    if voters is None:
        voters = list(resolution.voters.all())
    entitled = [v for v in voters if not v.recused]
    counts = {option: 0 for option in resolution.options}
    for voter in entitled:
        if voter.choice:
            counts[voter.choice] = counts.get(voter.choice, 0) + 1
    answered = sum(1 for v in entitled if v.choice)
    required = required_for(resolution.majority, len(entitled))
    in_favour = counts.get(FOR, 0)
    outstanding = len(entitled) - answered
    settled: str | None = None
    if not entitled:
        settled = ResolutionStatus.FAILED
    elif in_favour >= required:
        settled = ResolutionStatus.PASSED
    elif in_favour + outstanding < required:
        settled = ResolutionStatus.FAILED
    return {
        "counts": counts,
        "eligible": len(entitled),
        "recused": len(voters) - len(entitled),
        "answered": answered,
        "outstanding": outstanding,
        "required": required,
        "for": in_favour,
        "settled": settled,
    }


def _record(resolution: Resolution, voters: list[ResolutionVoter], status: str, reason: str) -> dict[str, Any]:
    tally = resolution_tally(resolution, voters)
    return {
        "outcome": status,
        "reason": reason,
        "majority": resolution.majority,
        "counts": tally["counts"],
        "required": tally["required"],
        "eligible_count": tally["eligible"],
        "answered": tally["answered"],
        "eligible": [{"user": v.user_id, "name": v.name} for v in voters],
        "votes": [
            {"user": v.user_id, "name": v.name, "choice": v.choice, "at": v.voted_at}
            for v in voters
            if v.choice and not v.recused
        ],
        "no_response": [{"user": v.user_id, "name": v.name} for v in voters if not v.choice and not v.recused],
        "declarations": [
            {"user": v.user_id, "name": v.name, "nature": v.interest, "at": v.declared_at} for v in voters if v.recused
        ],
        "text_sha256": resolution.text_sha256,
    }


REASONS = {
    ResolutionStatus.PASSED: "The required number of members voted for it.",
    ResolutionStatus.FAILED: "The required number of votes for it can no longer be reached.",
    ResolutionStatus.LAPSED: "The deadline passed before enough members voted for it.",
}


def _decide(resolution: Resolution, *, status: str, now: dt.datetime, actor: User | None = None) -> bool:
    """Record the outcome. Call inside a transaction holding the row lock. True if this call decided it."""
    voters = list(resolution.voters.order_by("name", "pk"))
    reason = REASONS.get(ResolutionStatus(status), "")
    if status == ResolutionStatus.FAILED and not any(not v.recused for v in voters):
        reason = "Every eligible member declared an interest, so nobody could vote for it."
    result = _record(resolution, voters, status, reason)
    result["decided_at"] = now
    if not Resolution.objects.filter(pk=resolution.pk, status=ResolutionStatus.CIRCULATED).update(
        status=status, decided_at=now, result=result
    ):
        return False  # someone else decided it first
    resolution.status, resolution.decided_at, resolution.result = status, now, result
    audit.record(
        f"resolution.{status}",
        actor=actor,
        actor_label="" if actor else SYSTEM,
        obj=resolution,
        board_id=resolution.board_id,
        counts=result["counts"],
        required=result["required"],
        eligible=result["eligible_count"],
        reason=reason,
    )
    notices.resolution_decided(resolution=resolution, actor=actor)
    return True


def _settle(resolution: Resolution, now: dt.datetime) -> None:
    settled = resolution_tally(resolution)["settled"]
    if settled is not None:
        _decide(resolution, status=settled, now=now)


def resolutions_close_due(
    *, now: dt.datetime | None = None, queryset: QuerySet[Resolution] | None = None
) -> list[Resolution]:
    """Decide every circulated resolution whose deadline has passed (idempotent; safe to run twice at once).

    It passes if enough members voted for it in time (normally already decided then), else it lapses.
    """
    now = now or timezone.now()
    base = queryset if queryset is not None else Resolution.objects.all()
    due = list(base.filter(status=ResolutionStatus.CIRCULATED, deadline__lte=now).values_list("pk", flat=True))
    closed: list[Resolution] = []
    for pk in due:
        with transaction.atomic():
            resolution = (
                Resolution.objects.select_for_update()
                .select_related("board")
                .filter(pk=pk, status=ResolutionStatus.CIRCULATED, deadline__lte=now)
                .first()
            )
            if resolution is None:
                continue
            settled = resolution_tally(resolution)["settled"]
            status = ResolutionStatus.PASSED if settled == ResolutionStatus.PASSED else ResolutionStatus.LAPSED
            if _decide(resolution, status=status, now=now):
                closed.append(resolution)
    return closed


def resolution_close_if_due(resolution: Resolution) -> Resolution:
    """Lazy closing on read: a page opened after the deadline shows the outcome, not an open vote."""
    if resolution.status == ResolutionStatus.CIRCULATED and resolution.deadline <= timezone.now():
        resolutions_close_due(queryset=Resolution.objects.filter(pk=resolution.pk))
        resolution.refresh_from_db()
    return resolution


# --- members' votes and declarations ---------------------------------------------------------


def _open_for_answers(resolution: Resolution, now: dt.datetime) -> bool:
    """True if answers are still taken; closes it (inside the caller's transaction) if the deadline passed."""
    if resolution.status != ResolutionStatus.CIRCULATED:
        return False
    if resolution.deadline <= now:
        settled = resolution_tally(resolution)["settled"]
        status = ResolutionStatus.PASSED if settled == ResolutionStatus.PASSED else ResolutionStatus.LAPSED
        _decide(resolution, status=status, now=now)
        return False
    return True


def resolution_vote(*, actor: User, resolution: Resolution, choice: str) -> ResolutionVoter:
    """An eligible member votes, or changes their vote, until the resolution is decided.

    The same vote sent twice (a double tap) changes nothing. A vote that settles the outcome
    decides the resolution at once.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = Resolution.objects.select_for_update().select_related("board").get(pk=resolution.pk)
        policy.forget(actor)
        if not policy.can(actor, Action.VIEW, locked):
            raise PermissionDenied("You may not vote on this resolution.")
        if _open_for_answers(locked, now):
            voter = ResolutionVoter.objects.filter(resolution=locked, user=actor).first()
            if voter is None:
                raise PermissionDenied(
                    "You are not on the list of members who vote on this resolution "
                    "(the list was fixed when it was circulated)."
                )
            if voter.recused:
                raise PermissionDenied("You declared an interest in this resolution, so you do not vote on it.")
            if not policy.can(actor, Action.PARTICIPATE, locked):
                raise PermissionDenied("Your seat on the board does not let you vote on this resolution.")
            if choice not in locked.options:
                raise ValidationError(f"Choose one of: {', '.join(locked.options)}.", code="invalid")
            if voter.choice == choice:
                return voter
            previous = voter.choice
            voter.choice, voter.voted_at = choice, now
            voter.save(update_fields=["choice", "voted_at"])
            audit.record(
                "resolution.vote",
                actor=actor,
                obj=locked,
                board_id=locked.board_id,
                choice=choice,
                changed_from=previous or None,
            )
            _settle(locked, now)
            return voter
    raise ValidationError(_closed_message(locked), code="closed")


def resolution_declare_interest(
    *, actor: User, resolution: Resolution, nature: str, user: User | None = None
) -> ResolutionVoter:
    """Record a declared interest: the member is recused and no longer counts (nor does their vote).

    A member declares for themselves; the secretary may record it for them. Declaring again
    changes nothing.
    """
    user = user or actor
    now = timezone.now()
    with transaction.atomic():
        locked = Resolution.objects.select_for_update().select_related("board").get(pk=resolution.pk)
        policy.forget(actor)
        if not policy.can(actor, Action.VIEW, locked):
            raise PermissionDenied("You may not declare on this resolution.")
        if actor.pk != user.pk and not policy.can(actor, Action.MANAGE, locked):
            raise PermissionDenied("Only the member or the secretary can record this declaration.")
        if _open_for_answers(locked, now):
            voter = ResolutionVoter.objects.filter(resolution=locked, user=user).first()
            if voter is None:
                raise PermissionDenied("Only members on the resolution's eligible list declare interests on it.")
            if voter.recused:
                return voter
            nature = nature.strip()
            if not nature:
                raise ValidationError("Say what the interest is: it is recorded with the result.", code="invalid")
            had_voted = bool(voter.choice)
            voter.interest, voter.declared_at = nature[:500], now
            voter.choice, voter.voted_at = "", None
            voter.save(update_fields=["interest", "declared_at", "choice", "voted_at"])
            audit.record(
                "resolution.interest_declared",
                actor=actor,
                obj=locked,
                board_id=locked.board_id,
                user=user.pk,
                vote_set_aside=had_voted,
            )
            _settle(locked, now)
            return voter
    raise ValidationError(_closed_message(locked), code="closed")


def resolution_withdraw(*, actor: User, resolution: Resolution, reason: str = "") -> Resolution:
    """The secretary withdraws a draft or a circulated resolution before it is decided."""
    now = timezone.now()
    with transaction.atomic():
        locked = Resolution.objects.select_for_update().select_related("board").get(pk=resolution.pk)
        _require(actor, Action.MANAGE, locked)
        if locked.status == ResolutionStatus.WITHDRAWN:
            raise ValidationError("This resolution was already withdrawn; nothing was changed.", code="conflict")
        if locked.status == ResolutionStatus.DRAFT or _open_for_answers(locked, now):
            return _withdraw(actor, locked, reason, now)
    raise ValidationError(
        f"It was already decided ({locked.get_status_display().lower()}); a decided resolution cannot be withdrawn.",
        code="conflict",
    )


def _withdraw(actor: User, resolution: Resolution, reason: str, now: dt.datetime) -> Resolution:
    was_circulated = resolution.status == ResolutionStatus.CIRCULATED
    voters = list(resolution.voters.order_by("name", "pk"))
    reason = reason.strip()[:500] or "Withdrawn by the secretary."
    result = _record(resolution, voters, ResolutionStatus.WITHDRAWN, reason)
    result["decided_at"] = now
    if not Resolution.objects.filter(
        pk=resolution.pk, status__in=(ResolutionStatus.DRAFT, ResolutionStatus.CIRCULATED)
    ).update(status=ResolutionStatus.WITHDRAWN, decided_at=now, result=result):
        raise ValidationError("This resolution was already closed; nothing was changed.", code="conflict")
    resolution.status, resolution.decided_at, resolution.result = ResolutionStatus.WITHDRAWN, now, result
    audit.record(
        "resolution.withdrawn",
        actor=actor,
        obj=resolution,
        board_id=resolution.board_id,
        was_circulated=was_circulated,
        counts=result["counts"],
    )
    if was_circulated:
        notices.resolution_decided(resolution=resolution, actor=actor)
    return resolution
