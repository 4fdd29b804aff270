"""Writes for the public site: a citizen's question, its moderation and answer, the board's settings.

Each function validates, asks the policy, writes inside a transaction and records the audit
entry. Audit entries carry identifiers and outcomes only, never a citizen's text or email.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from boardroom import audit, policy
from boardroom.policy import Action
from meetings.models import AgendaItem, Board, PublicPartB

from . import selectors, spam
from .models import PublicQuestion, QuestionKind, QuestionStatus


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many messages from here in the last hour.")
        self.retry_after = retry_after


def _require_manager(actor: User, question: PublicQuestion) -> None:
    if not policy.can(actor, Action.MANAGE, question.item.meeting):
        raise PermissionDenied("Only those who manage the board moderate public questions.")


@transaction.atomic
def question_submit(
    *, item: AgendaItem, name: str, email: str, text: str, kind: str = QuestionKind.QUESTION, sender_key: str
) -> PublicQuestion:
    """A citizen (no account: ``sender_key`` stands for them) sends a question or suggestion.

    Preconditions: the item is on the public site and its meeting still takes questions
    (``selectors.questions_open``); the sender is under the hourly limit (else ``RateLimited``).
    Effect: a pending question, seen only by the board's secretaries and chair until approved.
    """
    if not selectors.questions_open(item):
        raise PermissionDenied("This item does not take questions now.")
    limit = spam.rate_limit(key=sender_key, email=email)
    if not limit.allowed:
        raise RateLimited(limit.retry_after)
    question = PublicQuestion(
        item=item, kind=kind, name=name.strip(), email=email.strip(), text=text.strip(), sender_key=sender_key
    )
    question.full_clean()
    question.save()
    audit.record(
        "public_question.submitted", obj=question, board_id=item.meeting.board_id, actor_label="public", item=item.pk
    )
    return question


def _moderate(question: PublicQuestion, actor: User, status: str, action: str, **detail: Any) -> PublicQuestion:
    question.status = status
    question.moderated_by = actor
    question.moderated_at = timezone.now()
    question.full_clean()
    question.save()
    audit.record(action, actor=actor, obj=question, board_id=question.item.meeting.board_id, **detail)
    return question


@transaction.atomic
def question_approve(*, actor: User, question: PublicQuestion) -> PublicQuestion:
    """Publish a question on the public meeting page (a rejected or merged one may be restored)."""
    _require_manager(actor, question)
    question.reason = ""
    question.merged_into = None
    return _moderate(question, actor, QuestionStatus.APPROVED, "public_question.approved")


@transaction.atomic
def question_reject(*, actor: User, question: PublicQuestion, reason: str) -> PublicQuestion:
    """Refuse a question, with the reason kept for the record. It is never published."""
    _require_manager(actor, question)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why it is rejected (for the record)."})
    question.reason = reason
    question.merged_into = None
    return _moderate(question, actor, QuestionStatus.REJECTED, "public_question.rejected")


@transaction.atomic
def question_merge(*, actor: User, question: PublicQuestion, into: PublicQuestion) -> PublicQuestion:
    """Fold a duplicate into another question on the same meeting; only the other is published and answered."""
    _require_manager(actor, question)
    if into.pk == question.pk or into.item.meeting_id != question.item.meeting_id:
        raise ValidationError({"into": "Choose another question on the same meeting."})
    if into.status in (QuestionStatus.MERGED, QuestionStatus.REJECTED):
        raise ValidationError({"into": "Choose a question that is published or waiting, not one set aside."})
    if into.status == QuestionStatus.PENDING:
        _moderate(into, actor, QuestionStatus.APPROVED, "public_question.approved")
    question.merged_into = into
    question.reason = ""
    # Duplicates that pointed here follow along, so no chain of merges is left behind.
    for duplicate in question.duplicates.all():
        duplicate.merged_into = into
        duplicate.save(update_fields=["merged_into"])
    return _moderate(question, actor, QuestionStatus.MERGED, "public_question.merged", into=into.pk)


@transaction.atomic
def question_answer(*, actor: User, question: PublicQuestion, answer: str) -> PublicQuestion:
    """Record the answer given in (or after) the meeting; it appears on the public page at once.
    An empty answer withdraws it."""
    _require_manager(actor, question)
    if question.status != QuestionStatus.APPROVED:
        raise ValidationError("Only a published question is answered.")
    question.answer = answer.strip()
    question.answered_by = actor if question.answer else None
    question.answered_at = timezone.now() if question.answer else None
    question.full_clean()
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    audit.record("public_question.answered", actor=actor, obj=question, board_id=question.item.meeting.board_id)
    return question


PUBLIC_SETTINGS = (
    "public_site",
    "public_part_b",
    "public_questions",
    "paper_saved_public",
    "paper_cost_per_sheet",
    "print_cost_per_page",
    "postage_per_pack",
    "print_double_sided",
    "currency_symbol",
)


@transaction.atomic
def board_public_settings_update(*, actor: User, board: Board, **changes: Any) -> Board:
    """Change a board's public-site settings (only those who manage the board)."""
    if not policy.can(actor, Action.MANAGE, board):
        raise PermissionDenied("Only those who manage the board change its public site.")
    unknown = set(changes) - set(PUBLIC_SETTINGS)
    if unknown:
        raise ValueError(f"Not a public-site setting: {', '.join(sorted(unknown))}")
    changed = {key: value for key, value in changes.items() if getattr(board, key) != value}
    for key, value in changed.items():
        setattr(board, key, value)
    if board.public_part_b not in PublicPartB.values:
        raise ValidationError({"public_part_b": "Choose how Part B items appear."})
    for key in ("paper_cost_per_sheet", "print_cost_per_page", "postage_per_pack"):
        if Decimal(getattr(board, key)) < 0:
            raise ValidationError({key: "A cost cannot be negative."})
    board.full_clean()
    if changed:
        board.save(update_fields=list(changed))
        audit.record(
            "board.public_settings",
            actor=actor,
            obj=board,
            board_id=board.pk,
            changed={key: str(value) for key, value in changed.items()},
        )
    return board
