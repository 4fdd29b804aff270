"""The recommended production server (uvicorn, README "Web processes") keeps a large upload
out of memory: the body streams through Django's spooled file and the upload handler's
temporary file instead of being held whole (daphne's Twisted request buffering held a 46 MB
upload several times over)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import asgi_servers

# README: a 100 MiB upload adds less than this to the serving process.
GROWTH_LIMIT_MIB = 200
UPLOAD_MIB = 99  # just under BOARDROOM_MAX_UPLOAD_BYTES, with room for the form's other fields

pytestmark = pytest.mark.skipif(
    not (asgi_servers.BIN / "uvicorn").exists(), reason="uvicorn is not installed (requirements.txt)"
)


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = asgi_servers.embedded_env(tmp_path_factory.mktemp("asgi-data"))
    asgi_servers.migrate(env)
    return env


def test_a_large_upload_adds_little_to_the_servers_memory(server_env: dict[str, str], tmp_path: Path) -> None:
    grown, status, _ = asgi_servers.upload_growth("uvicorn", UPLOAD_MIB, server_env, tmp_path / "uvicorn.log")

    # 302: the CSRF check read the whole form (file included) and passed; the view then sent the
    # anonymous visitor to sign in. A refused or cut-off body would answer 403 or 400.
    assert status == 302
    assert grown < GROWTH_LIMIT_MIB, f"RSS grew by {grown:.0f} MiB for a {UPLOAD_MIB} MiB upload"


def test_the_recommended_server_serves_pages_and_the_meeting_socket(server_env: dict[str, str], tmp_path: Path) -> None:
    """Pages over HTTP and the websocket route both answer (an anonymous socket is refused at the
    handshake, which only the websocket route can do)."""
    import asyncio

    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    port = asgi_servers.free_port()
    process = asgi_servers.start("uvicorn", port, server_env, tmp_path / "uvicorn.log")
    try:
        status, headers, body = asgi_servers.get(port, "/accounts/login/")
        assert status == 200 and b"csrfmiddlewaretoken" in body
        assert asgi_servers.get(port, "/static/js/live-socket.js")[0] == 200

        async def handshake() -> int:
            try:
                async with connect(f"ws://127.0.0.1:{port}/ws/meetings/1/", open_timeout=30):
                    return 101
            except InvalidStatus as refused:
                return refused.response.status_code

        assert asyncio.run(handshake()) == 403
    finally:
        asgi_servers.stop(process)
