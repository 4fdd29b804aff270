"""What a live socket holds about its user, loaded and refreshed from the policy (sync code)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet

from boardroom import policy
from boardroom.policy import Action
from documents.models import Comment, Paper

from . import events, frames
from .models import (
    AgendaItem,
    Audience,
    Declaration,
    Meeting,
    MeetingEvent,
    MeetingStatus,
    Membership,
    Motion,
    SpeakerRequest,
)
from .services._common import DECLARED

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
    """The meeting as it stands, sent once when a socket opens (docs/live-protocol.md, "The state frame")."""
    meeting = Meeting.objects.select_related("board", "adjourned_by", "current_item").get(pk=meeting_id)
    user = User.objects.get(pk=view.user_id)
    return build_state(user, meeting, view.items)


_UNREAD: object = object()


def build_state(
    user: User,
    meeting: Meeting,
    visible: Collection[int],
    *,
    current_item: AgendaItem | None = None,
    open_motion: Motion | None | object = _UNREAD,
) -> dict[str, object]:
    """Everything a client needs to rebuild the live page, read from the database for ``user``.

    ``visible``: the ids of the meeting's items the user may see (the socket's view, or the
    page's agenda). The page passes what it has already read (the current item, the open vote)
    so the first paint costs no query twice; parts that cannot apply (a vote when none is open,
    the speakers' queue when the meeting is not live) cost none at all.
    """
    from . import services

    live = meeting.status == MeetingStatus.LIVE
    current_id = meeting.current_item_id
    current_visible = current_id is not None and current_id in visible
    current = current_item if current_item is not None and current_item.pk == current_id else None
    if current is None and current_id is not None:
        current = meeting.current_item
    privileged = policy.can(user, Action.CHAIR, meeting) or policy.can(user, Action.MANAGE, meeting)

    quorum = None
    if live or (privileged and meeting.status != MeetingStatus.DRAFT):
        quorum = services.quorum_state(meeting=meeting, item=current)

    presenter = None
    if live and current_visible and meeting.current_since is not None:
        shown = (
            MeetingEvent.objects.filter(
                meeting=meeting, type="presenter.page", item_id=current_id, created_at__gte=meeting.current_since
            )
            .select_related("actor")
            .order_by("-seq")
            .first()
        )
        if shown is not None:
            who = shown.actor
            presenter = {
                "paper": shown.data.get("paper"),
                "page": shown.data.get("page"),
                "item": current_id,
                "presenter": {"id": who.pk, "name": who.get_full_name() or who.get_username()} if who else None,
            }

    declarations: list[dict[str, object]] = []
    # Anyone else sees only their own declarations; someone who has declared nothing anywhere
    # (the policy already knows) costs no query.
    if privileged or policy.access_for(user).recused:
        found = Declaration.objects.filter(item__meeting=meeting).select_related("user", "recorded_by")
        if not privileged:
            found = found.filter(user=user)
        declarations = [services.declaration_data(d) for d in found.order_by("item__sort_key", "created_at")]
    my_recusals: list[int] = sorted({int(d["item"]) for d in declarations if d["user"]["id"] == user.pk})  # type: ignore[index,call-overload]

    if open_motion is _UNREAD:
        open_motion = (
            Motion.objects.filter(item__meeting=meeting, status=Motion.Status.OPEN)
            .select_related("item__meeting", "mover", "seconder")
            .first()
        )
    vote = None
    if isinstance(open_motion, Motion) and open_motion.item_id in visible:
        ballots = dict(open_motion.ballots.values_list("user_id", "choice"))
        vote = {
            **services.opened_data(open_motion),
            "cast": len(ballots),
            "voted": sorted(ballots),
            "mine": ballots.get(user.pk),
        }

    speakers = None
    if live and current_visible and current_id is not None:
        snapshot = services.speakers_snapshot(current_id)
        speakers = {"queue": snapshot["queue"], "floor": snapshot["floor"]}

    return {
        "type": "state",
        "seq": meeting.last_seq,
        "status": meeting.status,
        "current_item": current_id,
        "current_since": meeting.current_since if current_id is not None else None,
        "adjourned": services.adjourned_data(meeting),
        "quorum": quorum,
        "presenter": presenter,
        "declarations": declarations,
        "vote": vote,
        "speakers": speakers,
        "my_recusals": my_recusals,
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
        raise PermissionDenied("You may not see this meeting.")
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
            refused = _hidden_item_refusal(user, meeting_id, item_id)
            if refused == DECLARED:
                raise PermissionDenied(refused)
            raise ValidationError(refused)
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


def _hidden_item_refusal(user: User, meeting_id: int, item_id: int) -> str:
    """Why an item of this meeting is not there for the user: their own declaration says so; an item
    they may not see at all (Part B for an observer) is simply not on their agenda."""
    item = AgendaItem.objects.filter(meeting_id=meeting_id, pk=item_id).first()
    if item is not None and item.pk in policy.access_for(user).recused:
        return DECLARED
    return "That item is not on this agenda."


def _visible_item(user: User, meeting_id: int, frame: dict[str, object]) -> AgendaItem:
    item_id = frames.required_int(frame, "item")
    item = policy.visible(user, AgendaItem.objects.filter(meeting_id=meeting_id, pk=item_id)).first()
    if item is None:
        raise PermissionDenied(_hidden_item_refusal(user, meeting_id, item_id))
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
    motion = services.motion_open(
        actor=user,
        item=item,
        text=text,
        options=options,
        secret=secret,
        mover=frames.optional_int(frame, "mover"),
        seconder=frames.optional_int(frame, "seconder"),
        client_id=client_id,
    )
    return services.motion_data(motion)


def _on_visible_item(user: User, meeting_id: int, queryset: QuerySet[M], pk: int, missing: str) -> M:
    """The object ``pk`` of ``queryset`` if it hangs on an item of this meeting the user may see."""
    items = policy.visible(user, AgendaItem.objects.filter(meeting_id=meeting_id))
    found = queryset.filter(pk=pk, item__in=items).first()
    if found is None:
        hidden = queryset.filter(pk=pk, item__meeting_id=meeting_id).values_list("item_id", flat=True).first()
        if hidden is not None and hidden in policy.access_for(user).recused:
            raise PermissionDenied(DECLARED)
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


def vote_casting_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    choice = frame.get("choice")
    if not isinstance(choice, str):
        raise ValidationError('"choice" must be text.')
    motion = services.vote_casting(
        actor=user, motion=_visible_motion(user, meeting_id, frame), choice=choice, client_id=client_id
    )
    return services.motion_data(motion)


def _adjourn(user: User, meeting_id: int, adjourn: bool, client_id: uuid.UUID) -> dict[str, object]:
    from . import services

    policy.forget(user)
    meeting = services.meeting_adjourn(
        actor=user, meeting=_visible_meeting(user, meeting_id), adjourn=adjourn, client_id=client_id
    )
    return {"meeting": meeting.pk, "adjourned": services.adjourned_data(meeting)}


def adjourn_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    return _adjourn(user, meeting_id, True, client_id)


def resume_from_frame(user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID) -> dict[str, object]:
    return _adjourn(user, meeting_id, False, client_id)


def _speaker_request(user: User, meeting_id: int, frame: dict[str, object]) -> SpeakerRequest:
    return _on_visible_item(
        user,
        meeting_id,
        SpeakerRequest.objects.select_related("item__meeting"),
        frames.required_int(frame, "request"),
        "That request to speak is not on this agenda.",
    )


def speaker_request_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    item = _visible_item(user, meeting_id, frame)
    return services.speaker_request(actor=user, item=item, client_id=client_id)


def speaker_withdraw_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    request = _speaker_request(user, meeting_id, frame)
    return services.speaker_withdraw(actor=user, request=request, client_id=client_id)


def speaker_give_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    request = _speaker_request(user, meeting_id, frame)
    return services.speaker_give(actor=user, request=request, client_id=client_id)


def speaker_done_from_frame(
    user: User, meeting_id: int, frame: dict[str, object], client_id: uuid.UUID
) -> dict[str, object]:
    from . import services

    policy.forget(user)
    meeting = _visible_meeting(user, meeting_id)
    item = None
    if frames.optional_int(frame, "item") is not None:
        item = _visible_item(user, meeting_id, frame)
    snapshot = services.speaker_done(actor=user, meeting=meeting, item=item, client_id=client_id)
    return snapshot or {"item": None, "queue": [], "floor": None}


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
    "vote.casting": vote_casting_from_frame,
    "meeting.adjourn": adjourn_from_frame,
    "meeting.resume": resume_from_frame,
    "speaker.request": speaker_request_from_frame,
    "speaker.withdraw": speaker_withdraw_from_frame,
    "speaker.give": speaker_give_from_frame,
    "speaker.done": speaker_done_from_frame,
}
