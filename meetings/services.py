"""Writes for boards, memberships, meetings and agendas. Every change goes through here."""

from __future__ import annotations

import datetime as dt
import math
import uuid

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from boardroom import audit, policy
from boardroom.policy import Action
from documents.models import Paper

from . import events
from .models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Ballot,
    Board,
    Declaration,
    Meeting,
    MeetingStatus,
    Membership,
    Motion,
    Presence,
    Purpose,
    Role,
    default_vote_options,
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


# --- boards and memberships ------------------------------------------------------------------


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


# --- meetings and agendas --------------------------------------------------------------------


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


@transaction.atomic
def meeting_advance(*, actor: User | None, meeting: Meeting, to: str, client_id: uuid.UUID | None = None) -> Meeting:
    """Move a meeting to its next status: publish (secretary), start and close (chair), minute."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if STATUS_FLOW.get(MeetingStatus(meeting.status)) != to:
        raise ValidationError(f"A {meeting.get_status_display().lower()} meeting cannot become {to}.")
    needed = Action.CHAIR if to in (MeetingStatus.LIVE, MeetingStatus.CLOSED) else Action.PUBLISH
    _require(actor, needed, meeting)
    meeting.status = to
    fields = ["status", "updated_at"]
    if to == MeetingStatus.CLOSED and meeting.current_item_id is not None:
        meeting.current_item = None
        fields.append("current_item")
    meeting.save(update_fields=fields)
    audit.record("meeting.status", actor=actor, obj=meeting, board_id=meeting.board_id, status=to)
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
    return item


# --- the chair's controls --------------------------------------------------------------------


@transaction.atomic
def meeting_set_current_item(
    *, actor: User, meeting: Meeting, item: AgendaItem | None, client_id: uuid.UUID | None = None
) -> Meeting:
    """The chair moves the meeting to ``item`` (or to none); members' screens follow.

    The event names only the item's id: members who may not see that item (Part B, recusal)
    learn only that the meeting is on an item they cannot open.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if events.event_for_client_id(actor, client_id) is not None:
        return meeting
    _require(actor, Action.CHAIR, meeting)
    if meeting.status != MeetingStatus.LIVE:
        raise ValidationError("Start the meeting before moving through the agenda.")
    if item is not None and item.meeting_id != meeting.pk:
        raise ValidationError("That item is on another meeting's agenda.")
    meeting.current_item = item
    meeting.save(update_fields=["current_item", "updated_at"])
    events.event_record(
        meeting=meeting,
        type="meeting.current_item",
        data={"item": item.pk if item else None},
        actor=actor,
        client_id=client_id,
    )
    return meeting


@transaction.atomic
def presenter_show_page(*, actor: User, paper: Paper, page: int, client_id: uuid.UUID | None = None) -> dict[str, int]:
    """The presenter (chair, secretary or the item's presenter) shows a page; followers' readers go there."""
    item = paper.item
    meeting = item.meeting
    if events.event_for_client_id(actor, client_id) is not None:
        return {"paper": paper.pk, "page": page}
    may_present = (
        policy.can(actor, Action.CHAIR, meeting)
        or policy.can(actor, Action.MANAGE, meeting)
        or (item.presenter_id == actor.pk and policy.can(actor, Action.VIEW, item))
    )
    if not may_present:
        raise PermissionDenied("Only the chair, the secretary or the item's presenter can present.")
    if meeting.status != MeetingStatus.LIVE:
        raise ValidationError("Presenting is for a meeting in progress.")
    version = paper.current_version
    if version is None or not 1 <= page <= version.page_count:
        raise ValidationError("That page is not in the paper.")
    data = {"paper": paper.pk, "page": page, "item": item.pk, "presenter": actor.pk}
    events.event_record(meeting=meeting, type="presenter.page", data=data, actor=actor, item=item, client_id=client_id)
    return data


# --- presence --------------------------------------------------------------------------------

PRESENCE_STALE_AFTER = dt.timedelta(minutes=2)


def presence_snapshot(*, meeting_id: int) -> list[dict[str, object]]:
    """Who is connected to the meeting now, with how many devices each."""
    fresh = Presence.objects.filter(meeting_id=meeting_id, seen_at__gte=timezone.now() - PRESENCE_STALE_AFTER)
    people: dict[int, dict[str, object]] = {}
    for presence in fresh.select_related("user").order_by("user__last_name", "user__first_name", "pk"):
        entry = people.setdefault(
            presence.user_id,
            {
                "id": presence.user_id,
                "name": presence.user.get_full_name() or presence.user.get_username(),
                "devices": [],
            },
        )
        entry["devices"].append(presence.device or "device")  # type: ignore[attr-defined]
    return list(people.values())


def presence_join(*, user: User, meeting_id: int, channel_name: str, device: str) -> list[dict[str, object]]:
    Presence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"meeting_id": meeting_id, "user": user, "device": device[:60], "seen_at": timezone.now()},
    )
    return presence_snapshot(meeting_id=meeting_id)


def presence_touch(*, channel_name: str) -> None:
    Presence.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def presence_leave(*, meeting_id: int, channel_name: str) -> list[dict[str, object]]:
    Presence.objects.filter(channel_name=channel_name).delete()
    return presence_snapshot(meeting_id=meeting_id)


# --- declarations of interest ----------------------------------------------------------------


@transaction.atomic
def declaration_record(
    *, actor: User, item: AgendaItem, user: User, nature: str, client_id: uuid.UUID | None = None
) -> Declaration:
    """Record that ``user`` has an interest in ``item``: from this moment they are recused from it.

    A member declares for themselves; the chair or secretary may record it for them. The
    item's papers, comments, votes and live events are withheld from the member at once (open
    sockets are told to re-check), and they leave the item's quorum and vote.
    """
    existing = Declaration.objects.filter(item=item, user=user).first()
    if existing is not None:
        return existing
    meeting = item.meeting
    policy.forget(actor)
    for_self = actor.pk == user.pk and policy.can(actor, Action.PARTICIPATE, item)
    on_behalf = policy.can(actor, Action.CHAIR, meeting) or policy.can(actor, Action.MANAGE, meeting)
    if not (for_self or on_behalf):
        raise PermissionDenied("Only the member, the chair or the secretary can record this declaration.")
    if meeting.status not in (MeetingStatus.PUBLISHED, MeetingStatus.LIVE):
        raise ValidationError("Declarations are made before or during the meeting.")
    if not Membership.objects.current().filter(user=user, board_id=meeting.board_id).exists():
        raise ValidationError("Only a member of the board can declare an interest.")
    nature = nature.strip()
    if not nature:
        raise ValidationError("Say what the interest is: it is recorded in the minutes.")
    declaration = Declaration.objects.create(item=item, user=user, nature=nature[:500], recorded_by=actor)
    audit.record(
        "declaration.recorded", actor=actor, obj=declaration, board_id=meeting.board_id, item=item.pk, user=user.pk
    )
    events.event_record(
        meeting=meeting,
        type="declaration.recorded",
        data={"item": item.pk, "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()}},
        actor=actor,
        client_id=client_id,
    )
    policy.forget(user)
    events.access_changed(user.pk)
    return declaration


# --- attendance and quorum -------------------------------------------------------------------

VOTING_ROLES = (Role.CHAIR, Role.MEMBER)


def voting_member_ids(meeting: Meeting) -> set[int]:
    """Members with a vote on the day of the meeting (the chair and members; not the secretary or observers)."""
    day = timezone.localdate(meeting.starts_at)
    seats = Membership.objects.current(on=day).filter(board_id=meeting.board_id, role__in=VOTING_ROLES)
    return set(seats.values_list("user_id", flat=True))


def quorum_state(*, meeting: Meeting, item: AgendaItem | None = None) -> dict[str, object]:
    """How many voting members are in the room against how many the board needs.

    For an item, members recused from it (or from its parent) do not count.
    """
    board = meeting.board
    voting = voting_member_ids(meeting)
    present = set(
        Attendance.objects.filter(
            meeting=meeting,
            user_id__in=voting,
            status__in=(AttendanceStatus.PRESENT, AttendanceStatus.LATE),
            left_at__isnull=True,
        ).values_list("user_id", flat=True)
    )
    eligible = voting
    if item is not None:
        declared_items = [item.pk] + ([item.parent_id] if item.parent_id else [])
        recused = set(Declaration.objects.filter(item_id__in=declared_items).values_list("user_id", flat=True))
        present -= recused
        eligible = voting - recused
    required = board.quorum_members or max(1, math.ceil(len(eligible) * board.quorum_fraction))
    return {
        "item": item.pk if item else None,
        "present": len(present),
        "required": required,
        "voting_members": len(eligible),
        "quorate": len(present) >= required,
    }


@transaction.atomic
def attendance_mark(
    *,
    actor: User,
    meeting: Meeting,
    user: User,
    status: str,
    at: dt.datetime | None = None,
    client_id: uuid.UUID | None = None,
) -> Attendance:
    """The secretary records someone's attendance; quorum is recalculated and sent live."""
    _require(actor, Action.MANAGE, meeting)
    if status not in AttendanceStatus.values:
        raise ValidationError(f"Unknown attendance status {status[:20]!r}.")
    if meeting.status in (MeetingStatus.DRAFT, MeetingStatus.MINUTED):
        raise ValidationError("Attendance is recorded for a published, live or just-closed meeting.")
    if (
        not Membership.objects.current(on=timezone.localdate(meeting.starts_at))
        .filter(user=user, board_id=meeting.board_id)
        .exists()
    ):
        raise ValidationError("That person is not a member of this board.")
    when = at or timezone.now()
    record, _ = Attendance.objects.select_for_update().get_or_create(
        meeting=meeting, user=user, defaults={"status": status, "recorded_by": actor}
    )
    record.status = status
    record.recorded_by = actor
    if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
        record.arrived_at = record.arrived_at or when
        record.left_at = None
    elif status == AttendanceStatus.LEFT_EARLY:
        record.arrived_at = record.arrived_at or meeting.starts_at
        record.left_at = when
    else:
        record.arrived_at = record.left_at = None
    record.save()
    current = meeting.current_item
    events.event_record(
        meeting=meeting,
        type="attendance.updated",
        data={
            "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
            "status": record.status,
            "arrived_at": record.arrived_at.isoformat() if record.arrived_at else None,
            "left_at": record.left_at.isoformat() if record.left_at else None,
            "quorum": quorum_state(meeting=meeting, item=current),
        },
        actor=actor,
        client_id=client_id,
    )
    return record


# --- votes -----------------------------------------------------------------------------------

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
