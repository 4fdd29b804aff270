"""Reads of the register, already narrowed by the policy, and the matching of entries to agenda items."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404

from boardroom import policy
from boardroom.policy import Action
from meetings.models import AgendaItem, Board, Declaration, Meeting, MeetingStatus, Membership

from .models import Dismissal, Interest, ItemInterestTag
from .services import DECLARING_ROLES

AnyUser = User | AnonymousUser


def register_board(user: AnyUser, pk: int) -> Board:
    """The board whose register ``user`` may read, or 404 (missing, not theirs, or an observer's)."""
    board = policy.get_or_404(user, Action.VIEW, Board.objects.all(), pk=pk)
    if not may_read_register(user, board):
        raise Http404("No such page.")
    return board


def may_read_register(user: AnyUser, board: Board) -> bool:
    # The rule for an entry depends only on the reader's seat on its board, so an unsaved entry
    # of that board asks the policy exactly the question "may this person read the register?".
    return policy.can(user, Action.VIEW, Interest(board=board))


def may_manage_register(user: AnyUser, board: Board) -> bool:
    """Whether ``user`` keeps everyone's entries on ``board`` (its secretary or chair)."""
    return policy.can(user, Action.MANAGE, board) and may_read_register(user, board)


def interests_of(user: AnyUser, board: Board) -> QuerySet[Interest]:
    return policy.visible(user, Interest.objects.filter(board=board)).select_related("member")


@dataclass
class RegisterRow:
    seat: Membership
    current: list[Interest]
    past: list[Interest]


def register_of(user: AnyUser, board: Board) -> list[RegisterRow]:
    """The register by member: everyone who declares on the board today, with their current and
    past entries; then anyone no longer seated who still has entries (their history stays)."""
    seats = list(
        Membership.objects.current()
        .filter(board=board, role__in=DECLARING_ROLES)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    rows: dict[int, RegisterRow] = {s.user_id: RegisterRow(s, [], []) for s in seats}
    for interest in interests_of(user, board).order_by("-registered_at"):
        row = rows.get(interest.member_id)
        if row is None:
            row = rows[interest.member_id] = RegisterRow(Membership(user=interest.member, board=board), [], [])
        (row.current if interest.ended_at is None else row.past).append(interest)
    return list(rows.values())


# --- matching ------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _pattern(keyword: str) -> re.Pattern[str]:
    """A keyword as a whole word or phrase, any case, any run of spaces between its words:
    "Mill Lane" matches "mill  lane's" and "MILL LANE", not "Millane" or "windmill lanes"."""
    words = [re.escape(w) for w in keyword.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def matching_keyword(interest: Interest, item: AgendaItem) -> str | None:
    """The first of the entry's keywords found in the item's title or description."""
    text = f"{item.title}\n{item.description}"
    for keyword in interest.keywords or []:
        if isinstance(keyword, str) and keyword.strip() and _pattern(keyword.strip()).search(text):
            return keyword
    return None


@dataclass
class Match:
    item: AgendaItem
    interest: Interest
    tagged: bool
    keyword: str | None
    dismissed: bool = False

    @property
    def member(self) -> User:
        return self.interest.member

    @property
    def why(self) -> str:
        if self.tagged:
            return "tagged by the secretary"
        return f"keyword “{self.keyword}”"


def _matches(items: list[AgendaItem], interests: list[Interest], tags: set[tuple[int, int]]) -> list[Match]:
    found = []
    for item in items:
        for interest in interests:
            tagged = (item.pk, interest.pk) in tags
            keyword = None if tagged else matching_keyword(interest, item)
            if tagged or keyword:
                found.append(Match(item=item, interest=interest, tagged=tagged, keyword=keyword))
    return found


def _declared(items: list[AgendaItem], member_ids: set[int]) -> set[tuple[int, int]]:
    """(item, member) pairs already declared, on the item itself or on its parent (which recuses
    from the item too)."""
    ids = {i.pk for i in items} | {i.parent_id for i in items if i.parent_id}
    rows = Declaration.objects.filter(item_id__in=ids, user_id__in=member_ids).values_list("item_id", "user_id")
    on = set(rows)
    result = set()
    for item in items:
        for item_id, user_id in on:
            if item_id in (item.pk, item.parent_id):
                result.add((item.pk, user_id))
    return result


def meeting_matches(user: AnyUser, meeting: Meeting) -> list[Match]:
    """Every (item, member, entry) of the meeting that may call for a declaration, as the
    secretary sees them before publishing: the items ``user`` may see against the current
    entries they may read, less members who already declared on the item. A member's "not
    relevant" answer is shown, not hidden: the secretary may still want to ask."""
    if not may_read_register(user, meeting.board):
        return []
    items = list(
        policy.visible(user, AgendaItem.objects.filter(meeting=meeting)).select_related("meeting").order_by("sort_key")
    )
    interests = list(
        interests_of(user, meeting.board).filter(ended_at__isnull=True).order_by("member__last_name", "pk")
    )
    if not items or not interests:
        return []
    tags = set(
        policy.visible(user, ItemInterestTag.objects.filter(item__in=items)).values_list("item_id", "interest_id")
    )
    declared = _declared(items, {i.member_id for i in interests})
    dismissed = set(
        policy.visible(user, Dismissal.objects.filter(item__in=items)).values_list("item_id", "interest_id")
    )
    found = []
    for match in _matches(items, interests, tags):
        if (match.item.pk, match.interest.member_id) in declared:
            continue
        match.dismissed = (match.item.pk, match.interest.pk) in dismissed
        found.append(match)
    return found


def prompts_for(user: AnyUser, meeting: Meeting, items: list[AgendaItem] | None = None) -> list[Match]:
    """What to ask ``user`` on the meeting page: their own current entries against the items they
    may still take part in, less what they declared or answered "not relevant" to. Nothing
    outside a published or live meeting (declarations are made only then)."""
    if meeting.status not in (MeetingStatus.PUBLISHED, MeetingStatus.LIVE) or not isinstance(user, User):
        return []
    if not policy.can(user, Action.PARTICIPATE, meeting):
        return []
    interests = list(
        interests_of(user, meeting.board).filter(ended_at__isnull=True).filter(member=user).order_by("registered_at")
    )
    if not interests:
        return []
    if items is None:
        items = list(policy.visible(user, AgendaItem.objects.filter(meeting=meeting)).order_by("sort_key"))
    # The items are those the policy lets the user see (Part B as their grants allow, none they
    # are recused from) of a meeting they may take part in: so they may declare on each.
    ids = [i.pk for i in items]
    tags = set(
        policy.visible(user, ItemInterestTag.objects.filter(item_id__in=ids, interest__in=interests)).values_list(
            "item_id", "interest_id"
        )
    )
    dismissed = set(
        policy.visible(user, Dismissal.objects.filter(item_id__in=ids, interest__in=interests, user=user)).values_list(
            "item_id", "interest_id"
        )
    )
    # No declarations to leave out: an item the user declared on (or on its parent) is one the
    # policy no longer shows them, so it is not among ``items``.
    return [m for m in _matches(items, interests, tags) if (m.item.pk, m.interest.pk) not in dismissed]


def declarations_not_on_register(user: AnyUser, board: Board, limit: int = 10) -> list[Declaration]:
    """The user's own recent declarations at this board's meetings whose words are not already
    a current entry of theirs: candidates for the register. The item itself is not shown (they
    are recused from it); its meeting is."""
    if not isinstance(user, User) or not policy.can(user, Action.MANAGE, Interest(board=board, member=user)):
        return []
    meetings = policy.visible(user, Meeting.objects.filter(board=board))
    held = {
        d.casefold()
        for d in Interest.objects.filter(ended_at__isnull=True)
        .filter(board=board, member=user)
        .values_list("description", flat=True)
    }
    recent = (
        Declaration.objects.filter(user=user, item__meeting__in=meetings)
        .select_related("item__meeting")
        .order_by("-created_at")
    )
    found: list[Declaration] = []
    seen: set[str] = set()
    for declaration in recent[:50]:
        words = " ".join(declaration.nature.split()).casefold()
        if words in held or words in seen:
            continue
        seen.add(words)
        found.append(declaration)
        if len(found) >= limit:
            break
    return found


def tags_of(user: AnyUser, meeting: Meeting) -> QuerySet[ItemInterestTag]:
    return policy.visible(user, ItemInterestTag.objects.filter(item__meeting=meeting)).select_related(
        "item", "interest__member"
    )


__all__ = [
    "Match",
    "RegisterRow",
    "declarations_not_on_register",
    "interests_of",
    "matching_keyword",
    "may_manage_register",
    "may_read_register",
    "meeting_matches",
    "prompts_for",
    "register_board",
    "register_of",
    "tags_of",
]
