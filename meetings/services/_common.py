"""Shared checks for the services."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from boardroom import policy
from boardroom.policy import Action

from ..models import (
    Board,
)


def _require(actor: User | None, action: Action, obj: object) -> None:
    if actor is None or not policy.can(actor, action, obj):  # type: ignore[arg-type]
        raise PermissionDenied(f"Not allowed to {action} this {type(obj).__name__.lower()}.")


def _require_board_admin(actor: User | None, board: Board | None) -> None:
    """Board set-up is for the board's secretary or chair, or a staff administrator."""
    if actor is not None and policy.may_administer_boards(actor):
        return
    if board is None:
        raise PermissionDenied("Only an administrator may create boards.")
    _require(actor, Action.MANAGE, board)
