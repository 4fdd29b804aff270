"""Soak: the production layout under steady load, then one web process killed.

README, "Running in production". What it does:

1. starts its own services: a new PostgreSQL database on the local server, a private Redis
   (``redis-server`` on a free port), moto's S3 server and a bucket; migrates, and builds a
   board with a live meeting, a paper on S3 and ``--members`` signed-in members (the fan-out
   bench's world, ``bench.fanout``);
2. starts two ASGI web processes (``--server``, uvicorn by default: the README's command line)
   and one ``db_worker``;
3. opens ``--sockets`` meeting sockets spread over both processes (several per member, as
   tablets and laptops), each a client that behaves like static/js/live-socket.js: it keeps the
   last seq, reconnects with ``?after=<seq>`` after a drop with jittered exponential backoff, and
   goes to the other process when its own refuses (a proxy's health check would do the same);
4. for ``--duration`` seconds (``--quick``: 60) sends ~``--rate`` page and range requests a second
   (the meeting page, and a paper's link on S3) and a comment every 2 s;
5. kills one web process (SIGKILL) and measures how long its sockets take to be back in on the
   other, while comments and pages carry on;
6. prints errors, page p50/p99 per 30 s window, comment delivery p50/p99, each process's RSS at
   the start and end of the steady phase, events lost and duplicated, the failover time, the load
   average beside each figure, and one ``BENCH soak ...`` line.

Targets (a 2-core machine, clients on the same cores): 0 errors (no 5xx), 0 lost, 0 duplicated,
page p99 <= 500 ms, delivery p99 <= 500 ms, RSS growth over the steady phase <= 10%, failover
<= 10 s.

    .venv/bin/python -m bench.soak --quick
    .venv/bin/python -m bench.soak                 # 5 minutes of steady load
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # started as a file: run as a module, so bench/ is not on sys.path
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
    os.execv(sys.executable, [sys.executable, "-m", "bench.soak", *sys.argv[1:]])  # noqa: S606

from bench import ROOT, fanout, load_average
from tests import asgi_servers

TARGETS = {"page_p99_ms": 500.0, "delivery_p99_ms": 500.0, "rss_growth_pct": 10.0, "failover_s": 10.0}
WINDOW_S = 30.0
COMMENT_EVERY_S = 2.0
# The client's reconnect schedule, as in static/js/live-socket.js: full jitter over an
# exponentially growing ceiling, so a room of tablets spreads its retries.
BACKOFF_BASE_S, BACKOFF_CAP_S = 0.25, 8.0
FAILOVER_LIMIT_S = 90.0
AFTER_FAILOVER_S = 10.0
BUCKET = "boardroom-soak"


def backoff(attempt: int) -> float:
    # Jitter, not security (bandit B311).
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))  # nosec B311


@dataclass
class Sock:
    index: int
    cookie: str
    worker: int
    seq: int = -1
    got: dict[int, float] = field(default_factory=dict)
    dup: int = 0
    states: list[float] = field(default_factory=list)  # when each "state" frame arrived
    tries: list[float] = field(default_factory=list)  # when each handshake began
    opened: list[float] = field(default_factory=list)  # when each handshake completed
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    refused: int = 0


@dataclass
class Run:
    urls: list[str]
    marker: str
    alive: list[bool]
    stopping: bool = False
    until: float = float("inf")  # when comments and page traffic stop
    refusals: dict[str, int] = field(default_factory=dict)
    sent: dict[int, float] = field(default_factory=dict)  # acknowledged comments: when each was sent
    pages: list[tuple[float, float, int, int]] = field(default_factory=list)  # start, ms, status, worker
    page_errors: list[str] = field(default_factory=list)


# --- services ------------------------------------------------------------------------------------


def _start_redis(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = fanout._start(command, {"PATH": os.environ.get("PATH", "")}, log)
    fanout._wait_port(port, server, log)
    return server


def _start_moto(port: int, log: Path) -> subprocess.Popen[bytes]:
    server = fanout._start([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                           dict(os.environ), log)  # fmt: skip
    fanout._wait_port(port, server, log)
    return server


def _env(data_dir: Path, db_name: str, redis_port: int, moto_port: int) -> dict[str, str]:
    env = fanout._service_env(data_dir, db_name, f"soak-{os.getpid()}")
    env |= {
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "S3_BUCKET": BUCKET,
        "S3_ACCESS_KEY_ID": "soak",
        "S3_SECRET_ACCESS_KEY": "soak",
        "S3_REGION": "us-east-1",
        "BOARDROOM_TASKS": "database",
        "BOARDROOM_DB_CONN_MAX_AGE": "60",
    }
    return env


def _prepare(members: int) -> tuple[fanout.World, int]:
    """The fan-out bench's board and members, the bucket, and one paper on S3."""
    from django.core.management import call_command

    world = fanout._prepare(members)  # sets Django up with this process's environment
    from django.contrib.auth.models import User
    from django.db import connections

    from documents import services as documents
    from meetings.models import AgendaItem
    from tests.pdfs import make_pdf

    call_command("storage_check", create=True, origin=["http://127.0.0.1"], stdout=open(os.devnull, "w"))  # noqa: SIM115
    chair = User.objects.get(username="bench-chair")
    item = AgendaItem.objects.get(pk=world.item_id)
    paper = documents.paper_create(actor=chair, item=item, title="Soak paper")
    documents.paper_version_add(actor=chair, paper=paper, data=make_pdf([f"Page {n}" for n in range(1, 21)]))
    connections.close_all()
    return world, paper.pk


def _rss_mib(process: subprocess.Popen[bytes]) -> float:
    return asgi_servers.rss_mib(process.pid)


# --- clients ------------------------------------------------------------------------------------


async def _socket(sock: Sock, run: Run) -> None:
    """One member's device: connected, reading, reconnecting like live-socket.js (the backoff
    starts again once the server has admitted the socket). Behind a proxy, a connection to a
    dead process is passed to a live one (nginx's ``proxy_next_upstream error``): here the
    client is pointed at a live process once one has died."""
    attempt = 0
    ws: Any = None
    while not run.stopping:
        if not run.alive[sock.worker]:
            sock.worker = next(i for i, up in enumerate(run.alive) if up)
        query = f"?after={sock.seq}" if sock.seq >= 0 else ""
        sock.tries.append(time.perf_counter())
        try:
            ws = await fanout._connect(run.urls[sock.worker] + query, sock.cookie)
            sock.opened.append(time.perf_counter())
        except Exception as error:  # noqa: BLE001 — refused or dropped handshake: back off and retry
            sock.refused += 1
            run.refusals[type(error).__name__] = run.refusals.get(type(error).__name__, 0) + 1
            await asyncio.sleep(backoff(attempt))
            attempt += 1
            continue
        admitted = len(sock.states)
        with contextlib.suppress(Exception):  # the socket dropped: reconnect below
            async for raw in ws:
                _frame(sock, run, raw)
        if len(sock.states) > admitted:
            attempt = 0
        if not run.stopping:
            await asyncio.sleep(backoff(attempt))
            attempt += 1
    if ws is not None:
        with contextlib.suppress(Exception):
            await ws.close()


def _frame(sock: Sock, run: Run, raw: str | bytes) -> None:
    now = time.perf_counter()
    text = raw if isinstance(raw, str) else raw.decode()
    if text.startswith('{"type":"state"'):
        frame = json.loads(text)
        if sock.seq < 0:
            sock.seq = int(frame["seq"])
        sock.states.append(now)
        sock.ready.set()
        return
    if not text.startswith('{"type":"event"'):
        return
    seq = int(text.split('"seq":', 1)[1].split(",", 1)[0])
    if seq > sock.seq:
        sock.seq = seq
    if run.marker in text:
        body = json.loads(text)["data"]["body"]
        k = int(body[len(run.marker) :].split(" ", 1)[0])
        if k in sock.got:
            sock.dup += 1
        else:
            sock.got[k] = now


async def _publisher(run: Run, cookie: str, item_id: int) -> None:
    """A comment every COMMENT_EVERY_S on worker 0's socket (the one that stays up). A comment
    counts once the server has acknowledged it (stored and logged)."""
    ws = await fanout._connect(run.urls[0], cookie)
    pending: dict[str, tuple[int, float]] = {}

    async def acks() -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "ack" and frame.get("id") in pending:
                    k, at = pending.pop(frame["id"])
                    run.sent[k] = at

    reader = asyncio.create_task(acks())
    k = 0
    try:
        while time.perf_counter() < run.until:
            body = f"{run.marker}{k} sent at {time.time():.3f}"
            client_id = str(uuid.uuid4())
            frame = {"type": "comment.create", "id": client_id, "item": item_id, "body": body}
            pending[client_id] = (k, time.perf_counter())
            await ws.send(json.dumps(frame))
            k += 1
            await asyncio.sleep(COMMENT_EVERY_S)
        deadline = time.perf_counter() + 10
        while pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        if pending:
            print(f"!!! {len(pending)} comments never acknowledged")
    finally:
        reader.cancel()
        await ws.close()


async def _pages(run: Run, cookies: list[str], paths: list[tuple[str, dict[str, str]]], rate: float) -> None:
    """Open-loop page traffic: a request every 1/rate s whatever the answers take."""
    import httpx

    # Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s) would
    # close them under a request, as a proxy's upstream keep-alive must be.
    limits = httpx.Limits(keepalive_expiry=2.0)
    async with httpx.AsyncClient(timeout=30, follow_redirects=False, limits=limits) as client:

        async def one(n: int) -> None:
            workers = [i for i, up in enumerate(run.alive) if up]
            worker = workers[n % len(workers)]
            path, headers = paths[n % len(paths)]
            url = run.urls[worker].split("/ws/")[0] + path
            headers = headers | {"Cookie": f"sessionid={cookies[n % len(cookies)]}"}
            started = time.perf_counter()
            try:
                response = await client.get(url, headers=headers)
                status = response.status_code
            except Exception as error:  # noqa: BLE001 — counted as an error
                status = 599
                run.page_errors.append(f"{type(error).__name__} on worker {worker}")
            run.pages.append((started, (time.perf_counter() - started) * 1000, status, worker))

        tasks: list[asyncio.Task[None]] = []
        n = 0
        start = time.perf_counter()
        while time.perf_counter() < run.until:
            tasks.append(asyncio.create_task(one(n)))
            n += 1
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        await asyncio.gather(*tasks)


# --- the run ------------------------------------------------------------------------------------


async def _drive(args: argparse.Namespace, world: fanout.World, paper_id: int, ports: list[int],
                 workers: list[subprocess.Popen[bytes]]) -> dict[str, Any]:  # fmt: skip
    run = Run(
        urls=[f"ws://127.0.0.1:{p}/ws/meetings/{world.meeting_id}/" for p in ports],
        marker=f"soak {uuid.uuid4().hex[:8]} ",
        alive=[True] * len(ports),
    )
    cookies = world.member_cookies
    socks = [Sock(i, cookies[i % len(cookies)], i % len(ports)) for i in range(args.sockets)]
    tasks = [asyncio.create_task(_socket(s, run)) for s in socks]
    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in socks)), timeout=180)
    connect_s = time.perf_counter() - t0
    print(f"{len(socks)} sockets in {connect_s:.1f} s; {load_average()}", flush=True)
    await asyncio.sleep(3)  # the join traffic settles

    paths = [
        (f"/meetings/{world.meeting_id}/", {}),
        (f"/papers/{paper_id}/pdf", {"Range": "bytes=0-65535"}),
    ]
    # Warm-up: first-use costs (imports, templates, the S3 client) are not growth.
    warm = Run(urls=run.urls, marker="", alive=run.alive, until=time.perf_counter() + 10)
    await _pages(warm, cookies, paths, args.rate)
    rss_start = [_rss_mib(w) for w in workers]
    steady_start = time.perf_counter()
    steady_end = steady_start + args.duration
    windows: list[tuple[float, str]] = []

    async def sample_windows() -> None:
        while time.perf_counter() < steady_end - 1:
            await asyncio.sleep(min(WINDOW_S, steady_end - time.perf_counter()))
            windows.append((time.perf_counter(), load_average()))

    run.until = steady_end + FAILOVER_LIMIT_S + AFTER_FAILOVER_S
    publisher = asyncio.create_task(_publisher(run, world.publisher_cookie, world.item_id))
    pages = asyncio.create_task(_pages(run, cookies, paths, args.rate))
    await sample_windows()
    await asyncio.sleep(max(0.0, steady_end - time.perf_counter()))
    rss_end = [_rss_mib(w) for w in workers]
    steady_comments = {k for k, at in run.sent.items() if at < steady_end}

    # Failover: kill the second process; its sockets must come back on the first.
    victim = len(workers) - 1
    moved = [s for s in socks if s.worker == victim]
    killed_at = time.perf_counter()
    os.kill(workers[victim].pid, signal.SIGKILL)
    run.alive[victim] = False
    before = {s.index: len(s.states) for s in moved}
    while time.perf_counter() - killed_at < FAILOVER_LIMIT_S:
        if all(len(s.states) > before[s.index] for s in moved):
            break
        await asyncio.sleep(0.1)
    back = sorted(next((t for t in s.states[before[s.index] :]), float("inf")) - killed_at for s in moved)
    failover_load = load_average()

    def first_after(times: list[float]) -> float:
        return next((t - killed_at for t in times if t >= killed_at), float("inf"))

    tried = sorted(first_after(s.tries) for s in moved)
    opened = sorted(first_after(s.opened) for s in moved)
    print(f"after the kill: first handshake begun median {tried[len(tried) // 2]:.1f} s, "
          f"handshake done median {opened[len(opened) // 2]:.1f} s max {opened[-1]:.1f} s", flush=True)  # fmt: skip
    run.until = time.perf_counter() + AFTER_FAILOVER_S
    await asyncio.gather(publisher, pages, return_exceptions=True)
    last = max(run.sent) if run.sent else -1
    # Every comment sent (the last one given a moment to arrive) must reach every socket once.
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and any(last not in s.got for s in socks):
        await asyncio.sleep(0.1)
    run.stopping = True
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "run": run,
        "socks": socks,
        "connect_s": connect_s,
        "steady": (steady_start, steady_end),
        "windows": windows,
        "rss": (rss_start, rss_end),
        "steady_comments": steady_comments,
        "killed_at": killed_at,
        "back": back,
        "failover_load": failover_load,
    }


def _pct(values: list[float], pct: float) -> float:
    return fanout._percentile(sorted(values), pct)


def _report(result: dict[str, Any], args: argparse.Namespace) -> bool:
    run: Run = result["run"]
    socks: list[Sock] = result["socks"]
    steady_start, steady_end = result["steady"]
    print()
    print(f"steady phase: {args.duration:g} s, {args.sockets} sockets, {args.rate:g} page req/s, a comment every 2 s")
    edges = [steady_start, *[t for t, _ in result["windows"]]]
    steady_pages: list[float] = []
    for (a, b), (_, load) in zip(zip(edges, edges[1:], strict=False), result["windows"], strict=False):
        window = [ms for t, ms, status, _ in run.pages if a <= t < b]
        steady_pages += window
        print(f"  pages {a - steady_start:5.0f}-{b - steady_start:4.0f} s: n={len(window):4d} "
              f"p50 {_pct(window, 50):6.0f} ms p99 {_pct(window, 99):6.0f} ms  ({load})")  # fmt: skip
    # A request in flight on the process when it was killed fails with it (a proxy answers 502):
    # that is the failover's cost, reported apart; every other 5xx or missing answer is an error.
    killed_at = result["killed_at"]
    victim = len(run.alive) - 1
    cut = [p for p in run.pages if p[3] == victim and p[2] >= 500 and p[0] <= killed_at <= p[0] + p[1] / 1000]
    errors = [s for t, ms, s, w in run.pages if s >= 500 and (t, ms, s, w) not in cut]
    other = [s for _, _, s, _ in run.pages if 400 <= s < 500]
    print(f"  page errors (5xx or no answer): {len(errors)}; cut by the kill: {len(cut)}; 4xx: {len(other)}")
    for line in sorted(set(run.page_errors))[:5]:
        print(f"    {line}")
    deliveries = [s.got[k] - run.sent[k] for s in socks for k in result["steady_comments"] if k in s.got]
    deliveries_ms = [d * 1000 for d in deliveries]
    print(f"  comment delivery (send until a socket has it, every socket): n={len(deliveries_ms)} "
          f"p50 {_pct(deliveries_ms, 50):.0f} ms p99 {_pct(deliveries_ms, 99):.0f} ms ({load_average()})")  # fmt: skip
    rss_start, rss_end = result["rss"]
    growth = max((e - s) / s * 100 for s, e in zip(rss_start, rss_end, strict=True))
    for i, (s, e) in enumerate(zip(rss_start, rss_end, strict=True)):
        print(f"  worker {i} RSS: {s:.0f} MiB at start, {e:.0f} MiB at end ({(e - s) / s * 100:+.1f}%)")
    lost = sum(len(set(run.sent) - s.got.keys()) for s in socks)
    dup = sum(s.dup for s in socks)
    print(f"  events: {len(run.sent)} comments x {len(socks)} sockets; lost {lost}, duplicated {dup}")
    back: list[float] = result["back"]
    failover = max(back) if back else 0.0
    print(f"failover: {len(back)} sockets of the killed process back in: median {_pct(back, 50):.1f} s, "
          f"max {failover:.1f} s ({result['failover_load']})")  # fmt: skip
    if run.refusals:
        print(f"  refused handshakes: {', '.join(f'{n} {name}' for name, n in sorted(run.refusals.items()))}")
    after = [ms for t, ms, _, _ in run.pages if t >= result["killed_at"]]
    print(f"  pages on the survivor during failover: n={len(after)} p50 {_pct(after, 50):.0f} ms "
          f"p99 {_pct(after, 99):.0f} ms")  # fmt: skip
    page_p99 = _pct(steady_pages, 99)
    delivery_p99 = _pct(deliveries_ms, 99)
    met = (
        not errors
        and lost == 0
        and dup == 0
        and page_p99 <= TARGETS["page_p99_ms"]
        and delivery_p99 <= TARGETS["delivery_p99_ms"]
        and growth <= TARGETS["rss_growth_pct"]
        and failover <= TARGETS["failover_s"]
    )
    target = ",".join(f"{k}<={v:g}" for k, v in TARGETS.items()) + ",errors=0,lost=0,dup=0"
    print(f"soak: {load_average()}")
    print(
        f"BENCH soak page_p99_ms={page_p99:.0f} delivery_p99_ms={delivery_p99:.0f} rss_growth_pct={growth:.1f} "
        f"failover_s={failover:.1f} errors={len(errors)} lost={lost} dup={dup} target={target} "
        f"{'met' if met else 'not-met'}"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 s of steady load instead of 5 minutes")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of steady load (default 300)")
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="page and range requests a second")
    parser.add_argument("--server", default="uvicorn", choices=["uvicorn", "daphne", "granian"])
    args = parser.parse_args()
    if args.quick:
        args.duration = 60.0
    fanout._raise_open_files(args.sockets * 4 + 512)
    signal.signal(signal.SIGTERM, fanout._terminate)

    pid = os.getpid()
    db_name = f"boardroom_soak_{pid}"
    data_dir = Path(tempfile.mkdtemp(prefix="boardroom-soak-"))
    log = data_dir / "services.log"
    redis_port, moto_port = fanout._free_port(), fanout._free_port()
    processes: list[subprocess.Popen[bytes]] = []
    fanout._create_database(db_name)
    try:
        processes.append(_start_redis(redis_port, log))
        processes.append(_start_moto(moto_port, log))
        env = _env(data_dir, db_name, redis_port, moto_port)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(ROOT)
        started = time.perf_counter()
        world, paper_id = _prepare(args.members)
        print(f"Prepared {args.members} members, a live meeting and a paper on S3 in "
              f"{time.perf_counter() - started:.1f} s; {load_average()}")  # fmt: skip
        ports = [fanout._free_port(), fanout._free_port()]
        workers = [fanout._start(asgi_servers.command(args.server, p), env, data_dir / f"web{i}.log")
                   for i, p in enumerate(ports)]  # fmt: skip
        processes += workers
        for i, (port, worker) in enumerate(zip(ports, workers, strict=True)):
            fanout._wait_port(port, worker, data_dir / f"web{i}.log")
        processes.append(fanout._start([sys.executable, "manage.py", "db_worker"], env, data_dir / "worker.log"))
        print(f"{args.server} x2 on {ports}, db_worker, Redis :{redis_port}, moto :{moto_port}; {load_average()}")
        result = asyncio.run(_drive(args, world, paper_id, ports, workers))
        _report(result, args)
        for path in sorted(data_dir.glob("web*.log")):
            text = path.read_text(errors="replace")
            if "Traceback" in text:
                print(f"!!! tracebacks in {path.name}; the first:")
                print(text[text.index("Traceback") :][:3000])
    finally:
        fanout._stop(processes)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        try:
            with fanout._admin_connection() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        except Exception as error:  # noqa: BLE001
            print(f"!!! could not drop database {db_name}: {error}")
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
