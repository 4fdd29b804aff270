"""Writes to a board's register of interests, and the answers to its prompts.

Each function validates its input, asks the policy, writes inside a transaction and records
the audit entry. A declaration made from the register is recorded by
``meetings.services.declaration_record``, the one way declarations are made, so it recuses the
member and feeds the minutes exactly as one typed in the meeting would (docs/interests.md).
"""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from boardroom import audit, policy
from boardroom.policy import Action
from meetings import services as meeting_services
from meetings.models import AgendaItem, Board, Declaration, Membership, Role

from .models import Category, Dismissal, Interest, ItemInterestTag

__all__ = [
    "MAX_KEYWORDS",
    "parse_keywords",
    "interest_register",
    "interest_update",
    "interest_end",
    "interest_register_declaration",
    "item_tag",
    "item_untag",
    "interest_declare",
    "interest_dismiss",
]

MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 80
# Those who sit and declare: an observer takes no part, so has nothing to register.
DECLARING_ROLES = (Role.CHAIR, Role.SECRETARY, Role.MEMBER)


def parse_keywords(text: str | list[str]) -> list[str]:
    """Keywords as typed (one a line, or separated by commas), tidied: spaces collapsed, no
    repeats (whatever the case), none shorter than two characters."""
    parts = text if isinstance(text, list) else re.split(r"[\n,;]", text)
    found: list[str] = []
    seen: set[str] = set()
    for part in parts:
        word = " ".join(str(part).split())
        if len(word) < 2 or word.casefold() in seen:
            continue
        if len(word) > MAX_KEYWORD_LENGTH:
            raise ValidationError(f"Keep each keyword under {MAX_KEYWORD_LENGTH} characters: “{word[:30]}…” is longer.")
        seen.add(word.casefold())
        found.append(word)
    if len(found) > MAX_KEYWORDS:
        raise ValidationError(f"At most {MAX_KEYWORDS} keywords: pick the words an agenda would use.")
    return found


def _clean(description: str, category: str) -> tuple[str, str]:
    description = " ".join(description.split())
    if not description:
        raise ValidationError("Say what the interest is, as it should read in the minutes.")
    if len(description) > 300:
        raise ValidationError("Keep the description under 300 characters.")
    if category and category not in Category.values:
        raise ValidationError("Choose a category from the list, or none.")
    return description, category


def _require(actor: User, action: Action, obj: Interest | ItemInterestTag | Dismissal) -> None:
    policy.forget(actor)
    if not policy.can(actor, action, obj):
        raise PermissionDenied("Only the member or the board's secretary can change this entry.")


@transaction.atomic
def interest_register(
    *,
    actor: User,
    board: Board,
    member: User,
    description: str,
    keywords: str | list[str] = "",
    category: str = "",
) -> Interest:
    """Add an entry to ``board``'s register for ``member`` (themselves, or anyone for the secretary).

    The member must hold a seat on the board today from which they declare (not an observer).
    """
    interest = Interest(board=board, member=member)
    _require(actor, Action.MANAGE, interest)
    if not Membership.objects.current().filter(board=board, user=member, role__in=DECLARING_ROLES).exists():
        raise ValidationError("Only a member of the board has entries on its register.")
    interest.description, interest.category = _clean(description, category)
    interest.keywords = parse_keywords(keywords)
    interest.created_by = interest.changed_by = actor
    interest.save()
    audit.record("interest.registered", actor=actor, obj=interest, board_id=board.pk, member=member.pk)
    return interest


@transaction.atomic
def interest_update(
    *, actor: User, interest: Interest, description: str, keywords: str | list[str] = "", category: str = ""
) -> Interest:
    """Change a current entry. An ended entry is history and stays as it was."""
    _require(actor, Action.MANAGE, interest)
    if interest.ended_at is not None:
        raise ValidationError("This entry has ended; add a new one instead.", code="ended")
    interest.description, interest.category = _clean(description, category)
    interest.keywords = parse_keywords(keywords)
    interest.changed_by = actor
    interest.save(update_fields=["description", "category", "keywords", "changed_by", "changed_at"])
    audit.record("interest.changed", actor=actor, obj=interest, board_id=interest.board_id, member=interest.member_id)
    return interest


@transaction.atomic
def interest_end(*, actor: User, interest: Interest) -> Interest:
    """End an entry: it moves to the register's past entries and no longer prompts anyone."""
    _require(actor, Action.MANAGE, interest)
    if interest.ended_at is not None:
        raise ValidationError("This entry has already ended.", code="ended")
    interest.ended_at = timezone.now()
    interest.changed_by = actor
    interest.save(update_fields=["ended_at", "changed_by", "changed_at"])
    audit.record("interest.ended", actor=actor, obj=interest, board_id=interest.board_id, member=interest.member_id)
    return interest


@transaction.atomic
def interest_register_declaration(*, actor: User, declaration: Declaration) -> Interest:
    """Carry a declaration made at a meeting onto the declarer's register, in its own words."""
    if declaration.user_id != actor.pk:
        raise PermissionDenied("Only the member who declared can put it on their register.")
    board = declaration.item.meeting.board
    return interest_register(actor=actor, board=board, member=actor, description=declaration.nature)


def _same_board(item: AgendaItem, interest: Interest) -> None:
    if item.meeting.board_id != interest.board_id:
        raise ValidationError("That entry is on another board's register.")
    if interest.ended_at is not None:
        raise ValidationError("That entry has ended.", code="ended")


@transaction.atomic
def item_tag(*, actor: User, item: AgendaItem, interest: Interest) -> ItemInterestTag:
    """The secretary marks ``item`` as concerning ``interest``: its member will be asked."""
    tag = ItemInterestTag(item=item, interest=interest, tagged_by=actor)
    _same_board(item, interest)
    _require(actor, Action.MANAGE, tag)
    existing = ItemInterestTag.objects.filter(item=item, interest=interest).first()
    if existing is not None:
        return existing
    tag.save()
    audit.record("interest.tagged", actor=actor, obj=tag, board_id=interest.board_id, item=item.pk)
    return tag


@transaction.atomic
def item_untag(*, actor: User, tag: ItemInterestTag) -> None:
    _require(actor, Action.MANAGE, tag)
    audit.record("interest.untagged", actor=actor, obj=tag, board_id=tag.interest.board_id, item=tag.item_id)
    tag.delete()


@transaction.atomic
def interest_declare(*, actor: User, interest: Interest, item: AgendaItem) -> Declaration:
    """Declare a registered interest on ``item``, in the register's words: recorded by the
    meetings' own service, which recuses the member from the item at once."""
    _require(actor, Action.MANAGE, interest)
    _same_board(item, interest)
    return meeting_services.declaration_record(
        actor=actor, item=item, user=interest.member, nature=interest.description
    )


@transaction.atomic
def interest_dismiss(*, actor: User, interest: Interest, item: AgendaItem) -> Dismissal:
    """The member says the entry does not concern ``item``: they are not asked about it again."""
    _same_board(item, interest)
    dismissal = Dismissal(item=item, interest=interest, user=actor)
    _require(actor, Action.MANAGE, dismissal)
    existing = Dismissal.objects.filter(item=item, interest=interest).first()
    if existing is not None:
        return existing
    dismissal.save()
    audit.record("interest.not_relevant", actor=actor, obj=dismissal, board_id=interest.board_id, item=item.pk)
    return dismissal
