"""The live log of a meeting: record an event with the change, ring the bell after commit.

The database is the source of truth. ``event_record`` must run inside the transaction that
writes the change, so the change and its event commit together or not at all, and the event's
``seq`` is taken from a per-meeting counter locked by that same transaction: concurrent writers
queue on the meeting row and can neither share nor skip a number.

The bell only rings: after commit, one message per event goes to the meeting's sockets (through
``meetings.fanout``: one Redis pub/sub message, fanned out in memory by each server process)
carrying the frame already encoded, so every socket forwards the same bytes without encoding them
again. A socket that misses a bell (a dropped connection, a restarted process, Redis gone for a
while) replays from the database on its next bell, on reconnect, or when its process's
subscription to Redis is back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F

from . import fanout
from .models import AgendaItem, Audience, Meeting, MeetingEvent

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def encode_frame(event: MeetingEvent) -> str:
    """The server → client frame for one event (docs/live-protocol.md, "Server → client frames")."""
    return json.dumps(
        {"type": "event", "seq": event.seq, "event": event.type, "data": event.data},
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )


def event_record(
    *,
    meeting: Meeting,
    type: str,
    data: dict[str, Any],
    actor: User | None = None,
    item: AgendaItem | None = None,
    user: User | None = None,
    client_id: uuid.UUID | None = None,
) -> MeetingEvent:
    """Append an event to ``meeting``'s log; call it inside the transaction that makes the change.

    The audience is the whole meeting, one agenda ``item`` (those who may see it), or one
    ``user``. The bell rings after commit.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record must run inside the transaction that writes the change")
    # The UPDATE takes the meeting row's lock until commit: the next writer waits here.
    Meeting.objects.filter(pk=meeting.pk).update(last_seq=F("last_seq") + 1)
    seq = Meeting.objects.filter(pk=meeting.pk).values_list("last_seq", flat=True).get()
    audience = Audience.USER if user is not None else Audience.ITEM if item is not None else Audience.MEETING
    event = MeetingEvent.objects.create(
        meeting=meeting,
        seq=seq,
        type=type,
        data=data,
        audience=audience,
        item=item,
        user=user,
        actor=actor,
        client_id=client_id,
    )
    transaction.on_commit(lambda: ring(event))
    return event


def event_for_client_id(actor: User, client_id: uuid.UUID | None) -> MeetingEvent | None:
    """The event an earlier copy of the same command recorded, if any (idempotent retries)."""
    if client_id is None:
        return None
    return MeetingEvent.objects.filter(actor=actor, client_id=client_id).first()


def bell_message(event: MeetingEvent) -> dict[str, Any]:
    return {
        "type": "meeting.bell",
        "seq": event.seq,
        "event": event.type,
        "audience": event.audience,
        "item": event.item_id,
        "user": event.user_id,
        "frame": encode_frame(event),
    }


def _group_send(group: str, message: dict[str, Any]) -> None:
    """Send to a channel-layer group from sync code, whether or not this thread runs an event loop.

    A failure is logged and swallowed: the change is committed and sockets catch up from the log.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    try:
        if loop is None:
            async_to_sync(layer.group_send)(group, message)
        else:
            # Called from inside an event loop's thread (an async caller's on_commit): queue it there.
            task = loop.create_task(layer.group_send(group, message))
            _pending.add(task)
            task.add_done_callback(_pending.discard)
    except Exception:  # noqa: BLE001 — the layer being down must never undo or fail a committed write
        log.warning("live message to %s not delivered; sockets will catch up", group.split(".")[0], exc_info=True)


_pending: set[asyncio.Task[None]] = set()


def ring(event: MeetingEvent) -> None:
    """Tell the meeting's sockets about a committed event. Losing a bell loses no event."""
    try:
        fanout.publish(fanout.meeting_topic(event.meeting_id), bell_message(event))
    except Exception:  # noqa: BLE001 — Redis being down must never undo or fail a committed write
        log.warning("bell for meeting %s not rung; sockets will catch up", event.meeting_id, exc_info=True)


def access_changed(user_id: int) -> None:
    """After commit, tell the user's open sockets to re-check what they may see (or close)."""
    _send_after_commit(user_group(user_id), {"type": "access.changed"})


def session_group(session_key: str) -> str:
    """A group for the sockets opened from one browser session (the key itself is not exposed)."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def _send_after_commit(group: str, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _group_send(group, message))


def sessions_revoked(*, user_id: int) -> None:
    """Close every socket of the user (sign out everywhere)."""
    _send_after_commit(user_group(user_id), {"type": "session.revoked"})


def session_ended(*, session_key: str) -> None:
    """Close the sockets opened from one session (sign-out on that device)."""
    _send_after_commit(session_group(session_key), {"type": "session.revoked"})
