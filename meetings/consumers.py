"""The meeting socket: /ws/meetings/<id>/ (docs/architecture.md, "The live event path"; docs/live-protocol.md).

A thin edge: authenticate, join the meeting's fan-out, hand client frames to services, forward
the events the user may see — in order, exactly once — and replay what a client missed.

A meeting's bells and presence snapshots arrive through ``meetings.fanout`` (one subscription per
server process and meeting, handed to each socket's in-memory inbox); messages for one user or one
session (access changed, signed out) through the channel layer's groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import time
import uuid
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from boardroom import sessions, wsauth

from . import fanout, live, services
from .events import encode_frame, session_group, user_group
from .models import Meeting, MeetingEvent

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
MAX_FRAMES_PER_SECOND = 20
ACCESS_RECHECK_SECONDS = 60
# Events after which a socket reloads which items its user may see.
REFRESHING_EVENTS = frozenset({"agenda.changed", "declaration.recorded"})
CLOSE_SIGNED_OUT = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_FLOOD = 4429
# A fan-out message (meetings.fanout) that waited in the socket's inbox.
INBOX = "fanout.inbox"


# Presence snapshots go out at most this often per meeting and server process; arrivals and
# departures inside the window fold into one later snapshot.
PRESENCE_EVERY_SECONDS = 0.25


@dataclass
class _PresenceThrottle:
    sent_at: float = float("-inf")
    pending: asyncio.Future[None] | None = None


# Per event loop (a server process has one; tests make one per test), per meeting id.
_presence: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _PresenceThrottle]] = (
    weakref.WeakKeyDictionary()
)


def _presence_throttle(meeting_id: int) -> _PresenceThrottle:
    per_meeting = _presence.setdefault(asyncio.get_running_loop(), {})
    return per_meeting.setdefault(meeting_id, _PresenceThrottle())


# Periodic access re-checks run one at a time per event loop. Sockets opened together fall due
# together; dozens of re-checks queued at once in the one thread that runs database work made the
# client commands queued behind them (a comment being posted) wait.
_recheck_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _recheck_gate() -> asyncio.Semaphore:
    return _recheck_gates.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(1))


def _presence_due(meeting_id: int) -> bool:
    """Whether a presence snapshot would go out at once (none pending, none sent just now)."""
    throttle = _presence_throttle(meeting_id)
    return throttle.pending is None and time.monotonic() - throttle.sent_at >= PRESENCE_EVERY_SECONDS


@dataclass
class _Admitted:
    """What one database trip found for a new socket that may open."""

    user: User
    view: live.SocketView
    state: dict[str, object]
    missed: list[MeetingEvent]
    online: list[dict[str, object]] | None


def _admit(
    *,
    session_key: str,
    meeting_id: int,
    after: int | None,
    channel_name: str,
    device: str,
    snapshot: bool,
) -> _Admitted | None:
    """A new socket's whole admission, in one trip to a database thread (sync); None: refused.

    Who is signed in (boardroom/wsauth.py), whether that session still stands (signed out,
    idle, too old, second factor owed: ``boardroom.sessions.check``, as for a page), whether the
    person may see the meeting and which items (``live.load_view``, the policy), then the
    meeting's state, the first events missed and the presence row.
    """
    if not session_key:
        return None
    store = wsauth.session_store(session_key)
    user = wsauth.signed_in_user(store)
    if user is None:
        return None
    problem = sessions.check(user, store, touch=True)
    if store.modified:
        store.save()
    if problem is not None:
        return None
    view = live.load_view(user, meeting_id)
    if view is None:
        return None
    state, missed, online = _admission(
        user=user,
        meeting_id=meeting_id,
        view=view,
        after=after,
        channel_name=channel_name,
        device=device,
        snapshot=snapshot,
    )
    return _Admitted(user=user, view=view, state=state, missed=missed, online=online)


# Admissions run in a few threads of their own when the database has a connection pool
# (PostgreSQL in production: boardroom/settings/database.py), so that a storm of reconnects is
# admitted several at a time instead of one after another on the socket database thread. Each
# admission is self-contained (it loads everything it uses and touches no state the consumer
# holds) and takes a pooled connection for the length of the call, handed back when it ends
# (channels' ``DatabaseSyncToAsync`` closes it). Without a pool (SQLite, the embedded mode, or
# a pooler in front) they stay on the one thread. A third of the pool at most: pages and the
# sockets' other work need connections meanwhile.
ADMISSION_THREADS = 3
# With the id of the process that made it: a forked child (a server started from a parent that
# had admitted sockets, as the test suite's servers are) inherits the executor without its
# threads, and work handed to it would wait for ever.
_admission_executor: tuple[int, ThreadPoolExecutor] | None = None


def _admission_threads() -> int:
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if not pool:
        return 0
    max_size = pool.get("max_size", 0) if isinstance(pool, dict) else 0
    return max(1, min(ADMISSION_THREADS, max_size // 3)) if max_size else 1


def _admit_async() -> Any:
    global _admission_executor
    threads = _admission_threads()
    if not threads:
        return database_sync_to_async(_admit)
    if _admission_executor is None or _admission_executor[0] != os.getpid():
        _admission_executor = (os.getpid(), ThreadPoolExecutor(max_workers=threads, thread_name_prefix="admission"))
    return DatabaseSyncToAsync(_admit, thread_sensitive=False, executor=_admission_executor[1])


def _admission(
    *,
    user: Any,
    meeting_id: int,
    view: live.SocketView,
    after: int | None,
    channel_name: str,
    device: str,
    snapshot: bool,
) -> tuple[dict[str, object], list[MeetingEvent], list[dict[str, object]] | None]:
    """A new socket's database work after its access check (sync): the meeting's state, the
    first events it missed, and its presence row (with who is online when ``snapshot``)."""
    # The state for the user already loaded, whose policy grants load_view left memoised: not
    # live.meeting_state, which loads the user and their grants again (five queries more).
    meeting = Meeting.objects.select_related("board", "adjourned_by", "current_item").get(pk=meeting_id)
    state = live.build_state(user, meeting, view.items)
    missed = live.events_after(meeting_id, after) if after is not None else []
    online = services.presence_join(
        user=user, meeting_id=meeting_id, channel_name=channel_name, device=device, snapshot=snapshot
    )
    return state, missed, online if snapshot else None


def _recheck_interval() -> float:
    """At most ACCESS_RECHECK_SECONDS, less a margin for the re-check itself to run."""
    # Jitter, not security (bandit B311).
    return ACCESS_RECHECK_SECONDS * random.uniform(0.85, 1.0)  # nosec B311


def _dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, cls=DjangoJSONEncoder, separators=(",", ":"))


class MeetingConsumer(AsyncWebsocketConsumer):
    view: live.SocketView | None
    last_sent: int

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' consumer loop, with a third source: this socket's fan-out inbox.

        The channel layer's receive is retried instead of ending the socket when Redis is away;
        the fan-out tells the socket to resynchronise when Redis is back.
        """
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.inbox_unfinished = 0  # queued in the inbox and not yet handled
        self.lock = asyncio.Lock()  # one message at a time, whichever way it came
        self.dispatching = False
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        sources = [receive, self._inbox_next]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = self._layer_receive
            sources.append(self._layer_receive)
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch(sources, self.dispatch)

    async def _inbox_next(self) -> dict[str, Any]:
        return {"type": INBOX, "message": await self.inbox.get()}

    async def _layer_receive(self) -> dict[str, Any]:
        delay = 0.1
        while True:
            try:
                message: dict[str, Any] = await self.channel_layer.receive(self.channel_name)
                return message
            except Exception:  # noqa: BLE001 — Redis away: wait for it; the socket stays open
                log.debug("channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, fanout.RETRY_MAX_S)

    async def fanout_receive(self, message: dict[str, Any]) -> None:
        """A meeting broadcast from the process's fan-out hub, in the hub's task.

        The common case — the next bell in order, or a presence snapshot, for a socket that is
        not busy — is sent from here at once: no task wake-up per socket. Anything else (a gap
        to replay, an event that changes what the user may see, a socket busy with another
        message or with earlier ones queued) goes to the socket's inbox, handled in order.
        """
        if not (self.dispatching or self.inbox_unfinished or self.lock.locked()):
            async with self.lock:  # free, and nobody waits for it: taken without yielding
                if await self._forward_now(message):
                    return
        self.inbox_unfinished += 1
        self.inbox.put_nowait(message)

    async def _forward_now(self, message: dict[str, Any]) -> bool:
        """Send ``message`` if that needs nothing but what the socket holds; False otherwise."""
        kind = message["type"]
        if kind == "presence.update":
            await self.presence_update(message)
            return True
        if kind != "meeting.bell" or self.view is None:
            return False
        seq = message["seq"]
        if seq <= self.last_sent:
            return True  # already sent
        if seq != self.last_sent + 1 or message["event"] in REFRESHING_EVENTS:
            return False
        if self.view.admits(message["audience"], message["item"], message["user"]):
            await self.send(text_data=message["frame"])
        self.last_sent = seq
        return True

    async def connect(self) -> None:
        """Admit the socket or refuse its handshake (docs/architecture.md, "The live event path").

        The origin was checked before anything (boardroom/websocket_origin.py). The socket joins
        the meeting's fan-out first — no bell after the state it will be sent can be missed —
        then does its database work in one trip (``_admit``), and is accepted or refused.
        """
        self.view = None
        self.last_sent = 0
        self.frame_times: list[float] = []
        self.refreshing: asyncio.Future[None] | None = None
        self.recheck_timer: asyncio.TimerHandle | None = None
        try:
            self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        except (KeyError, ValueError):
            await self.close()
            return
        self.session_key: str = self.scope.get(wsauth.SESSION_KEY_SCOPE) or ""
        if not self.session_key:
            await self.close()  # no session cookie: refused before any work
            return
        self.topic = fanout.meeting_topic(self.meeting_id)
        try:
            await fanout.hub().join(self.topic, self)
            self.fanned_in = True
        except Exception:  # noqa: BLE001 — Redis away: refuse the handshake; the client retries
            log.warning("meeting %s socket refused: live fan-out unavailable", self.meeting_id, exc_info=True)
            await self._refuse()
            return
        after = self._after_from_query()
        admitted = await _admit_async()(
            session_key=self.session_key,
            meeting_id=self.meeting_id,
            after=after,
            channel_name=self.channel_name,
            device=live.device_label(self.scope.get("headers", [])),
            snapshot=_presence_due(self.meeting_id),
        )
        if admitted is None:
            await self._refuse()  # signed out, second factor owed, or may not see the meeting
            return
        self.user = admitted.user
        self.joined = True  # the presence row exists: a disconnect, even now, removes it
        try:
            await self._join_groups()
        except Exception:  # noqa: BLE001 — Redis away: refuse the handshake; the client retries
            log.warning("meeting %s socket refused: live fan-out unavailable", self.meeting_id, exc_info=True)
            await self._refuse()
            return
        self.view = admitted.view
        await self.accept()
        self._schedule_recheck(first=True)
        if after is None:
            self.last_sent = int(admitted.state["seq"])  # type: ignore[call-overload]
            await self.send(text_data=_dumps(admitted.state))
        else:
            await self.send(text_data=_dumps(admitted.state))
            await self._replay(after, admitted.missed)
        await self._announce_presence(admitted.online)

    async def _refuse(self) -> None:
        """Refuse the handshake, out of the meeting's fan-out."""
        self.view = None
        if getattr(self, "fanned_in", False):
            self.fanned_in = False
            await fanout.hub().leave(self.topic, self)
        await self.close()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, one message at a time, without its thread hop on the hot paths.

        Channels runs ``close_old_connections`` in the (single) sync thread before every handler.
        For a bell or a presence snapshot that is one thread round trip per socket per event,
        all queued behind one thread: at 500 sockets it was most of the fan-out time; for a
        client frame it is a round trip before the command's own. These handlers touch the
        database only through ``database_sync_to_async``, which closes stale connections itself
        on the way in and out.

        The lock keeps the fan-out's direct sends (``fanout_receive``) out while a message is
        being handled here, so that what this socket sends stays in ``seq`` order.
        """
        queued = message.get("type") == INBOX
        if queued:
            message = message["message"]
        kind = message.get("type")
        self.dispatching = True
        try:
            async with self.lock:
                if kind == "meeting.bell":
                    await self.meeting_bell(message)
                elif kind == "presence.update":
                    await self.presence_update(message)
                elif kind == "fanout.resync":
                    await self.fanout_resync(message)
                elif kind == "websocket.receive":
                    await self.websocket_receive(message)  # its handlers open their own connections
                else:
                    await super().dispatch(message)
        finally:
            self.dispatching = False
            if queued:
                self.inbox_unfinished -= 1

    async def disconnect(self, code: int) -> None:
        refreshing = getattr(self, "refreshing", None)
        if refreshing is not None:
            refreshing.cancel()
        timer = getattr(self, "recheck_timer", None)
        if timer is not None:
            timer.cancel()
        if getattr(self, "fanned_in", False):
            await fanout.hub().leave(self.topic, self)
        if getattr(self, "view", None) is None and not getattr(self, "joined", False):
            return
        try:
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
            await self.channel_layer.group_discard(session_group(self.session_key), self.channel_name)
        except Exception:  # noqa: BLE001 — Redis away; the groups expire on their own
            log.debug("group discard failed", exc_info=True)
        if getattr(self, "joined", False):
            online = await database_sync_to_async(services.presence_leave)(
                meeting_id=self.meeting_id, channel_name=self.channel_name
            )
            await self._announce_presence(online)

    async def _announce_presence(self, online: list[dict[str, object]] | None) -> None:
        """Tell the meeting who is online: now, or folded into a snapshot a moment later.

        When a meeting starts, N arrivals would each send a snapshot of up to N people to N
        sockets (N² frames: at 500 sockets the joins took 20 s to settle, and handshakes timed
        out). The first change in a quiet spell is announced at once; later ones within
        PRESENCE_EVERY_SECONDS wait for one fresh snapshot at the end of the window.
        """
        throttle = _presence_throttle(self.meeting_id)
        if throttle.pending is not None:
            return  # the snapshot already scheduled is taken after this change
        wait = throttle.sent_at + PRESENCE_EVERY_SECONDS - time.monotonic()
        if wait <= 0 and online is not None:
            throttle.sent_at = time.monotonic()
            await _send_presence(self.channel_layer, self.meeting_id, online)
        elif wait <= 0:  # fell due after the join skipped reading who is online: read it now
            throttle.pending = asyncio.ensure_future(_presence_later(self.channel_layer, self.meeting_id, 0))
        else:
            throttle.pending = asyncio.ensure_future(_presence_later(self.channel_layer, self.meeting_id, wait))

    async def _join_groups(self) -> None:
        """The user's and the session's groups: access changes and sign-outs reach this socket."""
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        await self.channel_layer.group_add(session_group(self.session_key), self.channel_name)

    async def fanout_resync(self, message: dict[str, Any]) -> None:
        """The process's subscription came back after Redis was away: bells (and access changes)
        sent meanwhile are lost. Re-join the groups (a restarted Redis forgot them), re-check
        access, and replay the log from the last event sent."""
        if self.view is None:
            return
        for attempt in range(3):
            try:
                await self._join_groups()
                break
            except Exception:  # noqa: BLE001 — a pooled connection from before the restart; the periodic re-check still runs
                if attempt == 2:
                    log.warning("meeting %s socket could not re-join its groups", self.meeting_id, exc_info=True)
                await asyncio.sleep(0.1 * (attempt + 1))
        if await self._refresh_view():
            await self._replay(self.last_sent)

    async def presence_update(self, message: dict[str, Any]) -> None:
        if self.view is not None:
            await self.send(text_data=message["frame"])

    def _after_from_query(self) -> int | None:
        from urllib.parse import parse_qs

        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            return max(0, int(query["after"][0]))
        except (KeyError, ValueError, IndexError):
            return None

    # --- server → client ---------------------------------------------------------------------

    async def _replay(self, after: int, first: list[MeetingEvent] | None = None) -> None:
        """Send every logged event after ``after`` that this user may see, in order (``first``:
        the first batch, already read)."""
        self.last_sent = after
        while True:
            if first is not None:
                events, first = first, None
            else:
                events = await database_sync_to_async(live.events_after)(self.meeting_id, self.last_sent)
            if not events:
                return
            for event in events:
                if self.view is not None and self.view.admits(event.audience, event.item_id, event.user_id):
                    await self.send(text_data=encode_frame(event))
                self.last_sent = event.seq
                if event.type in REFRESHING_EVENTS and not await self._refresh_view():
                    return

    async def meeting_bell(self, message: dict[str, Any]) -> None:
        if self.view is None:
            # Refused at the handshake, or access withdrawn (a re-check or a sign-out): the
            # socket is closing, and has nothing to fill in.
            return
        seq = message["seq"]
        if seq <= self.last_sent:
            return  # already sent (replayed, or a bell repeated)
        if seq != self.last_sent + 1:
            await self._replay(self.last_sent)  # a bell was missed: fill the gap from the log
            return
        if self.view.admits(message["audience"], message["item"], message["user"]):
            await self.send(text_data=message["frame"])
        self.last_sent = seq
        if message.get("event") in REFRESHING_EVENTS:
            # Items came or went (or changed Part B): what this socket may see has changed.
            await self._refresh_view()

    def _schedule_recheck(self, *, first: bool = False) -> None:
        """The periodic re-check, a safety net (access changes arrive at once as access.changed):
        each socket on a timer of its own, jittered, beside delivery and never in front of it.

        Started by bells, sockets that fell due during a quiet spell all re-checked on the first
        bell after it, and their database work queued in front of the next client commands.
        """
        if self.view is not None:
            delay = _recheck_interval()
            if first:
                delay *= random.uniform(0.5, 1.0)  # nosec B311 — sockets opened together re-check apart
            self.recheck_timer = asyncio.get_running_loop().call_later(delay, self._recheck_now)

    def _recheck_now(self) -> None:
        self.recheck_timer = None
        if self.view is not None and self.refreshing is None:
            self.refreshing = asyncio.ensure_future(self._periodic_refresh())

    async def _periodic_refresh(self) -> None:
        try:
            async with _recheck_gate():
                if self.view is not None:
                    await self._refresh_view()
        except Exception:  # noqa: BLE001 — the database being away must not kill the socket; retried later
            log.warning("access re-check for meeting %s failed", self.meeting_id, exc_info=True)
        finally:
            self.refreshing = None
            self._schedule_recheck()

    async def access_changed(self, message: dict[str, Any]) -> None:
        await self._refresh_view()

    async def session_revoked(self, message: dict[str, Any]) -> None:
        """Signed out on this device, or everywhere."""
        self.view = None
        await self.close(code=CLOSE_SIGNED_OUT)

    async def _refresh_view(self) -> bool:
        """Reload what the user may see; close the socket if they may no longer see the meeting."""
        signed_in, view = await database_sync_to_async(live.recheck)(self.user, self.session_key, self.meeting_id)
        if not signed_in:
            self.view = None
            await self.close(code=CLOSE_SIGNED_OUT)
            return False
        self.view = view
        if self.view is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        return True

    # --- client → server ---------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.view is None:
            return
        if bytes_data is not None or text_data is None:
            await self._error(None, "invalid", "Send JSON text frames.")
            return
        if not self._within_rate():
            burst = len(self.frame_times)
            if burst == MAX_FRAMES_PER_SECOND + 1:
                await self._error(None, "rate_limited", f"Slow down: at most {MAX_FRAMES_PER_SECOND} frames a second.")
            elif burst > 5 * MAX_FRAMES_PER_SECOND:
                await self.close(code=CLOSE_FLOOD)
            return
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            await self._error(None, "too_large", f"Frames are limited to {MAX_FRAME_BYTES // 1024} KiB.")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self._error(None, "invalid", "That frame is not valid JSON.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._error(None, "invalid", 'A frame is a JSON object with a "type".')
            return
        await self._dispatch(frame)

    def _within_rate(self) -> bool:
        now = time.monotonic()
        self.frame_times = [t for t in self.frame_times if now - t < 1.0]
        self.frame_times.append(now)
        return len(self.frame_times) <= MAX_FRAMES_PER_SECOND

    async def _dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "resume":
            after = frame.get("after")
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                await self._error(None, "invalid", '"after" must be a whole number of 0 or more.')
                return
            await self._replay(after)
            return
        if kind == "ping":
            await database_sync_to_async(services.presence_touch)(channel_name=self.channel_name)
            await self.send(text_data=_dumps({"type": "pong", "seq": self.last_sent}))
            return
        handler = live.COMMANDS.get(kind)
        if handler is None:
            await self._error(frame.get("id"), "invalid", f"Unknown frame type {kind[:40]!r}.")
            return
        client_id = frame.get("id")
        try:
            client_uuid = uuid.UUID(str(client_id))
        except ValueError:
            await self._error(None, "invalid", 'Frames that change something need a client "id" (a UUID).')
            return
        try:
            obj = await database_sync_to_async(handler)(self.user, self.meeting_id, frame, client_uuid)
        except PermissionDenied as exc:
            # Services say why in the exception ("The meeting is closed.", "You declared an
            # interest in this item."); a bare refusal gets the general sentence.
            await self._error(str(client_uuid), "forbidden", str(exc) or "You may not do that here.")
            # Refused: perhaps the person has lost the meeting altogether (taken off the board
            # while no push reached this process). Look now rather than at the next timer.
            await self._refresh_view()
            return
        except ValidationError as exc:
            await self._error(str(client_uuid), "invalid", "; ".join(exc.messages))
            return
        await self.send(text_data=_dumps({"type": "ack", "id": str(client_uuid), "object": obj}))

    async def _error(self, client_id: str | None, code: str, message: str) -> None:
        await self.send(text_data=_dumps({"type": "error", "id": client_id, "code": code, "message": message}))


async def _send_presence(layer: Any, meeting_id: int, online: list[dict[str, object]]) -> None:
    """Presence is not logged: it is a snapshot, encoded once and sent to every socket."""
    frame = _dumps({"type": "presence", "online": online})
    try:
        await fanout.apublish(fanout.meeting_topic(meeting_id), {"type": "presence.update", "frame": frame})
    except Exception:  # noqa: BLE001 — presence is best effort; the next join or ping corrects it
        log.warning("presence update for meeting %s not delivered", meeting_id, exc_info=True)


async def _presence_later(layer: Any, meeting_id: int, wait: float) -> None:
    throttle = _presence_throttle(meeting_id)
    try:
        await asyncio.sleep(wait)
    finally:
        throttle.pending = None
    throttle.sent_at = time.monotonic()
    try:
        online = await database_sync_to_async(services.presence_snapshot)(meeting_id=meeting_id)
    except Exception:  # noqa: BLE001
        log.warning("presence snapshot for meeting %s failed", meeting_id, exc_info=True)
        return
    await _send_presence(layer, meeting_id, online)
