"""A meeting's broadcasts, fanned out once per server process (docs/architecture.md, "The live event path").

Every bell and presence snapshot of a meeting goes to every socket of that meeting; each socket
then filters it for its own user. Sent as a channels_redis group message, that is one Redis list
push per socket, and on the receiving side a blocking pop plus backup-queue bookkeeping per socket,
one after another: at 500 sockets those serial round trips were most of the fan-out time. Here a
server process subscribes once per meeting to one Redis pub/sub channel and hands each message
(its frame already encoded) to its own sockets through in-memory queues. Without Redis (the
embedded mode: one process) the hub of each event loop is fed directly.

Pub/sub keeps nothing: what is published while a process is cut off from Redis is gone. That is
the design's rule anyway — a bell may be lost, the log may not. When a hub's subscription comes
back after a loss, it tells each of its sockets to resynchronise (re-join their channel-layer
groups, re-check access and replay the log from their last ``seq``).

Messages are dicts with a ``type`` (``meeting.bell``, ``presence.update``, ``fanout.resync``),
handed to each receiver's ``fanout_receive`` in turn, in the order they came, by one task per hub;
they are shared between sockets and must not be changed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import json
import logging
import threading
import weakref
from typing import Any, Protocol

from django.conf import settings

log = logging.getLogger(__name__)

Message = dict[str, Any]
RESYNC: Message = {"type": "fanout.resync"}

# How long a socket's handshake waits for its meeting's subscription (Redis down: refused, the
# client retries); how often an idle subscription is pinged, and when silence means it is dead.
JOIN_TIMEOUT_S = 5.0
KEEPALIVE_S = 15.0
DEAD_AFTER_S = 3 * KEEPALIVE_S
RETRY_MAX_S = 5.0


class Receiver(Protocol):
    async def fanout_receive(self, message: Message) -> None:
        """Take ``message`` now or queue it; must not wait on anything but the socket's send."""


class FanoutUnavailable(Exception):
    """The meeting's subscription could not be made (Redis unreachable)."""


def meeting_topic(meeting_id: int) -> str:
    """The pub/sub channel of a meeting. Meeting ids are per database, so the database is part of
    it: two sites (or two test runs) sharing one Redis never hear each other's bells."""
    database = str(settings.DATABASES["default"].get("NAME", ""))
    scope = hashlib.sha256(database.encode()).hexdigest()[:12]
    return f"{settings.LIVE_FANOUT_PREFIX}:live:{scope}:meeting.{meeting_id}"


def _redis_url() -> str:
    return str(getattr(settings, "LIVE_FANOUT_URL", "") or "")


# --- publishing (any thread, sync) -------------------------------------------------------------

_publishers: dict[str, Any] = {}
_publishers_lock = threading.Lock()


def _publisher(url: str) -> Any:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    with _publishers_lock:
        client = _publishers.get(url)
        if client is None:
            # No retries: with Redis down a write must not wait seconds for a bell nobody needs.
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, retry=Retry(NoBackoff(), 0))
            _publishers[url] = client
        return client


def publish(topic: str, message: Message) -> None:
    """Hand ``message`` to every socket of ``topic`` in every server process.

    Raises on a Redis failure; callers that must not fail (a committed write) catch and log it.
    """
    url = _redis_url()
    if url:
        _publisher(url).publish(topic, json.dumps(message, separators=(",", ":")))
        return
    for hub in _live_hubs():
        hub.deliver_threadsafe(topic, message)


async def apublish(topic: str, message: Message) -> None:
    """``publish`` from async code, without blocking the event loop on Redis."""
    if _redis_url():
        await asyncio.get_running_loop().run_in_executor(None, publish, topic, message)
    else:
        publish(topic, message)


# --- the hub of an event loop (a server process has one) ---------------------------------------

_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()
_hubs_lock = threading.Lock()


def _live_hubs() -> list[Hub]:
    with _hubs_lock:
        return [hub for loop, hub in _hubs.items() if not loop.is_closed()]


def hub() -> Hub:
    """The running event loop's hub, made on first use."""
    loop = asyncio.get_running_loop()
    url = _redis_url()
    with _hubs_lock:
        found = _hubs.get(loop)
        if found is None or found.url != url:
            found = RedisHub(loop, url) if url else Hub(loop)
            _hubs[loop] = found
        return found


class Hub:
    """The sockets of this event loop, by topic. In memory only: the embedded mode."""

    url = ""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)
        self.receivers: dict[str, set[Receiver]] = {}
        self._backlog: collections.deque[tuple[tuple[Receiver, ...], Message]] = collections.deque()
        self._fanning: asyncio.Task[None] | None = None

    async def join(self, topic: str, receiver: Receiver) -> None:
        """Start handing ``topic``'s messages to ``receiver``; returns once none can be missed."""
        self.receivers.setdefault(topic, set()).add(receiver)

    async def leave(self, topic: str, receiver: Receiver) -> None:
        members = self.receivers.get(topic)
        if members is not None:
            members.discard(receiver)
            if not members:
                del self.receivers[topic]

    def deliver(self, topic: str, message: Message) -> None:
        """Hand ``message`` to the topic's sockets, after the messages before it."""
        receivers = self.receivers.get(topic)
        if not receivers:
            return
        self._backlog.append((tuple(receivers), message))
        if self._fanning is None:
            self._fanning = asyncio.ensure_future(self._fan())

    async def _fan(self) -> None:
        # One task for all sockets, not one wake-up per socket: each takes the frame in turn.
        try:
            while self._backlog:
                receivers, message = self._backlog.popleft()
                for receiver in receivers:
                    try:
                        await receiver.fanout_receive(message)
                    except Exception:  # noqa: BLE001 — one broken socket must not starve the others
                        log.warning("live fan-out to a socket failed", exc_info=True)
        finally:
            self._fanning = None

    def deliver_threadsafe(self, topic: str, message: Message) -> None:
        loop = self._loop()
        if loop is None or not self.receivers.get(topic):
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody to tell
            loop.call_soon_threadsafe(self.deliver, topic, message)


class RedisHub(Hub):
    """One Redis pub/sub connection for the loop, subscribed to the topics its sockets joined.

    The connection is opened with the first socket and closed with the last. If it drops, it is
    made again (with backoff) and every topic re-subscribed; the sockets of a topic are told to
    resynchronise once its subscription is confirmed, since bells published meanwhile are lost.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, url: str) -> None:
        super().__init__(loop)
        self.url = url
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None
        self._confirmed: set[str] = set()
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._resync_due: set[str] = set()

    async def join(self, topic: str, receiver: Receiver) -> None:
        fresh = topic not in self.receivers
        await super().join(topic, receiver)
        if topic in self._confirmed:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(topic, []).append(waiter)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())
        elif fresh and self._conn is not None:
            await self._send(self._conn, "SUBSCRIBE", topic)
        try:
            await asyncio.wait_for(waiter, JOIN_TIMEOUT_S)
        except TimeoutError:
            await self.leave(topic, receiver)
            raise FanoutUnavailable(f"no subscription to {topic} within {JOIN_TIMEOUT_S:g} s") from None

    async def leave(self, topic: str, receiver: Receiver) -> None:
        await super().leave(topic, receiver)
        if topic in self.receivers:
            return
        self._confirmed.discard(topic)
        self._resync_due.discard(topic)
        if self.receivers:
            if self._conn is not None:
                await self._send(self._conn, "UNSUBSCRIBE", topic)
            return
        # The last socket left: no connection is kept for nobody.
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @staticmethod
    async def _send(conn: Any, *args: str) -> None:
        try:
            await conn.send_command(*args)
        except Exception:  # noqa: BLE001 — the reader sees the broken connection and starts again
            log.debug("live fan-out: %s not sent", args[0], exc_info=True)

    async def _run(self) -> None:
        from redis.asyncio import ConnectionPool

        pool = ConnectionPool.from_url(self.url)
        delay = 0.1
        lost = False
        try:
            while self.receivers:
                conn = pool.make_connection()
                pinger: asyncio.Task[None] | None = None
                try:
                    await conn.connect()
                    if lost:
                        log.warning("live fan-out has Redis again; its sockets catch up from the log")
                        lost = False
                    # Set and snapshot in one step: a join from here on subscribes by itself.
                    self._conn = conn
                    topics = list(self.receivers)
                    if topics:
                        await conn.send_command("SUBSCRIBE", *topics)
                    pinger = asyncio.ensure_future(self._keepalive(conn))
                    while True:
                        # Pub/sub messages are RESP3 pushes (redis-py 8 speaks RESP3 by default).
                        reply = await conn.read_response(timeout=DEAD_AFTER_S, push_request=True)
                        if reply is None:
                            raise TimeoutError(f"no answer from Redis for {DEAD_AFTER_S:g} s")
                        delay = 0.1
                        self._handle(reply)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 — Redis away: retry, sockets resync when it is back
                    if not lost:
                        log.warning("live fan-out lost Redis (%s: %s); retrying", exc.__class__.__name__, exc)
                    lost = True
                finally:
                    if pinger is not None:
                        pinger.cancel()
                    self._conn = None
                    # Whatever was published from now until the subscription is back is lost.
                    self._resync_due |= self._confirmed
                    self._confirmed.clear()
                    with contextlib.suppress(Exception):
                        await conn.disconnect()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        finally:
            for waiters in self._waiters.values():
                for waiter in waiters:
                    waiter.cancel()
            self._waiters.clear()
            with contextlib.suppress(Exception):
                await pool.disconnect()

    async def _keepalive(self, conn: Any) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_S)
            await self._send(conn, "PING")

    def _handle(self, reply: Any) -> None:
        if not isinstance(reply, list) or len(reply) < 3:
            return  # a pong
        kind, channel = bytes(reply[0]), bytes(reply[1]).decode()
        if kind == b"message":
            self.deliver(channel, json.loads(reply[2]))
        elif kind == b"subscribe" and channel in self.receivers:
            self._confirmed.add(channel)
            for waiter in self._waiters.pop(channel, []):
                if not waiter.done():
                    waiter.set_result(None)
            if channel in self._resync_due:
                self._resync_due.discard(channel)
                self.deliver(channel, RESYNC)
