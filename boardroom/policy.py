"""The one permission policy of Boardroom.

Every question of access goes through here:

* ``can(user, action, obj)`` — may this user do this to this object?
* ``visible(user, queryset)`` — which of these objects may this user see (filtered in SQL)?
* ``audience(obj)`` — who may see this object (for notifications and live fan-out)?
* ``get_or_404(user, action, queryset, **lookup)`` — the object, or 404 if the user may not
  know it exists (403 if they may see it but not do ``action``).

django-guardian stores the grants: each role on a board is a set of object permissions on the
``Board``. The policy adds what grants cannot express: a grant counts only while the user holds
a membership in force that day; Part B (confidential) items need ``view_confidential``; draft
meetings (and written resolutions not yet circulated) are seen only by those who prepare them; a
written resolution is voted on only by the members frozen on its eligible list who have not
declared an interest. Superusers and global (model-level) permissions open nothing here: board
content is reached through board grants alone.

The public part (at the end) answers the same questions for people who are not signed in, on
the public site of boards that opted in: ``can_public(obj)``, ``public_visible(queryset)``,
``public_get_or_404(queryset, **lookup)``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import F, Model, Q, QuerySet
from django.http import Http404

from documents.models import Annotation, Paper, PaperVersion, Visibility
from meetings.models import (
    AgendaItem,
    Board,
    BoardGroupObjectPermission,
    BoardUserObjectPermission,
    Declaration,
    Meeting,
    MeetingStatus,
    Membership,
    Motion,
    PublicPartB,
    Resolution,
    ResolutionStatus,
    ResolutionVoter,
    Role,
)

M = TypeVar("M", bound=Model)
AnyUser = User | AnonymousUser


class Action(StrEnum):
    VIEW = "view"  # see it exists and read it (download, for papers)
    MANAGE = "manage"  # build agendas, upload papers, edit meeting details
    PUBLISH = "publish"  # publish a meeting to its members
    CHAIR = "chair"  # start/close a meeting, set the current item
    PARTICIPATE = "participate"  # comment, declare interests, vote


# Board-level grants (guardian codenames on Board).
VIEW_BOARD = "view_board"
VIEW_CONFIDENTIAL = "view_confidential"
MANAGE_BOARD = "manage_board"
CHAIR_BOARD = "chair_board"
PARTICIPATE = "participate"

ROLE_GRANTS: dict[str, frozenset[str]] = {
    Role.CHAIR: frozenset({VIEW_BOARD, VIEW_CONFIDENTIAL, MANAGE_BOARD, CHAIR_BOARD, PARTICIPATE}),
    Role.SECRETARY: frozenset({VIEW_BOARD, VIEW_CONFIDENTIAL, MANAGE_BOARD, PARTICIPATE}),
    Role.MEMBER: frozenset({VIEW_BOARD, VIEW_CONFIDENTIAL, PARTICIPATE}),
    Role.OBSERVER: frozenset({VIEW_BOARD}),
}
ALL_GRANTS: frozenset[str] = frozenset().union(*ROLE_GRANTS.values())

# Meetings members may take part in (comment, declare, vote).
OPEN_FOR_PARTICIPATION = frozenset({MeetingStatus.PUBLISHED, MeetingStatus.LIVE})


@dataclass(frozen=True)
class Access:
    """What one user holds, per board id: the grants that count today."""

    grants: dict[int, frozenset[str]] = field(default_factory=dict)
    # Agenda items (and their sub-items) the user is recused from by a declared interest.
    recused: frozenset[int] = frozenset()
    # Whose access this is: written resolutions are voted on by a frozen list of people.
    user_id: int | None = None

    def boards_with(self, codename: str) -> set[int]:
        return {board_id for board_id, held in self.grants.items() if codename in held}

    def on(self, board_id: int) -> frozenset[str]:
        return self.grants.get(board_id, frozenset())


NO_ACCESS = Access()
_CACHE_ATTR = "_boardroom_access"


def access_for(user: AnyUser | None) -> Access:
    """The user's grants that count today. Memoised on the user object for one request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    access = _load_access([user.pk]).get(user.pk, NO_ACCESS)
    setattr(user, _CACHE_ATTR, access)
    return access


def forget(user: AnyUser) -> None:
    """Drop the memoised grants (after a membership or grant change, or on a long-lived socket)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _load_access(user_ids: Iterable[int], board_id: int | None = None) -> dict[int, Access]:
    """Grants in force for several users: guardian grants on boards where a membership is current."""
    user_ids = list(user_ids)
    current = Membership.objects.current().filter(user_id__in=user_ids)
    if board_id is not None:
        current = current.filter(board_id=board_id)
    seated: set[tuple[int, int]] = set(current.values_list("user_id", "board_id"))
    if not seated:
        return {}
    boards = {b for _, b in seated}
    found: dict[tuple[int, int], set[str]] = {}
    direct = BoardUserObjectPermission.objects.filter(
        user_id__in=user_ids, content_object_id__in=boards, permission__codename__in=ALL_GRANTS
    ).values_list("user_id", "content_object_id", "permission__codename")
    via_groups = BoardGroupObjectPermission.objects.filter(
        group__user__in=user_ids, content_object_id__in=boards, permission__codename__in=ALL_GRANTS
    ).values_list("group__user", "content_object_id", "permission__codename")
    for uid, bid, codename in [*direct, *via_groups]:
        if (uid, bid) in seated:
            found.setdefault((uid, bid), set()).add(codename)
    result: dict[int, dict[int, frozenset[str]]] = {}
    for (uid, bid), codenames in found.items():
        result.setdefault(uid, {})[bid] = frozenset(codenames)
    recused: dict[int, set[int]] = {}
    declared = Declaration.objects.filter(user_id__in=list(result), item__meeting__board_id__in=boards)
    for uid, item_id, child_id in declared.values_list("user_id", "item_id", "item__children"):
        recused.setdefault(uid, set()).add(item_id)
        if child_id is not None:
            recused[uid].add(child_id)
    return {uid: Access(grants, frozenset(recused.get(uid, ())), uid) for uid, grants in result.items()}


# --- the rules -------------------------------------------------------------------------------


def _meeting_rule(held: frozenset[str], meeting: Meeting, action: Action) -> bool:
    if VIEW_BOARD not in held:
        return False
    prepares = MANAGE_BOARD in held or CHAIR_BOARD in held
    if meeting.status == MeetingStatus.DRAFT and not prepares:
        return False
    if action == Action.VIEW:
        return True
    if action in (Action.MANAGE, Action.PUBLISH):
        return MANAGE_BOARD in held
    if action == Action.CHAIR:
        return CHAIR_BOARD in held and meeting.status != MeetingStatus.DRAFT
    if action == Action.PARTICIPATE:
        return PARTICIPATE in held and meeting.status in OPEN_FOR_PARTICIPATION
    return False


def _item_rule(held: frozenset[str], item: AgendaItem, action: Action, recused: frozenset[int]) -> bool:
    if item.confidential and VIEW_CONFIDENTIAL not in held:
        return False
    if item.pk in recused:
        return False
    if action == Action.PUBLISH:
        return False
    return _meeting_rule(held, item.meeting, action)


def _resolution_rule(access: Access, held: frozenset[str], resolution: Resolution, action: Action) -> bool:
    """Drafts are for those who prepare them; confidential ones need Part B; votes come only from
    the members frozen on the eligible list at circulation, less those who declared an interest."""
    if VIEW_BOARD not in held:
        return False
    if resolution.confidential and VIEW_CONFIDENTIAL not in held:
        return False
    prepares = MANAGE_BOARD in held or CHAIR_BOARD in held
    if resolution.circulated_at is None and not prepares:
        return False
    if action == Action.VIEW:
        return True
    if action == Action.MANAGE:
        return MANAGE_BOARD in held
    if action == Action.PARTICIPATE:
        return (
            PARTICIPATE in held
            and resolution.status == ResolutionStatus.CIRCULATED
            and access.user_id is not None
            and ResolutionVoter.objects.filter(resolution=resolution, user_id=access.user_id, interest="").exists()
        )
    return False


def _allowed(access: Access, obj: Model, action: Action) -> bool:
    held = access.on(board_id_of(obj))
    if isinstance(obj, Board):
        if action == Action.VIEW:
            return VIEW_BOARD in held
        if action == Action.MANAGE:
            return VIEW_BOARD in held and MANAGE_BOARD in held
        return False
    if isinstance(obj, Meeting):
        return _meeting_rule(held, obj, action)
    if isinstance(obj, AgendaItem):
        return _item_rule(held, obj, action, access.recused)
    if isinstance(obj, Paper):
        if obj.removed_at is not None:
            return False  # in the bin: only restored (documents.services.paper_restore) or purged
        if action == Action.VIEW and obj.current_version_id is None and MANAGE_BOARD not in held:
            return False  # still processing, or refused: only those who manage the board see it
        return action in (Action.VIEW, Action.MANAGE) and _item_rule(held, obj.item, action, access.recused)
    if isinstance(obj, PaperVersion):
        if obj.paper.removed_at is not None:
            return False
        item = obj.paper.item
        return action in (Action.VIEW, Action.MANAGE) and _item_rule(held, item, action, access.recused)
    if isinstance(obj, Resolution):
        return _resolution_rule(access, held, obj, action)
    if isinstance(obj, Annotation):
        return _annotation_rule(access, held, obj, action)
    if _is_interests_object(obj):
        return _interests_allowed(access, held, obj, action)
    if _is_minutes_object(obj):
        return _minutes_allowed(access, obj, action)
    raise TypeError(f"The policy has no rules for {type(obj).__name__}")


def _annotation_rule(access: Access, held: frozenset[str], annotation: Annotation, action: Action) -> bool:
    """Private annotations are their author's alone; shared ones are for whoever may read the paper.
    Only the author changes one (MANAGE), and only while they may still read the paper."""
    if annotation.deleted_at is not None or annotation.paper.removed_at is not None:
        return False
    if not _item_rule(held, annotation.paper.item, Action.VIEW, access.recused):
        return False
    mine = annotation.author_id == access.user_id
    if action == Action.VIEW:
        return mine or annotation.visibility == Visibility.SHARED
    if action == Action.MANAGE:
        return mine
    return False


def board_id_of(obj: Model) -> int:
    if isinstance(obj, Board):
        return obj.pk
    if isinstance(obj, Meeting):
        return obj.board_id
    if isinstance(obj, AgendaItem):
        return obj.meeting.board_id
    if isinstance(obj, Paper):
        return obj.item.meeting.board_id
    if isinstance(obj, PaperVersion):
        return obj.paper.item.meeting.board_id
    if isinstance(obj, Resolution):
        return obj.board_id
    if isinstance(obj, Annotation):
        return obj.paper.item.meeting.board_id
    if _is_interests_object(obj):
        return _interests_board_id(obj)
    if _is_minutes_object(obj):
        return _minutes_board_id(obj)
    raise TypeError(f"The policy has no rules for {type(obj).__name__}")


# --- the questions ---------------------------------------------------------------------------


def can(user: AnyUser | None, action: Action | str, obj: Model) -> bool:
    """May ``user`` do ``action`` to ``obj``?"""
    access = access_for(user)
    if not access.grants:
        return False
    return _allowed(access, obj, Action(action))


def _visibility_q(access: Access, model: type[Model], prefix: str = "") -> Q:
    """A filter selecting the objects of ``model`` the holder of ``access`` may see."""
    viewable = access.boards_with(VIEW_BOARD)
    if model is Board:
        return Q(**{f"{prefix}pk__in": viewable})
    if model is Meeting:
        preparing = (access.boards_with(MANAGE_BOARD) | access.boards_with(CHAIR_BOARD)) & viewable
        return Q(**{f"{prefix}board_id__in": viewable}) & (
            ~Q(**{f"{prefix}status": MeetingStatus.DRAFT}) | Q(**{f"{prefix}board_id__in": preparing})
        )
    if model is AgendaItem:
        confidential_ok = access.boards_with(VIEW_CONFIDENTIAL) & viewable
        return (
            _visibility_q(access, Meeting, f"{prefix}meeting__")
            & (Q(**{f"{prefix}confidential": False}) | Q(**{f"{prefix}meeting__board_id__in": confidential_ok}))
            & ~Q(**{f"{prefix}pk__in": access.recused})
        )
    if model is Paper:
        managing = access.boards_with(MANAGE_BOARD)
        return (
            _visibility_q(access, AgendaItem, f"{prefix}item__")
            & Q(**{f"{prefix}removed_at__isnull": True})
            & (
                Q(**{f"{prefix}current_version__isnull": False})
                | Q(**{f"{prefix}item__meeting__board_id__in": managing})
            )
        )
    if model is PaperVersion:
        return _visibility_q(access, Paper, f"{prefix}paper__")
    if model is Resolution:
        confidential_ok = access.boards_with(VIEW_CONFIDENTIAL) & viewable
        preparing = (access.boards_with(MANAGE_BOARD) | access.boards_with(CHAIR_BOARD)) & viewable
        return (
            Q(**{f"{prefix}board_id__in": viewable})
            & (Q(**{f"{prefix}confidential": False}) | Q(**{f"{prefix}board_id__in": confidential_ok}))
            & (Q(**{f"{prefix}circulated_at__isnull": False}) | Q(**{f"{prefix}board_id__in": preparing}))
        )
    if model is Annotation:
        return (
            _visibility_q(access, AgendaItem, f"{prefix}paper__item__")
            & Q(**{f"{prefix}paper__removed_at__isnull": True})
            & Q(**{f"{prefix}deleted_at__isnull": True})
            & (Q(**{f"{prefix}visibility": Visibility.SHARED}) | Q(**{f"{prefix}author_id": access.user_id}))
        )
    if model._meta.app_label in INTERESTS_APPS:
        return _interests_visibility_q(access, model, prefix)
    if model._meta.app_label in MINUTES_APPS:
        return _minutes_visibility_q(access, model, prefix)
    raise TypeError(f"The policy has no rules for {model.__name__}")


def visible(user: AnyUser | None, queryset: QuerySet[M]) -> QuerySet[M]:
    """Narrow ``queryset`` to the objects ``user`` may see, inside the SQL query."""
    access = access_for(user)
    if not access.grants:
        return queryset.none()
    return queryset.filter(_visibility_q(access, queryset.model))


def get_or_404(user: AnyUser | None, action: Action | str, queryset: QuerySet[M], **lookup: Any) -> M:
    """Fetch one object for ``action``.

    Missing and invisible are the same 404, so existence leaks nothing. An object the user
    may see but not act on is a 403.
    """
    try:
        obj = visible(user, queryset).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        _record_denial(user, action, queryset.model, lookup)
        raise Http404("No such page.") from None
    if Action(action) != Action.VIEW and not can(user, action, obj):
        _record_denial(user, action, queryset.model, lookup)
        raise PermissionDenied("You may see this, but not do that.")
    return obj


def _record_denial(user: AnyUser | None, action: Action | str, model: type[Model], lookup: dict[str, Any]) -> None:
    """Refusals of signed-in users are audited (a missing object and a hidden one look the same)."""
    if user is None or not user.is_authenticated:
        return
    from . import audit

    wanted = {key: str(value)[:64] for key, value in lookup.items()}
    audit.record("access.denied", actor=user, action_tried=str(action), model=model.__name__.lower(), lookup=wanted)


def audience(obj: Model, action: Action | str = Action.VIEW) -> QuerySet[User]:
    """Every user who may do ``action`` to ``obj`` today (e.g. who may see it)."""
    board_id = board_id_of(obj)
    seated = Membership.objects.current().filter(board_id=board_id).values_list("user_id", flat=True)
    accesses = _load_access(set(seated), board_id=board_id)
    allowed = [uid for uid, access in accesses.items() if _allowed(access, obj, Action(action))]
    return User.objects.filter(pk__in=allowed, is_active=True)


def direct_grants(user: User, board: Board) -> list[str]:
    """The board codenames granted directly to ``user`` (as stored, whatever the dates say)."""
    return list(
        BoardUserObjectPermission.objects.filter(user=user, content_object=board).values_list(
            "permission__codename", flat=True
        )
    )


def may_administer_boards(user: AnyUser | None) -> bool:
    """Staff administrators set up boards and seats. This opens no board content."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_staff", False)
        and user.has_perm("meetings.add_membership")
    )


def visible_once_published(user: AnyUser | None, items: list[AgendaItem]) -> list[AgendaItem]:
    """The items ``user`` will see when their (draft) meeting is published: the publish preview."""
    access = access_for(user)
    shown = []
    for item in items:
        as_published = copy.copy(item.meeting)
        as_published.status = MeetingStatus.PUBLISHED
        candidate = copy.copy(item)
        candidate.meeting = as_published
        if _allowed(access, candidate, Action.VIEW):
            shown.append(item)
    return shown


# --- the public (no sign-in) -----------------------------------------------------------------
#
# What anyone on the internet may see on a board's public site. Separate from the rules above:
# no grants, no user. Every public view, feed and download asks only these functions. The rules:
# only boards that opted in (``Board.public_site``); only meetings past draft; only items that
# are not Part B (nor under a Part B item); only the ready papers of those items, in their
# current version; only closed votes on those items; only questions the secretary approved.
# Anything else is a 404, as for a member.


def _public_q(model: type[Model], prefix: str = "") -> Q:
    """A filter selecting the objects of ``model`` the public may see."""
    from public.models import PublicQuestion, QuestionStatus

    if model is Board:
        return Q(**{f"{prefix}public_site": True})
    if model is Meeting:
        return _public_q(Board, f"{prefix}board__") & ~Q(**{f"{prefix}status": MeetingStatus.DRAFT})
    if model is AgendaItem:
        return (
            _public_q(Meeting, f"{prefix}meeting__")
            & Q(**{f"{prefix}confidential": False})
            & (Q(**{f"{prefix}parent__isnull": True}) | Q(**{f"{prefix}parent__confidential": False}))
        )
    if model is Paper:
        return (
            _public_q(AgendaItem, f"{prefix}item__")
            & Q(**{f"{prefix}current_version__isnull": False})
            & Q(**{f"{prefix}removed_at__isnull": True})
        )
    if model is PaperVersion:
        # Only the version members read now: earlier versions stay with those who manage the board.
        return _public_q(Paper, f"{prefix}paper__") & Q(**{f"{prefix}paper__current_version": F(f"{prefix}pk")})
    if model is Motion:
        return _public_q(AgendaItem, f"{prefix}item__") & Q(**{f"{prefix}status": Motion.Status.CLOSED})
    if model is PublicQuestion:
        return _public_q(AgendaItem, f"{prefix}item__") & Q(**{f"{prefix}status": QuestionStatus.APPROVED})
    raise TypeError(f"The public policy has no rules for {model.__name__}")


def public_visible(queryset: QuerySet[M]) -> QuerySet[M]:
    """Narrow ``queryset`` to what the public may see, inside the SQL query."""
    return queryset.filter(_public_q(queryset.model))


def can_public(obj: Model) -> bool:
    """May anyone, signed in or not, see ``obj`` on the public site?"""
    if obj.pk is None:
        return False
    return public_visible(type(obj)._default_manager.filter(pk=obj.pk)).exists()


def public_get_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """The object if the public may see it; otherwise (missing, hidden, malformed lookup) a 404."""
    try:
        return public_visible(queryset).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("No such page.") from None


def public_exempt_items(meeting: Meeting) -> QuerySet[AgendaItem]:
    """Part B items whose title the board chose to show publicly, marked exempt (never their
    description, presenter or papers). Empty when the board hides Part B or the meeting is not public."""
    if not can_public(meeting) or meeting.board.public_part_b != PublicPartB.TITLE:
        return AgendaItem.objects.none()
    return AgendaItem.objects.filter(meeting=meeting).exclude(_public_q(AgendaItem))


# --- minutes, actions and the search index ---------------------------------------------------
#
# Minutes follow their meeting and items: a draft is for those who prepare the board's meetings;
# circulated, approved and signed minutes are for the members who may see the meeting; each item's
# minute (its decisions and actions too) follows the item: Part B needs ``view_confidential`` and
# a recused member does not see the minute of the item they are recused from. An action is also
# seen, and moved on, by its owner. A search entry is seen exactly when its page or minute is.

MINUTES_APPS = frozenset({"minutes", "search"})


def _is_minutes_object(obj: Model) -> bool:
    return obj._meta.app_label in MINUTES_APPS


def _minutes_board_id(obj: Model) -> int:
    from minutes.models import ActionItem, Decision, MinuteItem, Minutes, MinutesRender
    from search.models import SearchEntry

    if isinstance(obj, Minutes):
        return obj.meeting.board_id
    if isinstance(obj, MinuteItem):
        return obj.minutes.meeting.board_id
    if isinstance(obj, Decision):
        return obj.entry.minutes.meeting.board_id
    if isinstance(obj, ActionItem | SearchEntry):
        return obj.board_id
    if isinstance(obj, MinutesRender):
        return obj.minutes.meeting.board_id
    raise TypeError(f"The policy has no rules for {type(obj).__name__}")


def _minutes_rule(held: frozenset[str], minutes: Any, action: Action) -> bool:
    from minutes.models import MinutesStatus

    if not _meeting_rule(held, minutes.meeting, Action.VIEW):
        return False
    prepares = MANAGE_BOARD in held or CHAIR_BOARD in held
    if minutes.status == MinutesStatus.DRAFT and not prepares:
        return False
    if action == Action.VIEW:
        return True
    if action == Action.MANAGE:
        return MANAGE_BOARD in held
    if action == Action.CHAIR:
        return CHAIR_BOARD in held
    if action == Action.PARTICIPATE:
        return PARTICIPATE in held and minutes.status == MinutesStatus.CIRCULATED
    return False


def _entry_rule(access: Access, held: frozenset[str], entry: Any, action: Action) -> bool:
    return _item_rule(held, entry.item, Action.VIEW, access.recused) and _minutes_rule(held, entry.minutes, action)


def _minutes_allowed(access: Access, obj: Model, action: Action) -> bool:
    from minutes.models import ActionItem, Decision, MinuteItem, Minutes, MinutesRender
    from search.models import SearchEntry

    held = access.on(board_id_of(obj))
    if isinstance(obj, Minutes):
        return _minutes_rule(held, obj, action)
    if isinstance(obj, MinuteItem):
        return action in (Action.VIEW, Action.MANAGE) and _entry_rule(access, held, obj, action)
    if isinstance(obj, Decision):
        return action == Action.VIEW and _entry_rule(access, held, obj.entry, action)
    if isinstance(obj, ActionItem):
        owns = obj.owner_id is not None and obj.owner_id == access.user_id and VIEW_BOARD in held
        if action == Action.VIEW:
            return owns or _entry_rule(access, held, obj.entry, Action.VIEW)
        if action == Action.MANAGE:
            return _entry_rule(access, held, obj.entry, Action.MANAGE)
        if action == Action.PARTICIPATE:
            return owns or _entry_rule(access, held, obj.entry, Action.MANAGE)
        return False
    if isinstance(obj, MinutesRender):
        if action != Action.VIEW or not _minutes_rule(held, obj.minutes, action):
            return False
        items = AgendaItem.objects.filter(pk__in=obj.items).select_related("meeting")
        return len(items) == len(obj.items) and all(_item_rule(held, i, action, access.recused) for i in items)
    if isinstance(obj, SearchEntry):
        if action != Action.VIEW:
            return False
        if obj.paper_id is not None:
            return _allowed(access, obj.paper, action) if obj.paper is not None else False
        return obj.minute_item is not None and _entry_rule(access, held, obj.minute_item, action)
    raise TypeError(f"The policy has no rules for {type(obj).__name__}")


def _minutes_visibility_q(access: Access, model: type[Model], prefix: str = "") -> Q:
    from minutes.models import ActionItem, Decision, MinuteItem, Minutes, MinutesRender, MinutesStatus
    from search.models import SearchEntry

    if model is Minutes:
        preparing = access.boards_with(MANAGE_BOARD) | access.boards_with(CHAIR_BOARD)
        return _visibility_q(access, Meeting, f"{prefix}meeting__") & (
            ~Q(**{f"{prefix}status": MinutesStatus.DRAFT}) | Q(**{f"{prefix}meeting__board_id__in": preparing})
        )
    if model is MinuteItem:
        return _visibility_q(access, AgendaItem, f"{prefix}item__") & _minutes_visibility_q(
            access, Minutes, f"{prefix}minutes__"
        )
    if model is Decision:
        return _minutes_visibility_q(access, MinuteItem, f"{prefix}entry__")
    if model is ActionItem:
        owned = Q(**{f"{prefix}owner_id": access.user_id}) & Q(
            **{f"{prefix}board_id__in": access.boards_with(VIEW_BOARD)}
        )
        return _minutes_visibility_q(access, MinuteItem, f"{prefix}entry__") | owned
    if model is MinutesRender:
        return _minutes_visibility_q(access, Minutes, f"{prefix}minutes__")
    if model is SearchEntry:
        # The cheap column first: the planner can drop other boards before joining anything.
        return Q(**{f"{prefix}board_id__in": access.boards_with(VIEW_BOARD)}) & (
            (Q(**{f"{prefix}paper__isnull": False}) & _visibility_q(access, Paper, f"{prefix}paper__"))
            | (
                Q(**{f"{prefix}minute_item__isnull": False})
                & _minutes_visibility_q(access, MinuteItem, f"{prefix}minute_item__")
            )
        )
    raise TypeError(f"The policy has no rules for {model.__name__}")


# --- registers of interests --------------------------------------------------------------------
#
# A board's register (interests/, docs/interests.md) is read by the people who sit and declare on
# the board — the chair, the secretary and the members — not by observers, and not by anyone
# outside the board. A member keeps their own entries; whoever manages the board (the secretary,
# the chair) keeps anyone's. An entry stays on the register after it ends: ending is a change.
# The secretary's tag linking an item to an entry is seen by readers of the register who may see
# the item, and set by those who may manage the item. A member's "not relevant" answer to a prompt
# is theirs to give, while they may take part in the item; it is seen by them and the managers.

INTERESTS_APPS = frozenset({"interests"})


def _is_interests_object(obj: Model) -> bool:
    return obj._meta.app_label in INTERESTS_APPS


def _interests_board_id(obj: Model) -> int:
    from interests.models import Dismissal, Interest, ItemInterestTag

    if isinstance(obj, Interest):
        return obj.board_id
    if isinstance(obj, ItemInterestTag | Dismissal):
        return obj.interest.board_id
    raise TypeError(f"The policy has no rules for {type(obj).__name__}")


def _reads_register(held: frozenset[str]) -> bool:
    return VIEW_BOARD in held and (PARTICIPATE in held or MANAGE_BOARD in held)


def _interests_allowed(access: Access, held: frozenset[str], obj: Model, action: Action) -> bool:
    from interests.models import Dismissal, Interest, ItemInterestTag

    if not _reads_register(held):
        return False
    if isinstance(obj, Interest):
        if action == Action.VIEW:
            return True
        if action == Action.MANAGE:
            own = obj.member_id is not None and obj.member_id == access.user_id and PARTICIPATE in held
            return own or MANAGE_BOARD in held
        return False
    if isinstance(obj, ItemInterestTag):
        if obj.item.meeting.board_id != obj.interest.board_id:
            return False
        if action == Action.VIEW:
            return _item_rule(held, obj.item, Action.VIEW, access.recused)
        if action == Action.MANAGE:
            return _item_rule(held, obj.item, Action.MANAGE, access.recused)
        return False
    if isinstance(obj, Dismissal):
        if obj.item.meeting.board_id != obj.interest.board_id:
            return False
        own = obj.user_id == access.user_id and obj.interest.member_id == access.user_id
        if action == Action.VIEW:
            return (own or MANAGE_BOARD in held) and _item_rule(held, obj.item, Action.VIEW, access.recused)
        if action == Action.MANAGE:
            return own and _item_rule(held, obj.item, Action.PARTICIPATE, access.recused)
        return False
    raise TypeError(f"The policy has no rules for {type(obj).__name__}")


def _interests_visibility_q(access: Access, model: type[Model], prefix: str = "") -> Q:
    from interests.models import Dismissal, Interest, ItemInterestTag

    viewable = access.boards_with(VIEW_BOARD)
    readers = viewable & (access.boards_with(PARTICIPATE) | access.boards_with(MANAGE_BOARD))
    if model is Interest:
        return Q(**{f"{prefix}board_id__in": readers})
    if model is ItemInterestTag:
        return (
            Q(**{f"{prefix}interest__board_id__in": readers})
            & Q(**{f"{prefix}item__meeting__board_id": F(f"{prefix}interest__board_id")})
            & _visibility_q(access, AgendaItem, f"{prefix}item__")
        )
    if model is Dismissal:
        managing = access.boards_with(MANAGE_BOARD)
        return (
            Q(**{f"{prefix}interest__board_id__in": readers})
            & Q(**{f"{prefix}item__meeting__board_id": F(f"{prefix}interest__board_id")})
            & _visibility_q(access, AgendaItem, f"{prefix}item__")
            & (
                (Q(**{f"{prefix}user_id": access.user_id}) & Q(**{f"{prefix}interest__member_id": access.user_id}))
                | Q(**{f"{prefix}interest__board_id__in": managing})
            )
        )
    raise TypeError(f"The policy has no rules for {model.__name__}")
