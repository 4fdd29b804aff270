"""ASGI servers as subprocesses, and what a large upload costs them in memory.

Used by tests/test_asgi_server.py (the recommended server keeps a large upload out of memory)
and by hand to compare servers (README, "Running in production", "Web processes"):

    .venv/bin/python -m tests.asgi_servers daphne uvicorn granian --sizes 46,99
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APP = "boardroom.asgi:application"
MIB = 1024 * 1024
# Django's ASGI handler has no lifespan events; access lines would repeat the proxy's log.
UVICORN_OPTIONS = ["--lifespan", "off", "--no-access-log"]


def command(server: str, port: int) -> list[str]:
    """The command line that serves Boardroom with ``server`` on 127.0.0.1:``port``."""
    if server == "uvicorn":  # the recommended one (README, "Web processes")
        return [str(BIN / "uvicorn"), APP, *UVICORN_OPTIONS, "--host", "127.0.0.1", "--port", str(port)]
    if server == "daphne":
        return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), APP]
    if server == "granian":
        return [str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), APP]
    raise ValueError(server)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def embedded_env(data_dir: Path) -> dict[str, str]:
    """The embedded configuration (SQLite, files on disk) in ``data_dir``, nothing from the shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "BOARDROOM_", "DATABASE_", "REDIS_"))}
    env |= {"BOARDROOM_DATA_DIR": str(data_dir), "BOARDROOM_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    env |= {"DJANGO_SETTINGS_MODULE": "boardroom.settings", "BOARDROOM_SECRET_KEY": "asgi-servers-" + "x" * 40}
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603 — the venv's own interpreter
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def start(server: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(command(server, port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{server} exited: {log.read_text()[-2000:]}")
        try:
            if get(port, "/healthz")[0] == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{server} did not answer within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a server's worker processes)."""
    found = [pid]
    index = 0
    while index < len(found):
        for task in Path(f"/proc/{found[index]}/task").glob("*"):
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
        index += 1
    return found


def _status_kib(pid: int, field: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def rss_mib(pid: int) -> float:
    """Resident memory of the server (all its processes) now, in MiB."""
    return sum(_status_kib(p, "VmRSS") for p in tree(pid)) / 1024


def peak_mib(pid: int) -> float:
    """The largest resident memory each of the server's processes has had, summed, in MiB."""
    return sum(_status_kib(p, "VmHWM") for p in tree(pid)) / 1024


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def csrf(port: int) -> str:
    """A CSRF token from the sign-in page (cookie and form field carry the same one)."""
    status, headers, _ = get(port, "/accounts/login/")
    match = re.search(r"csrftoken=([A-Za-z0-9]+)", headers.get("set-cookie", ""))
    if status != 200 or match is None:
        raise RuntimeError(f"no CSRF cookie from the sign-in page ({status})")
    return match.group(1)


def upload(port: int, size: int, path: str = "/meetings/1/agenda/items/1/papers/") -> int:
    """POST a ``size``-byte file as a browser would (multipart, CSRF token in the form).

    Django's CSRF check reads the form, so the server receives and parses the whole body; the
    view then sends an anonymous visitor to sign in. The body is generated as it is sent.
    """
    token = csrf(port)
    boundary = "----boardroom" + os.urandom(8).hex()
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nLarge upload\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="large.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        block = os.urandom(MIB)
        left = size
        while left > 0:
            yield block[: min(MIB, left)]
            left -= MIB
        yield tail

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
        conn.putheader("Cookie", f"csrftoken={token}")
        conn.endheaders()
        for chunk in body():
            conn.send(chunk)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def upload_growth(server: str, size_mib: int, env: dict[str, str], log: Path) -> tuple[float, int, float]:
    """(peak RSS growth in MiB, the answer's status, seconds) for one upload to a fresh server."""
    port = free_port()
    process = start(server, port, env, log)
    try:
        for _ in range(3):  # first-use costs (imports, templates) are not the upload's
            get(port, "/accounts/login/")
        before = rss_mib(process.pid)
        started = time.monotonic()
        status = upload(port, size_mib * MIB)
        took = time.monotonic() - started
        return peak_mib(process.pid) - before, status, took
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description="RSS growth of ASGI servers for a large upload")
    parser.add_argument("servers", nargs="+")
    parser.add_argument("--sizes", default="46,99", help="upload sizes in MiB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="boardroom-asgi-") as folder:
        env = embedded_env(Path(folder))
        migrate(env)
        for server in args.servers:
            for size in [int(s) for s in args.sizes.split(",")]:
                grown, status, took = upload_growth(server, size, env, Path(folder) / f"{server}.log")
                load = os.getloadavg()[0]
                print(
                    f"{server:8} {size:4d} MiB upload: RSS +{grown:6.0f} MiB, {status}, {took:5.1f} s (load {load:.2f})"
                )


if __name__ == "__main__":
    main()
