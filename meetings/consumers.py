"""The meeting socket: /ws/meetings/<id>/ (DESIGN.md, "Live meetings"; docs/live-protocol.md).

A thin edge: authenticate, join the meeting's group, hand client frames to services, forward
the events the user may see — in order, exactly once — and replay what a client missed.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from . import live, services
from .events import encode_frame, meeting_group, session_group, user_group

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
MAX_FRAMES_PER_SECOND = 20
ACCESS_RECHECK_SECONDS = 60
CLOSE_SIGNED_OUT = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_FLOOD = 4429


def _dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, cls=DjangoJSONEncoder, separators=(",", ":"))


class MeetingConsumer(AsyncWebsocketConsumer):
    view: live.SocketView | None
    last_sent: int

    async def connect(self) -> None:
        self.view = None
        self.last_sent = 0
        self.frame_times: list[float] = []
        user = self.scope.get("user")
        try:
            self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        except (KeyError, ValueError):
            await self.close()
            return
        if user is None or not user.is_authenticated:
            await self.close()  # before accept: the handshake is refused
            return
        self.user = user
        session = self.scope.get("session")
        self.session_key: str = getattr(session, "session_key", None) or ""
        if not await database_sync_to_async(live.session_ok)(user, self.session_key):
            await self.close()
            return
        self.view = await database_sync_to_async(live.load_view)(user, self.meeting_id)
        if self.view is None:
            await self.close()
            return
        self.checked_at = time.monotonic()
        await self.channel_layer.group_add(meeting_group(self.meeting_id), self.channel_name)
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.channel_layer.group_add(session_group(self.session_key), self.channel_name)
        await self.accept()
        state = await database_sync_to_async(live.meeting_state)(self.meeting_id, self.view)
        after = self._after_from_query()
        if after is None:
            self.last_sent = int(state["seq"])  # type: ignore[call-overload]
            await self.send(text_data=_dumps(state))
        else:
            await self.send(text_data=_dumps(state))
            await self._replay(after)
        self.joined = True
        online = await database_sync_to_async(services.presence_join)(
            user=user,
            meeting_id=self.meeting_id,
            channel_name=self.channel_name,
            device=live.device_label(self.scope.get("headers", [])),
        )
        await self._announce_presence(online)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "view", None) is None:
            return
        await self.channel_layer.group_discard(meeting_group(self.meeting_id), self.channel_name)
        await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
        await self.channel_layer.group_discard(session_group(self.session_key), self.channel_name)
        if getattr(self, "joined", False):
            online = await database_sync_to_async(services.presence_leave)(
                meeting_id=self.meeting_id, channel_name=self.channel_name
            )
            await self._announce_presence(online)

    async def _announce_presence(self, online: list[dict[str, object]]) -> None:
        """Presence is not logged: it is a snapshot, encoded once and sent to every socket."""
        frame = _dumps({"type": "presence", "online": online})
        try:
            await self.channel_layer.group_send(
                meeting_group(self.meeting_id), {"type": "presence.update", "frame": frame}
            )
        except Exception:  # noqa: BLE001 — presence is best effort; the next join or ping corrects it
            log.warning("presence update for meeting %s not delivered", self.meeting_id, exc_info=True)

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

    async def _replay(self, after: int) -> None:
        """Send every logged event after ``after`` that this user may see, in order."""
        self.last_sent = after
        while True:
            events = await database_sync_to_async(live.events_after)(self.meeting_id, self.last_sent)
            if not events:
                return
            for event in events:
                if self.view is not None and self.view.admits(event.audience, event.item_id, event.user_id):
                    await self.send(text_data=encode_frame(event))
                self.last_sent = event.seq

    async def meeting_bell(self, message: dict[str, Any]) -> None:
        seq = message["seq"]
        if seq <= self.last_sent:
            return  # already sent (replayed, or a bell repeated)
        if time.monotonic() - self.checked_at > ACCESS_RECHECK_SECONDS and not await self._refresh_view():
            return
        if seq != self.last_sent + 1:
            await self._replay(self.last_sent)  # a bell was missed: fill the gap from the log
            return
        assert self.view is not None
        if self.view.admits(message["audience"], message["item"], message["user"]):
            await self.send(text_data=message["frame"])
        self.last_sent = seq

    async def access_changed(self, message: dict[str, Any]) -> None:
        await self._refresh_view()

    async def session_revoked(self, message: dict[str, Any]) -> None:
        """Signed out on this device, or everywhere."""
        self.view = None
        await self.close(code=CLOSE_SIGNED_OUT)

    async def _refresh_view(self) -> bool:
        """Reload what the user may see; close the socket if they may no longer see the meeting."""
        if not await database_sync_to_async(live.session_ok)(self.user, self.session_key):
            self.view = None
            await self.close(code=CLOSE_SIGNED_OUT)
            return False
        self.view = await database_sync_to_async(live.load_view)(self.user, self.meeting_id)
        self.checked_at = time.monotonic()
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
        except PermissionDenied:
            await self._error(str(client_uuid), "forbidden", "You may not do that here.")
            return
        except ValidationError as exc:
            await self._error(str(client_uuid), "invalid", "; ".join(exc.messages))
            return
        await self.send(text_data=_dumps({"type": "ack", "id": str(client_uuid), "object": obj}))

    async def _error(self, client_id: str | None, code: str, message: str) -> None:
        await self.send(text_data=_dumps({"type": "error", "id": client_id, "code": code, "message": message}))
