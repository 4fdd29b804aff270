"""What a live socket holds about its user, loaded and refreshed from the policy (sync code)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet

from boardroom import policy
from boardroom.policy import Action
from documents.models import Comment, Paper

from . import events, frames
from .models import AgendaItem, Audience, Meeting, MeetingEvent, MeetingStatus, Membership, Motion

M = TypeVar("M", bound=Model)


@dataclass
class SocketView:
    """A socket's picture of what its user may see in one meeting.

    Each bell is checked against this without touching the database; it is rebuilt when the
    user's access changes (membership, role, declaration, agenda) and at least once a minute.
    """

    user_id: int
    meeting_id: int
    may_view: bool
    items: frozenset[int] = field(default_factory=frozenset)

    def admits(self, audience: str, item_id: int | None, user_id: int | None) -> bool:
        if not self.may_view:
            return False
        if audience == Audience.MEETING:
            return True
        if audience == Audience.ITEM:
            return item_id in self.items
        if audience == Audience.USER:
            return user_id == self.user_id
        return False


def load_view(user: User | AnonymousUser, meeting_id: int) -> SocketView | None:
    """The socket's view for ``user``, or None if they may not see the meeting at all."""
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    policy.forget(user)
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None or not policy.can(user, Action.VIEW, meeting):
        return None
    items = policy.visible(user, AgendaItem.objects.filter(meeting_id=meeting_id)).values_list("pk", flat=True)
    return SocketView(user_id=user.pk, meeting_id=meeting_id, may_view=True, items=frozenset(items))


def session_ok(user: User | AnonymousUser, session_key: str | None) -> bool:
    """Whether the browser session behind a socket still stands (not signed out, idle, expired,
    and second factor verified where required). A live socket counts as activity."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import SESSION_KEY

    from boardroom import sessions

    if not isinstance(user, User) or not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    # Loading is the existence check (one query, not two): a missing or expired session loads
    # empty, and a session must still be this user's.
    if store.get(SESSION_KEY) != str(user.pk):
        return False
    problem = sessions.check(user, store, touch=True)
    if store.modified:
        store.save()
    return problem is None


def recheck(user: User | AnonymousUser, session_key: str | None, meeting_id: int) -> tuple[bool, SocketView | None]:
    """Whether the socket's session still stands, and if so its fresh view (one thread hop for both)."""
    if not session_ok(user, session_key):
        return False, None
    return True, load_view(user, meeting_id)


def last_seq(meeting_id: int) -> int:
    return Meeting.objects.filter(pk=meeting_id).values_list("last_seq", flat=True).first() or 0


def events_after(meeting_id: int, after: int, limit: int = 500) -> list[MeetingEvent]:
    """Logged events after ``after``, in order (the caller filters them by its view)."""
    return list(MeetingEvent.objects.filter(meeting_id=meeting_id, seq__gt=after).order_by("seq")[:limit])


def meeting_state(meeting_id: int, view: SocketView) -> dict[str, object]:
    """The meeting as it stands, sent once when a socket opens."""
    meeting = Meeting.objects.get(pk=meeting_id)
    return {
        "type": "state",
        "seq": meeting.last_seq,
        "status": meeting.status,
        "current_item": meeting.current_item_id,
    }


def device_label(headers: list[tuple[bytes, bytes]]) -> str:
    """A short, human name for the device, from its User-Agent (never stored in full)."""
    agent = dict(headers).get(b"user-agent", b"").decode("latin-1", "replace")
    for needle, label in (
        ("iPad", "iPad"),
        ("iPhone", "iPhone"),
        ("Android", "Android"),
        ("Macintosh", "Mac"),
        ("Windows", "Windows PC"),
        ("Linux", "Linux"),
        ("CrOS", "Chromebook"),
    ):
        if needle in agent:
            return label
    return "device"


# --- client frames that drive the chair's controls ---------------------------------------------


def _visible_meeting(user: User, meeting_id: int) -> Meeting:
    meeting = policy.visible(user, Meeting.objects.filter(pk=meeting_id)).first()
    if meeting is None:
        raise PermissionDenied("No such meeting.")
    return meeting


def _advance(user: User, meeting_id: int, to: str, client_id: uuid.UUID) -> dict[str, object]:
    from . import services

    policy.forget(user)
    meeting = _visible_meeting(user, meeting_id)
    if events.event_for_client_id(user, client_id) is None:
        meeting = services.meeting_advance(actor=user, meeting=meeting, to=to, client_id=client_id)
    meeting.refresh_from_db(fields=["status"])
    return {"meeting": meeting.pk, "status": meeting.status}


def current_item_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    meeting = _visible_meeting(user, meeting_id)
    item_id = frames.optional_int(frame, "item")
    item = None
    if item_id is not None:
        item = policy.visible(user, AgendaItem.objects.filter(meeting=meeting, pk=item_id)).first()
        if item is None:
            raise ValidationError("That item is not on this agenda.")
    meeting = services.meeting_set_current_item(actor=user, meeting=meeting, item=item, client_id=client_id)
    return {"meeting": meeting.pk, "current_item": meeting.current_item_id}


def presenter_page_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    paper_id = frames.required_int(frame, "paper")
    page = frames.required_int(frame, "page")
    papers = policy.visible(user, Paper.objects.filter(item__meeting_id=meeting_id, pk=paper_id))
    paper = papers.select_related("item__meeting", "current_version").first()
    if paper is None:
        raise ValidationError("That paper is not on this agenda.")
    return dict(services.presenter_show_page(actor=user, paper=paper, page=page, client_id=client_id))


def start_from_frame(user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID) -> dict[str, object]:
    return _advance(user, meeting_id, MeetingStatus.LIVE, client_id)


def close_from_frame(user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID) -> dict[str, object]:
    return _advance(user, meeting_id, MeetingStatus.CLOSED, client_id)


def _visible_item(user: User, meeting_id: int, frame: dict[str, object]) -> AgendaItem:
    item_id = frames.required_int(frame, "item")
    item = policy.visible(user, AgendaItem.objects.filter(meeting_id=meeting_id, pk=item_id)).first()
    if item is None:
        raise PermissionDenied("No such item.")
    return item


def _member_of_meeting(meeting_id: int, user_id: int) -> User:
    meeting = Meeting.objects.get(pk=meeting_id)
    member = User.objects.filter(
        pk=user_id, memberships__board_id=meeting.board_id, memberships__in=Membership.objects.current()
    ).first()
    if member is None:
        raise ValidationError("That person is not a member of this board.")
    return member


def declaration_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    item = _visible_item(user, meeting_id, frame)
    who_id = frames.optional_int(frame, "user")
    who = user if who_id is None or who_id == user.pk else _member_of_meeting(meeting_id, who_id)
    nature = frame.get("nature")
    if not isinstance(nature, str):
        raise ValidationError('"nature" must be text.')
    declaration = services.declaration_record(actor=user, item=item, user=who, nature=nature, client_id=client_id)
    return {"id": declaration.pk, "item": item.pk, "user": who.pk, "nature": declaration.nature}


def attendance_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    meeting = _visible_meeting(user, meeting_id)
    who = _member_of_meeting(meeting_id, frames.required_int(frame, "user"))
    status = frame.get("status")
    if not isinstance(status, str):
        raise ValidationError('"status" must be text.')
    record = services.attendance_mark(actor=user, meeting=meeting, user=who, status=status, client_id=client_id)
    return {"user": who.pk, "status": record.status, "quorum": services.quorum_state(meeting=meeting)}


def vote_open_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    item = _visible_item(user, meeting_id, frame)
    text, options, secret = frame.get("text"), frame.get("options"), frame.get("secret", False)
    if not isinstance(text, str):
        raise ValidationError('"text" must be text.')
    if options is not None and not (isinstance(options, list) and all(isinstance(o, str) for o in options)):
        raise ValidationError('"options" must be a list of texts.')
    if not isinstance(secret, bool):
        raise ValidationError('"secret" must be true or false.')
    motion = services.motion_open(actor=user, item=item, text=text, options=options, secret=secret, client_id=client_id)
    return services.motion_data(motion)


def _on_visible_item(user: User, meeting_id: int, queryset: QuerySet[M], pk: int, missing: str) -> M:
    """The object ``pk`` of ``queryset`` if it hangs on an item of this meeting the user may see."""
    items = policy.visible(user, AgendaItem.objects.filter(meeting_id=meeting_id))
    found = queryset.filter(pk=pk, item__in=items).first()
    if found is None:
        raise PermissionDenied(missing)
    return found


def _visible_motion(user: User, meeting_id: int, frame: dict[str, object]) -> Motion:
    return _on_visible_item(
        user, meeting_id, Motion.objects.all(), frames.required_int(frame, "motion"), "No such vote."
    )


def vote_cast_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    motion = _visible_motion(user, meeting_id, frame)
    choice = frame.get("choice")
    if not isinstance(choice, str):
        raise ValidationError('"choice" must be text.')
    ballot = services.vote_cast(actor=user, motion=motion, choice=choice, client_id=client_id)
    return {"motion": motion.pk, "choice": ballot.choice}


def vote_close_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    motion = services.motion_close(actor=user, motion=_visible_motion(user, meeting_id, frame), client_id=client_id)
    return services.motion_data(motion)


def comment_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from documents import services as document_services

    return document_services.comment_create_from_frame(
        actor=user, meeting_id=meeting_id, frame=frame, client_id=client_id
    )


def _own_comment(user: User, meeting_id: int, frame: dict[str, object]) -> Comment:
    return _on_visible_item(
        user, meeting_id, Comment.objects.all(), frames.required_int(frame, "comment"), "No such comment."
    )


def comment_edit_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from documents import services as document_services

    policy.forget(user)
    body = frame.get("body")
    if not isinstance(body, str):
        raise ValidationError('"body" must be text.')
    comment = document_services.comment_edit(
        actor=user, comment=_own_comment(user, meeting_id, frame), body=body, client_id=client_id
    )
    return document_services.comment_data(comment)


def comment_delete_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from documents import services as document_services

    policy.forget(user)
    comment = document_services.comment_delete(
        actor=user, comment=_own_comment(user, meeting_id, frame), client_id=client_id
    )
    return document_services.comment_data(comment)


Command = Callable[[User, int, dict[str, object], uuid.UUID], dict[str, object]]

# Client frames that change something, by type (docs/live-protocol.md). Each runs in a
# worker thread, re-checks the policy from the database, and calls one service.
COMMANDS: dict[str, Command] = {
    "comment.create": comment_from_frame,
    "comment.edit": comment_edit_from_frame,
    "comment.delete": comment_delete_from_frame,
    "meeting.start": start_from_frame,
    "meeting.close": close_from_frame,
    "item.current": current_item_from_frame,
    "presenter.page": presenter_page_from_frame,
    "declaration.create": declaration_from_frame,
    "attendance.mark": attendance_from_frame,
    "vote.open": vote_open_from_frame,
    "vote.cast": vote_cast_from_frame,
    "vote.close": vote_close_from_frame,
}
