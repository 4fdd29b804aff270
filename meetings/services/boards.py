"""Boards, seats and the guardian grants they carry."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from boardroom import audit, policy

from .. import events
from ..models import (
    Board,
    Membership,
)
from ._common import _require_board_admin

# --- boards and memberships ------------------------------------------------------------------


__all__ = [
    "board_create",
    "board_rules_update",
    "membership_sync_grants",
    "membership_create",
    "membership_update",
    "membership_end",
]


def board_create(
    *,
    actor: User | None,
    name: str,
    slug: str,
    organisation: str = "",
    description: str = "",
    time_zone: str = "Europe/London",
) -> Board:
    """Create a board. Only staff administrators create boards."""
    _require_board_admin(actor, None)
    board = Board(name=name, slug=slug, organisation=organisation, description=description, time_zone=time_zone)
    board.full_clean()
    board.save()
    return board


def membership_sync_grants(*, user: User, board: Board) -> None:
    """Make the user's guardian grants on ``board`` match their memberships not yet ended.

    Grants for terms that start in the future are held already; the policy still refuses them
    until the term begins. Ended terms lose their grants, including direct ones.
    """
    today = timezone.localdate()
    roles = (
        Membership.objects.filter(user=user, board=board).exclude(valid_until__lt=today).values_list("role", flat=True)
    )
    wanted: set[str] = set().union(*(policy.ROLE_GRANTS[r] for r in roles)) if roles else set()
    held = set(policy.direct_grants(user, board))
    for codename in sorted(held - wanted):
        remove_perm(f"meetings.{codename}", user, board)
    for codename in sorted(wanted - held):
        assign_perm(f"meetings.{codename}", user, board)
    policy.forget(user)
    if held != wanted:
        audit.record(
            "grants.changed", obj=user, board_id=board.pk, added=sorted(wanted - held), removed=sorted(held - wanted)
        )
        # Open sockets re-check at once, and close if the meeting is no longer theirs to see.
        events.access_changed(user.pk)


@transaction.atomic
def membership_create(
    *,
    actor: User | None,
    board: Board,
    user: User,
    role: str,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    title: str = "",
) -> Membership:
    """Seat ``user`` on ``board`` in ``role`` for a term, and grant what the role carries."""
    _require_board_admin(actor, board)
    membership = Membership(
        board=board,
        user=user,
        role=role,
        title=title,
        valid_from=valid_from or timezone.localdate(),
        valid_until=valid_until,
    )
    membership.full_clean()
    membership.save()
    audit.record(
        "membership.created",
        actor=actor,
        obj=membership,
        board_id=board.pk,
        user=user.pk,
        role=role,
        valid_from=membership.valid_from,
        valid_until=membership.valid_until,
    )
    membership_sync_grants(user=user, board=board)
    return membership


@transaction.atomic
def membership_update(
    *,
    actor: User | None,
    membership: Membership,
    role: str | None = None,
    valid_until: dt.date | None = None,
    title: str | None = None,
) -> Membership:
    _require_board_admin(actor, membership.board)
    changed = []
    if role is not None:
        membership.role = role
        changed.append("role")
    if valid_until is not None:
        membership.valid_until = valid_until
        changed.append("valid_until")
    if title is not None:
        membership.title = title
        changed.append("title")
    membership.full_clean()
    membership.save(update_fields=changed or None)
    audit.record(
        "membership.updated",
        actor=actor,
        obj=membership,
        board_id=membership.board_id,
        user=membership.user_id,
        role=membership.role,
        valid_until=membership.valid_until,
    )
    membership_sync_grants(user=membership.user, board=membership.board)
    return membership


@transaction.atomic
def membership_end(*, actor: User | None, membership: Membership, on: dt.date | None = None) -> Membership:
    """End a term (today by default): from the next check on, the board's content is closed to them."""
    _require_board_admin(actor, membership.board)
    last_day = on or timezone.localdate() - dt.timedelta(days=1)
    membership.valid_until = max(last_day, membership.valid_from)
    if membership.valid_from > last_day:
        # A term that had not begun is simply withdrawn.
        membership.delete()
    else:
        membership.save(update_fields=["valid_until"])
    audit.record(
        "membership.ended",
        actor=actor,
        board_id=membership.board_id,
        membership=membership.pk,
        user=membership.user_id,
        last_day=last_day,
    )
    membership_sync_grants(user=membership.user, board=membership.board)
    return membership


@transaction.atomic
def board_rules_update(*, actor: User, board: Board, chair_casting_vote: bool) -> Board:
    """The board's rules for its meetings (the secretary or chair): whether the chair has a
    casting vote on a tie."""
    from django.core.exceptions import PermissionDenied

    from boardroom.policy import Action

    if not policy.can(actor, Action.MANAGE, board):
        raise PermissionDenied("Only the chair or the secretary can change the board's rules.")
    if board.chair_casting_vote != chair_casting_vote:
        board.chair_casting_vote = chair_casting_vote
        board.save(update_fields=["chair_casting_vote"])
        audit.record("board.rules", actor=actor, obj=board, board_id=board.pk, chair_casting_vote=chair_casting_vote)
    return board
