"""What the minutes record without anyone retyping it: attendance, apologies, quorum, declarations
and vote results, read from the meeting's own records; and the canonical document that is hashed
when the chair signs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Declaration,
    Meeting,
    Membership,
    Motion,
    Role,
)
from meetings.services import quorum_state

from .models import Minutes


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _voter_name(vote: dict[str, Any]) -> str:
    user = vote.get("user")
    return str(user.get("name", "")) if isinstance(user, dict) else str(vote.get("name", ""))


def live_record(meeting: Meeting) -> dict[str, Any]:
    """The meeting's attendance, quorum, declarations and closed votes, as they stand now."""
    day = timezone.localdate(meeting.starts_at)
    seats = {
        seat.user_id: seat
        for seat in Membership.objects.current(on=day).filter(board_id=meeting.board_id).select_related("user")
    }
    groups: dict[str, list[dict[str, str]]] = {status: [] for status in AttendanceStatus.values}
    groups["in_attendance"] = []
    marks = Attendance.objects.filter(meeting=meeting).select_related("user").order_by("user__last_name")
    for mark in marks:
        seat = seats.get(mark.user_id)
        role = seat.get_role_display() if seat else ""
        person = {"name": _name(mark.user), "role": (seat.title or role) if seat else ""}
        voting = seat is not None and seat.role in (Role.CHAIR, Role.MEMBER)
        here = mark.status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)
        if here and not voting:
            groups["in_attendance"].append(person)
        else:
            groups[mark.status].append(person)
    declarations = [
        {"item": d.item_id, "name": _name(d.user), "nature": d.nature}
        for d in Declaration.objects.filter(item__meeting=meeting).select_related("user").order_by("item__sort_key")
    ]
    votes = []
    closed = Motion.objects.filter(item__meeting=meeting, status=Motion.Status.CLOSED).order_by("closed_at", "pk")
    for motion in closed:
        result = motion.result or {}
        votes.append(
            {
                "item": motion.item_id,
                "motion": motion.pk,
                "text": motion.text,
                "outcome": result.get("outcome", ""),
                "counts": result.get("counts", {}),
                "secret": motion.secret,
                "quorum": result.get("quorum", {}),
                # Named results: {"user": {"id", "name"}, "choice"} (earlier records: {"user": id, "name", "choice"}).
                "votes": [{"name": _voter_name(v), "choice": v.get("choice", "")} for v in result.get("votes", [])],
                "casting": result.get("casting"),
            }
        )
    return {
        "attendance": groups,
        "quorum": quorum_state(meeting=meeting),
        "declarations": declarations,
        "votes": votes,
    }


def record_of(minutes: Minutes) -> dict[str, Any]:
    """The frozen record once circulated; the live one while the minutes are a draft."""
    if minutes.record:
        return minutes.record
    return live_record(minutes.meeting)


def vote_line(vote: dict[str, Any]) -> str:
    counts = ", ".join(f"{option} {count}" for option, count in (vote.get("counts") or {}).items())
    return f"{vote.get('text', '')} — {vote.get('outcome', '')}" + (f" ({counts})" if counts else "")


def document(minutes: Minutes) -> dict[str, Any]:
    """The whole minutes as one plain structure: what the chair signs and what the PDF shows."""
    meeting = minutes.meeting
    entries = []
    entries_qs = minutes.entries.select_related("item").prefetch_related("decisions", "actions__owner")
    for entry in entries_qs.order_by("item__sort_key"):
        item: AgendaItem = entry.item
        entries.append(
            {
                "item": item.pk,
                "number": item.number,
                "title": item.title,
                "confidential": item.confidential,
                "body": entry.body,
                "decisions": [d.text for d in entry.decisions.all()],
                "actions": [
                    {
                        "description": a.description,
                        "owner": _name(a.owner) if a.owner else "",
                        "due": a.due.isoformat() if a.due else None,
                    }
                    for a in entry.actions.all()
                ],
            }
        )
    approval: dict[str, Any] = {"method": minutes.approval_method}
    if minutes.approved_at_meeting is not None:
        approval["meeting"] = {"id": minutes.approved_at_meeting.pk, "title": minutes.approved_at_meeting.title}
    if minutes.approved_by_resolution is not None:
        approval["resolution"] = {
            "id": minutes.approved_by_resolution.pk,
            "title": minutes.approved_by_resolution.title,
        }
    if minutes.approved_at is not None:
        approval["at"] = minutes.approved_at.isoformat()
    return {
        "meeting": {
            "id": meeting.pk,
            "board": meeting.board.name,
            "title": meeting.title,
            "starts_at": meeting.starts_at.isoformat(),
            "location": meeting.location,
        },
        "record": record_of(minutes),
        "entries": entries,
        "approval": approval,
    }


def content_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``doc``: the hash a signature covers."""
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()
