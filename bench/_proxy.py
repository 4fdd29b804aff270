"""A byte-counting HTTP/1.1 proxy for the benches: it forwards a loopback server's connections
and counts, per request path, the response bytes it read from the server (status line, headers
and body), so a figure is what the server sent, not what a browser chose to report.

Requests and responses are paired in order on each connection (HTTP/1.1 keep-alive, no
pipelining by browsers); a response body is delimited by Content-Length or chunked encoding.
A body the client stopped reading is counted up to where the connection was closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections import defaultdict

_LENGTH = re.compile(rb"^content-length:\s*(\d+)", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding:\s*chunked", re.I | re.M)


class CountingProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.sent: dict[str, int] = defaultdict(int)  # path -> bytes the server sent for it
        self.requests: list[tuple[str, str]] = []  # (path, range header) in order
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def bytes_for(self, fragment: str) -> int:
        with self._lock:
            return sum(n for path, n in self.sent.items() if fragment in path)

    def requests_for(self, fragment: str) -> list[str]:
        with self._lock:
            return [rng for path, rng in self.requests if fragment in path]

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _client(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_w.close()
            return
        paths: asyncio.Queue[str] = asyncio.Queue()
        up = asyncio.ensure_future(self._requests(client_r, server_w, paths))
        down = asyncio.ensure_future(self._responses(server_r, client_w, paths))
        await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
        for task in (up, down):
            task.cancel()
        for writer in (client_w, server_w):
            with contextlib.suppress(Exception):
                writer.close()

    async def _requests(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, paths: asyncio.Queue[str]
    ) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            path = line.split(" ")[1] if " " in line else line
            found = re.search(rb"^range:\s*(.+?)\r?$", head, re.I | re.M)
            with self._lock:
                self.requests.append((path, found.group(1).decode("latin-1") if found else ""))
            paths.put_nowait(("HEAD " if line.startswith("HEAD ") else "") + path)
            writer.write(head)
            length = _LENGTH.search(head)
            if length:
                writer.write(await reader.readexactly(int(length.group(1))))
            await writer.drain()

    async def _responses(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, paths: asyncio.Queue[str]
    ) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = await paths.get()
            self._count(path, len(head))
            writer.write(head)
            await writer.drain()
            status = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
            length = _LENGTH.search(head)
            if status in (b"204", b"304") or status.startswith(b"1") or path.startswith("HEAD "):
                continue
            if length:
                remaining = int(length.group(1))
                while remaining:
                    chunk = await reader.read(min(remaining, 65536))
                    if not chunk:
                        return
                    remaining -= len(chunk)
                    self._count(path, len(chunk))
                    writer.write(chunk)
                    await writer.drain()
            elif _CHUNKED.search(head):
                while True:
                    size_line = await reader.readuntil(b"\r\n")
                    size = int(size_line.split(b";")[0], 16)
                    body = await reader.readexactly(size + 2) if size else await reader.readuntil(b"\r\n")
                    self._count(path, len(size_line) + len(body))
                    writer.write(size_line + body)
                    await writer.drain()
                    if not size:
                        break
            else:  # delimited by the connection's end
                while chunk := await reader.read(65536):
                    self._count(path, len(chunk))
                    writer.write(chunk)
                    await writer.drain()
                return

    def _count(self, path: str, n: int) -> None:
        with self._lock:
            self.sent[path] += n
