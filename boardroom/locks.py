"""Locks that belong to a living process: released by the operating system or the database the
moment the process holding them dies, however it dies (SIGKILL, out of memory, power cut).

They answer the one question crash recovery needs — "is whoever started this still at it?" —
without timeouts or heartbeats (README.md, "Background worker and scheduled jobs"):

- on PostgreSQL, a session advisory lock on a connection of its own (outside the pool, so the
  lock can never be handed to another request); PostgreSQL drops it when that connection ends;
- on SQLite (one machine), ``flock`` on a small file beside the database; the kernel drops it
  when the process exits.

Anyone can ask whether a lock is held (``is_held``) without taking it.
"""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path
from types import TracebackType
from typing import Any

from django.db import connections

# First half of every advisory lock key Boardroom takes (pg_locks.classid), so they are easy to
# tell from anyone else's.
NAMESPACE = 0x42524D  # "BRM"


def _key(name: str) -> int:
    """A signed 32-bit key for ``name`` (pg_locks.objid)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


def _vendor() -> str:
    return str(connections["default"].vendor)


def _lock_dir() -> Path:
    database = Path(str(connections["default"].settings_dict["NAME"]))
    folder = database.with_name(database.name + ".locks")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _lock_file(name: str) -> Path:
    return _lock_dir() / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")


def _own_pg_connection() -> Any:
    import psycopg

    params = connections["default"].get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    params["application_name"] = "boardroom-lock"
    return psycopg.connect(**params, autocommit=True)


class ProcessLock:
    """An exclusive lock named ``name``, held until released or until this process dies."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._held: Any = None

    def acquire(self, *, blocking: bool = True) -> bool:
        if self._held is not None:
            raise RuntimeError(f"lock {self.name!r} is already held by this object")
        if _vendor() == "postgresql":
            conn = _own_pg_connection()
            try:
                if blocking:
                    conn.execute("SELECT pg_advisory_lock(%s::int, %s::int)", [NAMESPACE, _key(self.name)])
                    got = True
                else:
                    query = "SELECT pg_try_advisory_lock(%s::int, %s::int)"
                    row = conn.execute(query, [NAMESPACE, _key(self.name)]).fetchone()
                    got = bool(row and row[0])
            except BaseException:
                conn.close()
                raise
            if not got:
                conn.close()
                return False
            self._held = conn
            return True
        handle = _lock_file(self.name).open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.close()
            return False
        except BaseException:
            handle.close()
            raise
        self._held = handle
        return True

    def release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        # Closing the connection (or the file) is what releases the lock.
        held.close()

    @property
    def held(self) -> bool:
        return self._held is not None

    def __enter__(self) -> ProcessLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def is_held(name: str) -> bool:
    """Whether some living process holds the lock ``name`` (this one included)."""
    if _vendor() == "postgresql":
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = %s "
                "AND objid::bigint = %s AND objsubid = 2 AND database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())",
                [NAMESPACE & 0xFFFFFFFF, _key(name) & 0xFFFFFFFF],
            )
            return cursor.fetchone() is not None
    path = _lock_file(name)
    if not path.exists():
        return False
    # flock locks belong to an open file: a fresh handle conflicts with every other one, this
    # process's own included; taking it for a moment and letting go changes nothing.
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False
