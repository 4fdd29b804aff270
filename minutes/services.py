"""Writes for minutes: taking them, the approval workflow, the signature, archive PDFs and actions.

Every function checks the policy, writes inside a transaction, records the audit entry (ids and
outcomes, never minute text) and schedules the search index after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from boardroom import audit, policy
from boardroom.policy import Action
from meetings import notices
from meetings.models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    Membership,
    Motion,
    Notice,
    Purpose,
    ResolutionStatus,
)
from meetings.services import agenda, meeting_advance, resolutions

from . import pdf, record
from .models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    ActionStatus,
    Amendment,
    ApprovalMethod,
    ApprovalRoute,
    Decision,
    MinuteItem,
    Minutes,
    MinutesComment,
    MinutesRender,
    MinutesStatus,
)
from .text import MAX_BODY_CHARS, clean_html, split_decisions

# Minutes are taken from the moment the meeting is published (notes before it opens) until it is minuted.
TAKEN_WHILE = (MeetingStatus.PUBLISHED, MeetingStatus.LIVE, MeetingStatus.CLOSED, MeetingStatus.MINUTED)
APPROVED_AT = (MeetingStatus.LIVE, MeetingStatus.CLOSED, MeetingStatus.MINUTED)


def _require(actor: User | None, action: Action, obj: Any) -> None:
    if actor is None or not policy.can(actor, action, obj):
        raise PermissionDenied(f"Not allowed to {action} these minutes.")


def _schedule_index(minutes: Minutes) -> None:
    from search import tasks as search_tasks

    search_tasks.schedule_minutes(minutes.pk)


class EditConflict(Exception):
    """A save made against an older version: someone else saved in between."""

    def __init__(self, entry: MinuteItem) -> None:
        super().__init__("Someone else saved this minute while you were editing.")
        self.entry = entry


# --- taking the minutes ----------------------------------------------------------------------


def motion_decision_text(motion: Motion) -> str:
    result = motion.result or {}
    counts = ", ".join(f"{option} {count}" for option, count in (result.get("counts") or {}).items())
    outcome = result.get("outcome", "")
    return f"Motion {outcome}: {motion.text}" + (f" ({counts})" if counts else "")


@transaction.atomic
def minutes_start(*, actor: User, meeting: Meeting) -> Minutes:
    """The meeting's minutes, made on first use, with one section per agenda item. Idempotent.

    Sections are added for items added since, and a decision for every vote closed since.
    """
    _require(actor, Action.MANAGE, meeting)
    if meeting.status not in TAKEN_WHILE:
        raise ValidationError("Minutes are taken once the meeting is published.")
    minutes, made = Minutes.objects.get_or_create(meeting=meeting)
    if made:
        audit.record("minutes.started", actor=actor, obj=minutes, board_id=meeting.board_id, meeting=meeting.pk)
    if minutes.editable:
        _sync(minutes)
    return minutes


def _sync(minutes: Minutes) -> None:
    have = set(minutes.entries.values_list("item_id", flat=True))
    missing = [item for item in AgendaItem.objects.filter(meeting=minutes.meeting) if item.pk not in have]
    MinuteItem.objects.bulk_create([MinuteItem(minutes=minutes, item=item) for item in missing])
    recorded = set(
        Decision.objects.filter(entry__minutes=minutes, motion__isnull=False).values_list("motion_id", flat=True)
    )
    closed = Motion.objects.filter(item__meeting=minutes.meeting, status=Motion.Status.CLOSED).exclude(pk__in=recorded)
    entries = {e.item_id: e for e in minutes.entries.all()}
    for motion in closed.order_by("closed_at", "pk"):
        entry = entries[motion.item_id]
        position = entry.decisions.count()
        Decision.objects.create(entry=entry, position=position, text=motion_decision_text(motion), motion=motion)


@transaction.atomic
def minute_save(
    *, actor: User, entry: MinuteItem, body: str, decisions: str | None = None, base_version: int
) -> MinuteItem:
    """Save one item's minute (and its decisions, one per line) made from ``base_version``.

    Refused with ``EditConflict`` if the stored version moved on meanwhile: nothing is lost, the
    caller shows both texts to merge and saves again from the newer version.
    """
    entry = MinuteItem.objects.select_for_update().select_related("minutes__meeting", "item__meeting").get(pk=entry.pk)
    _require(actor, Action.MANAGE, entry)
    if not entry.minutes.editable:
        raise ValidationError("These minutes are no longer a draft: they cannot be edited.")
    if len(body or "") > MAX_BODY_CHARS:
        raise ValidationError("This minute is too long to save (over 200,000 characters).")
    if base_version != entry.version:
        raise EditConflict(entry)
    entry.body = clean_html(body)
    entry.version += 1
    entry.updated_by = actor
    entry.updated_at = timezone.now()
    entry.save(update_fields=["body", "version", "updated_by", "updated_at"])
    if decisions is not None:
        _replace_decisions(entry, split_decisions(decisions))
    audit.record(
        "minutes.saved",
        actor=actor,
        obj=entry.minutes,
        board_id=entry.minutes.meeting.board_id,
        item=entry.item_id,
        version=entry.version,
    )
    _schedule_index(entry.minutes)
    return entry


def _replace_decisions(entry: MinuteItem, lines: list[str]) -> None:
    old = list(entry.decisions.all())
    motions = {d.text: d.motion_id for d in old if d.motion_id}
    if [d.text for d in old] == lines:
        return
    entry.decisions.all().delete()
    Decision.objects.bulk_create(
        [Decision(entry=entry, position=n, text=text, motion_id=motions.get(text)) for n, text in enumerate(lines)]
    )


@dataclass
class ConflictView:
    """Both texts of a refused save, for the person to merge."""

    mine: str
    theirs: str
    version: int
    by: str
    at: dt.datetime


def conflict_view(entry: MinuteItem, mine: str) -> ConflictView:
    by = entry.updated_by.get_full_name() or entry.updated_by.get_username() if entry.updated_by else "someone"
    return ConflictView(mine=clean_html(mine), theirs=entry.body, version=entry.version, by=by, at=entry.updated_at)


# --- the workflow ----------------------------------------------------------------------------


@transaction.atomic
def minutes_circulate(*, actor: User, minutes: Minutes) -> Minutes:
    """Send the draft to the board for comment. The attendance, declarations and votes are frozen
    as they stand now; members are told (no minute text leaves the portal)."""
    minutes = Minutes.objects.select_for_update().select_related("meeting__board").get(pk=minutes.pk)
    _require(actor, Action.MANAGE, minutes)
    if minutes.status != MinutesStatus.DRAFT:
        raise ValidationError("Only draft minutes can be circulated.")
    meeting = minutes.meeting
    if meeting.status not in (MeetingStatus.CLOSED, MeetingStatus.MINUTED):
        raise ValidationError("Minutes are circulated after the meeting has closed.")
    _sync(minutes)
    minutes.record = record.live_record(meeting)
    minutes.status = MinutesStatus.CIRCULATED
    minutes.circulated_at = timezone.now()
    minutes.circulated_by = actor
    minutes.save(update_fields=["record", "status", "circulated_at", "circulated_by", "updated_at"])
    audit.record("minutes.circulated", actor=actor, obj=minutes, board_id=meeting.board_id, meeting=meeting.pk)
    people = policy.audience(minutes).exclude(pk=actor.pk)
    notices.notify(
        meeting=meeting,
        kind=Notice.Kind.PAPERS_CHANGED,
        text=f"The draft minutes of {meeting.title} are circulated for your comments.",
        users=people,
    )
    _schedule_index(minutes)
    return minutes


@transaction.atomic
def minutes_reopen(*, actor: User, minutes: Minutes) -> Minutes:
    """Take circulated minutes back to draft (to correct them before approval)."""
    minutes = Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)
    _require(actor, Action.MANAGE, minutes)
    if minutes.status != MinutesStatus.CIRCULATED:
        raise ValidationError("Only circulated minutes can go back to draft.")
    minutes.status = MinutesStatus.DRAFT
    minutes.record = {}
    minutes.save(update_fields=["status", "record", "updated_at"])
    audit.record("minutes.reopened", actor=actor, obj=minutes, board_id=minutes.meeting.board_id)
    _schedule_index(minutes)
    return minutes


@transaction.atomic
def minutes_comment(*, actor: User, minutes: Minutes, body: str) -> MinutesComment:
    """A member comments on circulated minutes."""
    _require(actor, Action.PARTICIPATE, minutes)
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write your comment first.")
    comment = MinutesComment.objects.create(minutes=minutes, author=actor, body=body[:4000])
    audit.record("minutes.commented", actor=actor, obj=minutes, board_id=minutes.meeting.board_id)
    return comment


# --- approval routes ---------------------------------------------------------------------------


def _may_route(actor: User | None, minutes: Minutes) -> Minutes:
    minutes = Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)
    _require(actor, Action.MANAGE, minutes)
    if minutes.status not in (MinutesStatus.DRAFT, MinutesStatus.CIRCULATED):
        raise ValidationError("These minutes have been approved already.")
    return minutes


def _held_on(meeting: Meeting) -> str:
    return f"{meeting.starts_at.astimezone(zoneinfo.ZoneInfo(meeting.board.time_zone)):%-d %B %Y}"


def approval_text(meeting: Meeting) -> str:
    return (
        f"That the minutes of {meeting.title}, held on {_held_on(meeting)}, as circulated, "
        "be approved as a correct record."
    )


@transaction.atomic
def approval_route_item(
    *, actor: User, minutes: Minutes, meeting: Meeting | None = None, item: AgendaItem | None = None
) -> ApprovalRoute:
    """Ask a later meeting of the board to approve these minutes: a new item on its agenda
    (``meeting``), or an existing item such as the standing "Minutes of the last meeting" (``item``)."""
    minutes = _may_route(actor, minutes)
    held = minutes.meeting
    later = item.meeting if item is not None else meeting
    if later is None or (item is not None and meeting is not None and item.meeting_id != meeting.pk):
        raise ValidationError("Choose the later meeting whose agenda approves these minutes.")
    if later.board_id != held.board_id or later.starts_at <= held.starts_at:
        raise ValidationError("Minutes are approved at a later meeting of the same board.")
    if item is None:
        if later.status in (MeetingStatus.CLOSED, MeetingStatus.MINUTED):
            raise ValidationError("That meeting has closed: its agenda can no longer change.")
        item = agenda.agenda_item_add(
            actor=actor,
            meeting=later,
            title=f"Minutes of {held.title} ({_held_on(held)})",
            purpose=Purpose.DECISION,
            description=approval_text(held),
            duration_minutes=5,
        )
    else:
        _require_item(actor, item)
        if ApprovalRoute.objects.filter(item=item).exists():
            raise ValidationError("That item already approves other minutes.")
    route = ApprovalRoute.objects.create(minutes=minutes, item=item, created_by=actor)
    audit.record(
        "minutes.approval_route", actor=actor, obj=minutes, board_id=held.board_id, item=item.pk, meeting=later.pk
    )
    return route


def _require_item(actor: User, item: AgendaItem) -> None:
    if not policy.can(actor, Action.MANAGE, item.meeting):
        raise PermissionDenied("Only the board's secretary or chair changes that agenda.")


@transaction.atomic
def approval_route_resolution(*, actor: User, minutes: Minutes, deadline: dt.datetime) -> ApprovalRoute:
    """Draft a written resolution that approves these minutes (circulated from its own page)."""
    minutes = _may_route(actor, minutes)
    held = minutes.meeting
    drafted = resolutions.resolution_draft(
        actor=actor,
        board=held.board,
        title=f"Approval of the minutes of {held.title} ({_held_on(held)})",
        text=approval_text(held),
        deadline=deadline,
        allow_abstain=True,
    )
    route = ApprovalRoute.objects.create(minutes=minutes, resolution=drafted, created_by=actor)
    audit.record("minutes.approval_route", actor=actor, obj=minutes, board_id=held.board_id, resolution=drafted.pk)
    return route


def approval_ready(route: ApprovalRoute) -> bool:
    """Whether the route has done its work: the meeting was held, or the resolution passed."""
    if route.item is not None:
        return str(route.item.meeting.status) in APPROVED_AT
    return route.resolution is not None and route.resolution.status == ResolutionStatus.PASSED


@transaction.atomic
def minutes_approve(*, actor: User, minutes: Minutes, route: ApprovalRoute) -> Minutes:
    """Record that the board approved the circulated minutes through one of their own routes:
    the item at a later meeting that has been held (or is in progress), or the written
    resolution drafted for them, once it passed."""
    minutes = Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)
    if actor is None or not (policy.can(actor, Action.MANAGE, minutes) or policy.can(actor, Action.CHAIR, minutes)):
        raise PermissionDenied("Only the secretary or the chair records an approval.")
    if minutes.status != MinutesStatus.CIRCULATED:
        raise ValidationError("Minutes are approved after they have been circulated, and only once.")
    meeting = minutes.meeting
    route = ApprovalRoute.objects.select_related("item__meeting", "resolution").get(pk=route.pk)
    if route.minutes_id != minutes.pk:
        raise ValidationError("That item or resolution was not put to the board for these minutes.")
    if route.item is not None:
        if route.item.meeting.status not in APPROVED_AT:
            raise ValidationError("That meeting has not been held yet.")
        minutes.approval_method = ApprovalMethod.MEETING
        minutes.approved_at_meeting = route.item.meeting
    else:
        assert route.resolution is not None
        if route.resolution.status != ResolutionStatus.PASSED:
            raise ValidationError("Only a written resolution that passed approves minutes.")
        minutes.approval_method = ApprovalMethod.RESOLUTION
        minutes.approved_by_resolution = route.resolution
    minutes.status = MinutesStatus.APPROVED
    minutes.approved_at = timezone.now()
    minutes.approved_by = actor
    minutes.save()
    audit.record(
        "minutes.approved",
        actor=actor,
        obj=minutes,
        board_id=meeting.board_id,
        method=minutes.approval_method,
        at_meeting=minutes.approved_at_meeting_id,
        item=route.item_id,
        resolution=route.resolution_id,
    )
    _schedule_index(minutes)
    return minutes


@transaction.atomic
def minutes_sign(*, actor: User, minutes: Minutes) -> Minutes:
    """The chair signs approved minutes: who, when and the SHA-256 of the document are recorded,
    the minutes lock, the meeting becomes minuted, and the archive PDF is rendered after commit."""
    minutes = Minutes.objects.select_for_update().select_related("meeting__board").get(pk=minutes.pk)
    _require(actor, Action.CHAIR, minutes)
    if minutes.status != MinutesStatus.APPROVED:
        raise ValidationError("Minutes are signed once approved, and only once.")
    minutes.signed_by = actor
    minutes.signed_name = actor.get_full_name() or actor.get_username()
    minutes.signed_at = timezone.now()
    minutes.content_sha256 = record.content_hash(record.document(minutes))
    minutes.status = MinutesStatus.SIGNED
    minutes.save()
    meeting = minutes.meeting
    audit.record(
        "minutes.signed", actor=actor, obj=minutes, board_id=meeting.board_id, content_sha256=minutes.content_sha256
    )
    if meeting.status == MeetingStatus.CLOSED:
        meeting_advance(actor=actor, meeting=meeting, to=MeetingStatus.MINUTED)
    minutes_id, actor_id = minutes.pk, actor.pk
    transaction.on_commit(lambda: _enqueue_render(minutes_id, actor_id, "signed"))
    _schedule_index(minutes)
    return minutes


def verify_signature(minutes: Minutes) -> bool:
    """Does the document still hash to what the chair signed?"""
    return bool(minutes.content_sha256) and record.content_hash(record.document(minutes)) == minutes.content_sha256


# --- archive PDFs ----------------------------------------------------------------------------


def current_revision(minutes: Minutes) -> int:
    return 1 + minutes.amendments.count()


def cut_key(item_ids: list[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(item_ids)).encode()).hexdigest()


def _enqueue_render(minutes_id: int, actor_id: int | None, reason: str) -> None:
    from .tasks import render_minutes

    render_minutes.enqueue(minutes_id, actor_id, reason)


def minutes_render(
    *, minutes: Minutes, items: list[int] | None = None, actor: User | None = None, reason: str = ""
) -> MinutesRender:
    """The archive PDF/A of the signed minutes holding ``items`` (all items when None), at the
    current revision. An existing render is returned as it is: a file is never made twice; a new
    render (an amendment, a reader's cut) is a new recorded row with its own SHA-256."""
    if minutes.status != MinutesStatus.SIGNED:
        raise ValidationError("Only signed minutes are archived as PDF.")
    all_items = list(minutes.entries.values_list("item_id", flat=True))
    chosen = sorted(all_items if items is None else [i for i in items if i in set(all_items)])
    revision = current_revision(minutes)
    cut = cut_key(chosen)
    found = MinutesRender.objects.filter(minutes=minutes, revision=revision, cut=cut).first()
    if found is not None:
        return found
    data = pdf.render_minutes(pdf_context(minutes, chosen, revision))
    digest = hashlib.sha256(data).hexdigest()
    render = MinutesRender(
        minutes=minutes,
        revision=revision,
        cut=cut,
        full=chosen == sorted(all_items),
        items=chosen,
        sha256=digest,
        size=len(data),
        pdf_variant=pdf.pdf_variant(),
        content_sha256=minutes.content_sha256,
        reason=reason[:200],
        made_by=actor,
    )
    render.file.save("minutes.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            render.save()
            audit.record(
                "minutes.rendered",
                actor=actor,
                actor_label="" if actor else "archive",
                obj=minutes,
                board_id=minutes.meeting.board_id,
                revision=revision,
                sha256=digest,
                full=render.full,
                items=len(chosen),
            )
    except IntegrityError:
        # Another worker rendered the same cut first: keep theirs, drop ours.
        render.file.storage.delete(render.file.name or "")
        return MinutesRender.objects.get(minutes=minutes, revision=revision, cut=cut)
    return render


def pdf_context(minutes: Minutes, items: list[int], revision: int) -> dict[str, Any]:
    doc = record.document(minutes)
    shown = set(items)
    entries = [e for e in doc["entries"] if e["item"] in shown]
    rec = doc["record"]
    declarations = [d for d in rec.get("declarations", []) if d["item"] in shown]
    votes = [v for v in rec.get("votes", []) if v["item"] in shown]
    for entry in entries:
        for action in entry["actions"]:
            action["due_label"] = dt.date.fromisoformat(action["due"]).strftime("%-d %b %Y") if action["due"] else ""
        entry["declarations"] = [d for d in declarations if d["item"] == entry["item"]]
        entry["votes"] = [{**v, "line": record.vote_line(v)} for v in votes if v["item"] == entry["item"]]
    amendments = minutes.amendments.select_related("entry__item", "made_by")
    return {
        "minutes": minutes,
        "meeting": minutes.meeting,
        "doc": doc,
        "entries": entries,
        "record": rec,
        "attendance": rec.get("attendance", {}),
        "full": len(entries) == len(doc["entries"]),
        "revision": revision,
        "amendments": [a for a in amendments if a.entry is None or a.entry.item_id in shown],
    }


def reader_cut(user: User, minutes: Minutes) -> list[int]:
    """The items of ``minutes`` this reader may see (their cut of the archive PDF)."""
    return sorted(policy.visible(user, minutes.entries.all()).values_list("item_id", flat=True))


@transaction.atomic
def amendment_add(
    *, actor: User, minutes: Minutes, text: str, reason: str = "", entry: MinuteItem | None = None
) -> Amendment:
    """A correction to signed minutes: a new, visible entry and a new PDF revision (after commit)."""
    minutes = Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)
    _require(actor, Action.MANAGE, minutes)
    if minutes.status != MinutesStatus.SIGNED:
        raise ValidationError("Until they are signed, minutes are corrected by editing them.")
    if entry is not None and entry.minutes_id != minutes.pk:
        raise ValidationError("That item is not part of these minutes.")
    text = (text or "").strip()
    if not text:
        raise ValidationError("Write the correction.")
    amendment = Amendment.objects.create(
        minutes=minutes, entry=entry, text=text[:4000], reason=(reason or "").strip()[:500], made_by=actor
    )
    audit.record(
        "minutes.amended",
        actor=actor,
        obj=minutes,
        board_id=minutes.meeting.board_id,
        amendment=amendment.pk,
        revision=current_revision(minutes),
    )
    minutes_id, actor_id = minutes.pk, actor.pk
    transaction.on_commit(lambda: _enqueue_render(minutes_id, actor_id, "amended"))
    _schedule_index(minutes)
    return amendment


# --- actions ---------------------------------------------------------------------------------


@transaction.atomic
def action_add(
    *,
    actor: User,
    entry: MinuteItem,
    description: str,
    owner: User | None,
    due: dt.date | None,
    client_id: uuid.UUID | None = None,
) -> ActionItem:
    """Record an action agreed under an item: what, who (a current member of the board), by when."""
    if client_id is not None:
        earlier = ActionItem.objects.filter(client_id=client_id).first()
        if earlier is not None:
            return earlier
    entry = MinuteItem.objects.select_related("minutes__meeting", "item__meeting").get(pk=entry.pk)
    _require(actor, Action.MANAGE, entry)
    if not entry.minutes.editable:
        raise ValidationError("Actions are added while the minutes are a draft.")
    description = (description or "").strip()
    if not description:
        raise ValidationError("Say what is to be done.")
    board_id = entry.minutes.meeting.board_id
    if owner is not None and not Membership.objects.current().filter(user=owner, board_id=board_id).exists():
        raise ValidationError("The owner must be a member of this board.")
    action = ActionItem.objects.create(
        entry=entry,
        board_id=board_id,
        description=description[:2000],
        owner=owner,
        due=due,
        created_by=actor,
        client_id=client_id,
    )
    audit.record(
        "action.added",
        actor=actor,
        obj=action,
        board_id=board_id,
        item=entry.item_id,
        owner=owner.pk if owner else None,
        due=due,
    )
    _schedule_index(entry.minutes)
    return action


@transaction.atomic
def action_update(*, actor: User, action: ActionItem, status: str, note: str = "") -> ActionItem:
    """The owner (or the secretary) moves an action on: open, in progress, done, no longer needed."""
    action = ActionItem.objects.select_for_update().select_related("entry__minutes").get(pk=action.pk)
    _require(actor, Action.PARTICIPATE, action)
    if status not in ActionStatus.values:
        raise ValidationError("Choose one of the listed statuses.")
    action.status = status
    action.status_note = (note or "").strip()[:500]
    action.completed_at = None if status in OPEN_ACTION_STATUSES else (action.completed_at or timezone.now())
    action.save(update_fields=["status", "status_note", "completed_at", "updated_at"])
    audit.record("action.updated", actor=actor, obj=action, board_id=action.board_id, status=status)
    _schedule_index(action.entry.minutes)
    return action


@transaction.atomic
def action_remove(*, actor: User, action: ActionItem) -> None:
    """Take an action out of draft minutes (entered by mistake)."""
    action = ActionItem.objects.select_related("entry__minutes").get(pk=action.pk)
    _require(actor, Action.MANAGE, action)
    if not action.entry.minutes.editable:
        raise ValidationError("Actions of circulated minutes stay; update their status instead.")
    audit.record("action.removed", actor=actor, obj=action, board_id=action.board_id)
    minutes = action.entry.minutes
    action.delete()
    _schedule_index(minutes)
