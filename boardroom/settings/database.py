"""Database: SQLite in WAL mode by default, PostgreSQL (psycopg 3) when DATABASE_URL is set.

On PostgreSQL every process keeps one pool of connections (psycopg_pool, through Django's
``OPTIONS["pool"]``). An ASGI server runs each request's database work in a thread of its own;
without a pool each of those threads opened its own connection and left it open, so a busy
process could take every connection the server allows. With the pool a process never holds
more than BOARDROOM_DB_POOL_MAX connections: a request that finds them all busy waits up to
BOARDROOM_DB_POOL_TIMEOUT seconds for one. Sizing is described in README.md ("Database pool").
"""

import os
import tempfile
from pathlib import Path

import dj_database_url

from .env import DATA_DIR, env_bool, env_int, env_str

_url = env_str("DATABASE_URL")

# 0 turns the pool off (one connection per thread, closed after each request or kept for
# BOARDROOM_DB_CONN_MAX_AGE seconds): for a pooler in front that wants every connection back.
DB_POOL_MAX = env_int("BOARDROOM_DB_POOL_MAX", 10)
DB_POOL_MIN = min(env_int("BOARDROOM_DB_POOL_MIN", 2), DB_POOL_MAX)
DB_POOL_TIMEOUT = env_int("BOARDROOM_DB_POOL_TIMEOUT", 30)


_INHERITED: list[object] = []


def _leave_pools_to_parent() -> None:
    """A forked child (the test suite's ASGI servers) must not use its parent's pool: the pooled
    connections are the parent's sockets. The child makes its own pool; the inherited one is kept
    referenced, never closed, so that nothing is sent on the parent's connections."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    pools: dict[str, object] = getattr(DatabaseWrapper, "_connection_pools", {})
    _INHERITED.append(dict(pools))
    pools.clear()


if _url:
    _default = dj_database_url.parse(
        _url,
        # A pooled connection goes back to the pool at the end of each request; Django refuses a
        # persistent connection (CONN_MAX_AGE > 0) on top of a pool.
        conn_max_age=0 if DB_POOL_MAX else env_int("BOARDROOM_DB_CONN_MAX_AGE", 0),
        # The pool checks each connection itself before handing it out (Django sets its check).
        conn_health_checks=not DB_POOL_MAX,
        # PgBouncer in transaction mode cannot keep a server-side cursor across transactions.
        disable_server_side_cursors=env_bool("BOARDROOM_DB_PGBOUNCER"),
    )
    if DB_POOL_MAX:
        _default.setdefault("OPTIONS", {})["pool"] = {
            "min_size": DB_POOL_MIN,
            "max_size": DB_POOL_MAX,
            # How long a request waits for a free connection before it fails.
            "timeout": DB_POOL_TIMEOUT,
            # Idle connections above min_size are closed after this many seconds.
            "max_idle": env_int("BOARDROOM_DB_POOL_MAX_IDLE", 300),
            # A connection is replaced after an hour, so server-side memory does not creep.
            "max_lifetime": 3600,
        }
    DATABASES = {"default": _default}
    os.register_at_fork(after_in_child=lambda: _leave_pools_to_parent())
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "boardroom.sqlite3"),
            "OPTIONS": {
                # WAL lets readers carry on while one writer commits; IMMEDIATE takes the
                # write lock at BEGIN so two writers queue instead of failing mid-transaction.
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Tests use a file too (not Django's in-memory default) so that several threads and
            # processes share it with the same locking as production; one per test process.
            "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"boardroom-test-{os.getpid()}.sqlite3")},
        }
    }
