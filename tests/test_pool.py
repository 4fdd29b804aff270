"""One pool of PostgreSQL connections per process: a busy ASGI server never holds more than it.

Under an ASGI server each request's database work runs in a thread of its own; without the pool
every such thread opened a connection of its own and left it open, and a few busy processes took
every connection the server allows (README.md, "Database pool"). Here one Daphne process with a
pool of four serves a hundred sign-ins at once while the test watches ``pg_stat_activity``.

The load test runs on PostgreSQL only (scripts/test-services.sh); the embedded mode uses SQLite,
which has no server connections to count.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest
from django.db import connection

from tests.factories import UserFactory

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the connection pool is PostgreSQL's (run scripts/test-services.sh)"
)

POOL_MAX = 4
SIGN_INS = 100
PASSWORD = "correct horse battery staple"


def _serve_with_small_pool(app_name: str) -> None:
    """In the forked server: a pool of POOL_MAX connections, named so the test can count them."""
    from django.conf import settings
    from django.db import connections

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    options = connections["default"].settings_dict["OPTIONS"]
    options["pool"] = {**options["pool"], "min_size": 1, "max_size": POOL_MAX, "timeout": 60}
    options["application_name"] = app_name


@pytest.fixture
def pooled_server(transactional_db: None, django_db_blocker: Any) -> Iterator[tuple[str, str]]:
    from channels.testing.live import make_application
    from daphne.testing import DaphneProcess
    from django.db import connections

    app_name = f"pooltest-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        connections.close_all()
    server = DaphneProcess(
        "127.0.0.1", partial(make_application, static_wrapper=None), setup=partial(_serve_with_small_pool, app_name)
    )
    server.start()
    try:
        if not server.ready.wait(timeout=30):
            raise RuntimeError("the ASGI test server did not start")
        yield f"http://127.0.0.1:{server.port.value}", app_name
    finally:
        server.terminate()
        server.join(timeout=10)


class ConnectionCounter(threading.Thread):
    """Counts the server process's connections in pg_stat_activity, over its own connection."""

    def __init__(self, app_name: str) -> None:
        super().__init__(daemon=True)
        self.app_name = app_name
        self.samples: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        params = connection.get_connection_params()
        params.pop("pool", None)
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        with psycopg.connect(**params, autocommit=True) as conn:
            while not self.stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [self.app_name]
                ).fetchone()
                self.samples.append(int(row[0]) if row else 0)
                time.sleep(0.02)


async def _sign_in(base: str, username: str) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        page = await client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        answer = await client.post(
            "/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{base}/accounts/login/"},
        )
        return answer.status_code


@on_postgresql
def test_a_busy_server_never_holds_more_connections_than_its_pool(pooled_server: tuple[str, str]) -> None:
    """A hundred sign-ins at once on one process: every one succeeds (a redirect, no 500) and the
    process never has more than POOL_MAX connections open to PostgreSQL."""
    base, app_name = pooled_server
    users = [UserFactory.create(username=f"signer{i}") for i in range(20)]
    counter = ConnectionCounter(app_name)
    counter.start()

    async def everyone() -> list[int]:
        return await asyncio.gather(*(_sign_in(base, users[i % len(users)].username) for i in range(SIGN_INS)))

    try:
        statuses = asyncio.run(everyone())
    finally:
        counter.stop.set()
        counter.join(timeout=10)

    assert sorted(set(statuses)) == [302], statuses
    assert counter.samples, "pg_stat_activity was never read"
    assert max(counter.samples) >= 1  # the counter saw the server's connections at all
    assert max(counter.samples) <= POOL_MAX, counter.samples


def test_a_request_that_waited_too_long_for_a_connection_is_a_503_not_a_500(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An overloaded process (the pool empty for BOARDROOM_DB_POOL_TIMEOUT seconds) says "busy,
    try again" with Retry-After, wherever the wait happened (here: loading the session)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError
    from django.test import Client
    from psycopg_pool import PoolTimeout

    def no_connection(self: object) -> dict[str, object]:
        try:
            raise PoolTimeout("couldn't get a connection after 30.00 sec")
        except PoolTimeout as timeout:
            raise OperationalError(str(timeout)) from timeout

    monkeypatch.setattr(SessionStore, "load", no_connection)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a-session"
    answer = client.get("/")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert "busy" in answer.content.decode()


def test_any_other_failure_is_still_a_500(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    def broken(self: object) -> dict[str, object]:
        raise RuntimeError("something else")

    monkeypatch.setattr(SessionStore, "load", broken)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a-session"
    assert client.get("/").status_code == 500
