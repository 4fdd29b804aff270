"""Meetings, their status, and their agendas."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from boardroom import audit
from boardroom.policy import Action
from documents import packs

from .. import events, notices
from ..models import (
    AgendaItem,
    Board,
    Meeting,
    MeetingStatus,
    Purpose,
)
from ._common import _require

# --- meetings and agendas --------------------------------------------------------------------


__all__ = [
    "meeting_create",
    "STATUS_FLOW",
    "meeting_advance",
    "meeting_publish",
    "agenda_renumber",
    "agenda_item_add",
    "DEFAULT_STANDING_ITEMS",
    "meeting_update",
    "agenda_item_update",
    "agenda_item_delete",
    "agenda_reorder",
    "standing_items_of",
    "agenda_add_standing_items",
    "agenda_clone",
    "MOVES",
    "agenda_move",
]


def meeting_create(
    *,
    actor: User | None,
    board: Board,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    location: str = "",
    video_url: str = "",
) -> Meeting:
    """Create a draft meeting. Only those who manage the board may."""
    _require(actor, Action.MANAGE, board)
    if timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": "A meeting time needs a time zone."})
    meeting = Meeting(
        board=board,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        video_url=video_url,
        status=MeetingStatus.DRAFT,
    )
    meeting.full_clean()
    meeting.save()
    return meeting


# The forward path of a meeting's life; each status may only move to the next.
STATUS_FLOW = {
    MeetingStatus.DRAFT: MeetingStatus.PUBLISHED,
    MeetingStatus.PUBLISHED: MeetingStatus.LIVE,
    MeetingStatus.LIVE: MeetingStatus.CLOSED,
    MeetingStatus.CLOSED: MeetingStatus.MINUTED,
}


def _cannot_become(meeting: Meeting, to: str) -> str:
    """Why ``meeting`` cannot move to status ``to`` now, in words."""
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.MINUTED) and to != MeetingStatus.MINUTED:
        return "The meeting is closed."
    if meeting.status == MeetingStatus.DRAFT:
        return "The meeting has not been published yet."
    if to == MeetingStatus.LIVE and meeting.status == MeetingStatus.LIVE:
        return "The meeting has already started."
    if to == MeetingStatus.CLOSED and meeting.status == MeetingStatus.PUBLISHED:
        return "The meeting has not started."
    return f"A {meeting.get_status_display().lower()} meeting cannot become {to}."


@transaction.atomic
def meeting_advance(*, actor: User | None, meeting: Meeting, to: str, client_id: uuid.UUID | None = None) -> Meeting:
    """Move a meeting to its next status: publish (secretary), start and close (chair), minute."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if STATUS_FLOW.get(MeetingStatus(meeting.status)) != to:
        raise ValidationError(_cannot_become(meeting, to))
    needed = Action.CHAIR if to in (MeetingStatus.LIVE, MeetingStatus.CLOSED) else Action.PUBLISH
    _require(actor, needed, meeting)
    meeting.status = to
    fields = ["status", "updated_at"]
    if to == MeetingStatus.CLOSED:
        # Nothing is under discussion and nothing is adjourned once the meeting has closed.
        meeting.current_item = None
        meeting.current_since = None
        meeting.adjourned_at = None
        meeting.adjourned_by = None
        fields += ["current_item", "current_since", "adjourned_at", "adjourned_by"]
    meeting.save(update_fields=fields)
    audit.record("meeting.status", actor=actor, obj=meeting, board_id=meeting.board_id, status=to)
    if to == MeetingStatus.PUBLISHED:
        notices.meeting_published(meeting=meeting, actor=actor)
        packs.schedule(meeting)
    events.event_record(meeting=meeting, type="meeting.status", data={"status": to}, actor=actor, client_id=client_id)
    return meeting


def meeting_publish(*, actor: User | None, meeting: Meeting) -> Meeting:
    return meeting_advance(actor=actor, meeting=meeting, to=MeetingStatus.PUBLISHED)


def agenda_renumber(*, meeting: Meeting) -> None:
    """Number items 1, 2, 2.1, 2.2, 3 … from their order among siblings."""
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
    children: dict[int | None, list[AgendaItem]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    changed: list[AgendaItem] = []

    def walk(parent_id: int | None, prefix: str, key: str) -> None:
        for index, item in enumerate(children.get(parent_id, []), start=1):
            number = f"{prefix}{index}"
            sort_key = f"{key}{index:04d}"
            if (item.number, item.sort_key) != (number, sort_key):
                item.number, item.sort_key = number, sort_key
                changed.append(item)
            walk(item.pk, f"{number}.", f"{sort_key}.")

    walk(None, "", "")
    AgendaItem.objects.bulk_update(changed, ["number", "sort_key"])


@transaction.atomic
def agenda_item_add(
    *,
    actor: User | None,
    meeting: Meeting,
    title: str,
    parent: AgendaItem | None = None,
    purpose: str = Purpose.INFORMATION,
    description: str = "",
    presenter: User | None = None,
    presenter_name: str = "",
    duration_minutes: int = 0,
    confidential: bool = False,
) -> AgendaItem:
    """Append an item at the end of the agenda (or of ``parent``'s sub-items) and renumber."""
    _require(actor, Action.MANAGE, meeting)
    if parent is not None:
        if parent.meeting_id != meeting.pk:
            raise ValidationError({"parent": "The parent item belongs to another meeting."})
        if parent.parent_id is not None:
            raise ValidationError({"parent": "Items nest two levels deep at most."})
        # A sub-item of a Part B item is Part B too.
        confidential = confidential or parent.confidential
    siblings = AgendaItem.objects.filter(meeting=meeting, parent=parent)
    last = siblings.order_by("-position").values_list("position", flat=True).first()
    item = AgendaItem(
        meeting=meeting,
        parent=parent,
        position=(last or 0) + 1,
        title=title,
        purpose=purpose,
        description=description,
        presenter=presenter,
        presenter_name=presenter_name,
        duration_minutes=duration_minutes,
        confidential=confidential,
    )
    item.full_clean()
    item.save()
    agenda_renumber(meeting=meeting)
    item.refresh_from_db(fields=["number", "sort_key"])
    if actor is not None:
        _agenda_changed(meeting, actor, "item.added")
    return item


# --- the agenda builder ----------------------------------------------------------------------

# The items most boards open and close every meeting with, unless a board sets its own.
DEFAULT_STANDING_ITEMS: list[dict[str, object]] = [
    {"title": "Welcome and apologies for absence", "purpose": Purpose.INFORMATION, "minutes": 5},
    {"title": "Declarations of interest", "purpose": Purpose.INFORMATION, "minutes": 2},
    {"title": "Minutes of the last meeting", "purpose": Purpose.DECISION, "minutes": 5},
    {"title": "Matters arising and action log", "purpose": Purpose.DISCUSSION, "minutes": 10},
    {"title": "Any other business", "purpose": Purpose.DISCUSSION, "minutes": 5},
    {"title": "Date of the next meeting", "purpose": Purpose.INFORMATION, "minutes": 2},
]

ITEM_FIELDS = ("title", "description", "purpose", "presenter", "presenter_name", "duration_minutes", "confidential")
MEETING_FIELDS = ("title", "starts_at", "ends_at", "location", "video_url")


def _agenda_changed(meeting: Meeting, actor: User, change: str) -> None:
    """Members' screens (and sockets' idea of what they may see) refresh after an agenda change."""
    if meeting.status != MeetingStatus.DRAFT:
        events.event_record(meeting=meeting, type="agenda.changed", data={"change": change}, actor=actor)
        packs.schedule(meeting)


def _editable(actor: User | None, meeting: Meeting) -> Meeting:
    """The meeting, freshly read and locked, if ``actor`` may still change its agenda."""
    meeting = Meeting.objects.select_for_update().select_related("board").get(pk=meeting.pk)
    _require(actor, Action.MANAGE, meeting)
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.MINUTED):
        raise ValidationError("The meeting has closed: its agenda can no longer change.")
    return meeting


@transaction.atomic
def meeting_update(*, actor: User, meeting: Meeting, **changes: object) -> Meeting:
    """Change a meeting's details (title, times, place, video link)."""
    fresh = _editable(actor, meeting)
    meeting.status = fresh.status
    unknown = set(changes) - set(MEETING_FIELDS)
    if unknown:
        raise ValidationError(f"These details cannot be changed here: {', '.join(sorted(unknown))}.")
    changed = [name for name, value in changes.items() if getattr(fresh, name) != value]
    for name, value in changes.items():
        setattr(meeting, name, value)
    if meeting.starts_at and timezone.is_naive(meeting.starts_at):
        raise ValidationError({"starts_at": "A meeting time needs a time zone."})
    meeting.full_clean()
    meeting.calendar_sequence = fresh.calendar_sequence + (1 if changed else 0)
    meeting.save(update_fields=[*changes, "calendar_sequence", "updated_at"])
    audit.record("meeting.updated", actor=actor, obj=meeting, board_id=meeting.board_id, fields=sorted(changes))
    if meeting.status != MeetingStatus.DRAFT:
        events.event_record(meeting=meeting, type="meeting.updated", data={"fields": sorted(changes)}, actor=actor)
        packs.schedule(meeting)
    return meeting


@transaction.atomic
def agenda_item_update(*, actor: User, item: AgendaItem, **changes: object) -> AgendaItem:
    """Change an item's title, description, purpose, presenter, time or Part B flag."""
    meeting = _editable(actor, item.meeting)
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    for name, value in changes.items():
        setattr(item, name, value)
    if item.parent_id is not None and item.parent is not None and item.parent.confidential:
        item.confidential = True  # a sub-item of a Part B item stays Part B
    item.full_clean()
    item.save()
    if "confidential" in changes:
        # Sub-items follow their parent into (or out of) Part B.
        item.children.update(confidential=item.confidential)
    _agenda_changed(meeting, actor, "item.updated")
    return item


@transaction.atomic
def agenda_item_delete(*, actor: User, item: AgendaItem) -> None:
    """Remove an item (with its sub-items and their papers) and renumber the agenda."""
    meeting = _editable(actor, item.meeting)
    if meeting.status == MeetingStatus.LIVE:
        raise ValidationError("Items cannot be removed while the meeting is in progress.")
    audit.record("agenda.item_deleted", actor=actor, obj=item, board_id=meeting.board_id, title=item.title)
    item.delete()
    agenda_renumber(meeting=meeting)
    _agenda_changed(meeting, actor, "item.deleted")


@transaction.atomic
def agenda_reorder(*, actor: User, meeting: Meeting, order: list[dict[str, int | None]]) -> list[AgendaItem]:
    """Put the whole agenda in a new order in one step (drag and drop, or keyboard moves).

    ``order`` lists every item once, top to bottom, as ``{"id": item id, "parent": parent id or
    None}``. A parent must come before its sub-items, be a top-level item, and items with
    sub-items cannot themselves become sub-items. Anything else is refused and nothing moves.
    """
    meeting = _editable(actor, meeting)
    items = {item.pk: item for item in AgendaItem.objects.select_for_update().filter(meeting=meeting)}
    try:
        wanted = [
            (int(entry["id"]), None if entry.get("parent") is None else int(entry["parent"]))  # type: ignore[arg-type]
            for entry in order
        ]
    except (KeyError, TypeError, ValueError):
        raise ValidationError("The new order could not be read.") from None
    if sorted(pk for pk, _ in wanted) != sorted(items):
        raise ValidationError("The agenda changed while you were editing it. Reload and try again.")
    parents = {pk: parent for pk, parent in wanted}
    with_children = {parent for parent in parents.values() if parent is not None}
    if any(parents[pk] is not None for pk in with_children):
        raise ValidationError("An item with sub-items cannot become a sub-item.")
    seen: set[int] = set()
    positions: dict[int | None, int] = {}
    for pk, parent in wanted:
        if parent is not None and parent not in seen:
            raise ValidationError("A sub-item must come after the item it belongs to.")
        seen.add(pk)
        positions[parent] = positions.get(parent, 0) + 1
        item = items[pk]
        item.parent_id, item.position = parent, positions[parent]
        if parent is not None and items[parent].confidential:
            item.confidential = True
    AgendaItem.objects.bulk_update(items.values(), ["parent", "position", "confidential"])
    agenda_renumber(meeting=meeting)
    _agenda_changed(meeting, actor, "reordered")
    return list(AgendaItem.objects.filter(meeting=meeting).order_by("sort_key"))


def standing_items_of(board: Board) -> list[dict[str, object]]:
    return list(board.standing_items) or DEFAULT_STANDING_ITEMS


@transaction.atomic
def agenda_add_standing_items(*, actor: User, meeting: Meeting) -> list[AgendaItem]:
    """Add the board's standing items that the agenda does not have yet (by title)."""
    meeting = _editable(actor, meeting)
    have = {t.strip().lower() for t in AgendaItem.objects.filter(meeting=meeting).values_list("title", flat=True)}
    added = []
    for entry in standing_items_of(meeting.board):
        title = str(entry.get("title", "")).strip()
        if not title or title.lower() in have:
            continue
        added.append(
            agenda_item_add(
                actor=actor,
                meeting=meeting,
                title=title,
                purpose=str(entry.get("purpose", Purpose.INFORMATION)),
                duration_minutes=int(entry.get("minutes", 0) or 0),  # type: ignore[call-overload]
            )
        )
    return added


@transaction.atomic
def agenda_clone(*, actor: User, meeting: Meeting, source: Meeting) -> list[AgendaItem]:
    """Copy another meeting's agenda of the same board (items only, not papers) onto the end."""
    meeting = _editable(actor, meeting)
    _require(actor, Action.VIEW, source)
    if source.board_id != meeting.board_id:
        raise ValidationError("Agendas are copied from meetings of the same board.")
    if source.pk == meeting.pk:
        raise ValidationError("Choose another meeting to copy from.")
    copies: dict[int, AgendaItem] = {}
    for original in AgendaItem.objects.filter(meeting=source).order_by("sort_key"):
        copies[original.pk] = agenda_item_add(
            actor=actor,
            meeting=meeting,
            title=original.title,
            parent=copies.get(original.parent_id) if original.parent_id else None,
            purpose=original.purpose,
            description=original.description,
            presenter=original.presenter,
            presenter_name=original.presenter_name,
            duration_minutes=original.duration_minutes,
            confidential=original.confidential,
        )
    audit.record("agenda.cloned", actor=actor, obj=meeting, board_id=meeting.board_id, source=source.pk)
    return list(copies.values())


MOVES = ("up", "down", "in", "out")


def _tree(meeting: Meeting) -> list[tuple[int, int | None]]:
    return list(AgendaItem.objects.filter(meeting=meeting).order_by("sort_key").values_list("pk", "parent_id"))


@transaction.atomic
def agenda_move(*, actor: User, item: AgendaItem, direction: str) -> list[AgendaItem]:
    """Move one item a step: up or down among its siblings (with its sub-items), in under the
    item above it, or out to the top level. The keyboard and no-script way to reorder."""
    if direction not in MOVES:
        raise ValidationError("Unknown move.")
    rows = _tree(item.meeting)

    # Blocks: each top-level item with its sub-items, or (for a sub-item) itself.
    def block(pk: int) -> list[tuple[int, int | None]]:
        start = next(i for i, (p, _) in enumerate(rows) if p == pk)
        end = start + 1
        while end < len(rows) and rows[end][1] == pk:
            end += 1
        return rows[start:end]

    siblings = [pk for pk, parent in rows if parent == item.parent_id]
    index = siblings.index(item.pk)
    if direction in ("up", "down"):
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(siblings):
            return list(AgendaItem.objects.filter(meeting=item.meeting).order_by("sort_key"))
        siblings[index], siblings[target] = siblings[target], siblings[index]
        if item.parent_id is None:
            new_rows = [row for pk in siblings for row in block(pk)]
        else:
            parent_start = next(i for i, (p, _) in enumerate(rows) if p == item.parent_id)
            new_rows = rows[: parent_start + 1] + [(pk, item.parent_id) for pk in siblings]
            new_rows += rows[parent_start + 1 + len(siblings) :]
    elif direction == "in":
        if item.parent_id is not None or index == 0:
            raise ValidationError("Only a top-level item below another can become its sub-item.")
        if any(parent == item.pk for _, parent in rows):
            raise ValidationError("An item with sub-items cannot become a sub-item.")
        new_parent = siblings[index - 1]
        new_rows = [(pk, new_parent if pk == item.pk else parent) for pk, parent in rows]
    else:  # out
        if item.parent_id is None:
            return list(AgendaItem.objects.filter(meeting=item.meeting).order_by("sort_key"))
        # The item leaves its parent and follows it (and its remaining sub-items) at the top level.
        parent_block = [row for row in block(item.parent_id) if row[0] != item.pk]
        rest = [row for row in rows if row not in parent_block and row[0] != item.pk]
        at = rows.index(block(item.parent_id)[0])
        before = [row for row in rest if rows.index(row) < at]
        after = [row for row in rest if rows.index(row) > at]
        new_rows = before + parent_block + [(item.pk, None)] + after
    order: list[dict[str, int | None]] = [{"id": pk, "parent": parent} for pk, parent in new_rows]
    return agenda_reorder(actor=actor, meeting=item.meeting, order=order)
