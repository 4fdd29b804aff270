"""Page benchmark: the meeting page against the trivial /healthz view, on one real ASGI server.

What it does, all in a temporary data folder (the developer's database and files are never
touched, and service URLs from the shell are ignored):

1. migrates a fresh SQLite database and builds one board with a published meeting of 30
   agenda items (some nested, some Part B) × 3 one-page PDF papers, and a member;
2. counts the meeting page's SQL queries with Django's test client;
3. serves the app with daphne in a subprocess, logs in over HTTP like a browser (CSRF cookie,
   form post), and measures /meetings/<id>/ and /healthz in the same run: median and p95
   latency of sequential requests (interleaved, after a warm-up) and throughput with a few
   concurrent clients.

4. a full run adds meetings of 10, 50 and 200 items: median time, HTML size and bytes sent
   (gzip), a member's and the secretary's query counts and the writes of a repeat view.

It ends with one line: ``BENCH pages ratio=<meeting median / healthz median> target=3 met|not-met``,
met when the queries are the same at every size and a repeat view writes nothing.

    .venv/bin/python -m bench.pages           # full run with the 10/50/200-item curve, a few minutes
    .venv/bin/python -m bench.pages --quick   # 30 items, far fewer requests, well under a minute
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if not __package__:
    # Started as a file, bench/ would be first on sys.path and shadow the apps: run as a module.
    _root = str(Path(__file__).resolve().parent.parent)
    os.execve(
        sys.executable,
        [sys.executable, "-m", f"bench.{Path(__file__).stem}", *sys.argv[1:]],
        {**os.environ, "PYTHONPATH": _root},
    )

from bench import ROOT, verdict  # noqa: E402

# Target: the meeting page may take at most 3× as long as /healthz on the same server.
# /healthz is the fixed cost every request pays (ASGI server, middleware, thread hand-off to
# the sync view). The meeting page adds a session and user lookup, the policy's grant queries
# and three queries for the meeting, its items and their papers, then renders ~120 rows. If
# those queries are indexed and constant in number, they cost about as much as the fixed part
# again; template rendering of 120 rows should cost no more than a few times the fixed part.
# Above that, something grows per row: a query per item or paper, or per-row work in the template.
TARGET_RATIO = 3.0

ITEMS = 30
PAPERS_PER_ITEM = 3
USERNAME = "bench-member"
PASSWORD = "bench-password-not-secret"


@dataclass(frozen=True)
class Plan:
    warmup: int
    sequential: int  # requests per URL, interleaved
    clients: int
    per_client: int  # requests per concurrent client per URL


QUICK = Plan(warmup=10, sequential=60, clients=4, per_client=25)
FULL = Plan(warmup=40, sequential=400, clients=4, per_client=150)


@dataclass
class Figures:
    median_ms: float
    p95_ms: float
    rps: float
    size: int
    wire: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="far fewer requests, 30 items only (under a minute)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    sizes = [ITEMS] if args.quick else sorted({10, ITEMS, 50, 200})

    data_dir = Path(tempfile.mkdtemp(prefix="boardroom-bench-"))
    env = _embedded_env(data_dir)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)

    server: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        pages = _prepare(sizes)
        print(
            f"Prepared meetings of {', '.join(map(str, sizes))} items × {PAPERS_PER_ITEM} papers"
            f" in {time.perf_counter() - started:.1f} s"
        )
        port = _free_port()
        log_path = data_dir / "server.log"
        server = _start_server(port, env, log_path)
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, server, log_path)
        cookies = _login(base)
        main_page = pages[ITEMS]
        results = _measure(base, main_page.url, main_page.title, cookies, plan)
        curve = {
            size: _sequential(base, page.url, cookies, max(20, plan.sequential // 4))
            for size, page in pages.items()
            if size != ITEMS
        }
    finally:
        if server is not None:
            _stop(server)
        shutil.rmtree(data_dir, ignore_errors=True)

    meeting, healthz = results["meeting"], results["healthz"]
    curve[ITEMS] = (meeting.median_ms, meeting.size, meeting.wire)
    ratio = meeting.median_ms / healthz.median_ms
    rows = [
        ("page", "median ms", "p95 ms", f"req/s ({plan.clients} clients)", "HTML bytes", "sent (gzip)", "queries"),
        (
            f"ours: /meetings/<id>/ ({ITEMS}×{PAPERS_PER_ITEM})",
            f"{meeting.median_ms:.2f}",
            f"{meeting.p95_ms:.2f}",
            f"{meeting.rps:.0f}",
            str(meeting.size),
            str(meeting.wire),
            f"{main_page.member_queries} member / {main_page.secretary_queries} secretary",
        ),
        (
            "baseline: /healthz",
            f"{healthz.median_ms:.2f}",
            f"{healthz.p95_ms:.2f}",
            f"{healthz.rps:.0f}",
            str(healthz.size),
            str(healthz.wire),
            "0",
        ),
    ]
    print()
    print(
        f"daphne, 1 process, SQLite; {plan.sequential} sequential requests per page after {plan.warmup} warm-up, "
        f"then {plan.clients} clients × {plan.per_client} requests; the client accepts gzip"
    )
    _table(rows)
    print(f"throughput ratio (healthz / meeting): {healthz.rps / meeting.rps:.2f}")
    print()
    print("cost curve (median of sequential requests):")
    _table(
        [("items", "median ms", "HTML bytes", "sent (gzip)", "member queries", "secretary queries", "writes on GET")]
        + [
            (
                str(size),
                f"{curve[size][0]:.2f}",
                str(curve[size][1]),
                str(curve[size][2]),
                str(pages[size].member_queries),
                str(pages[size].secretary_queries),
                str(pages[size].writes),
            )
            for size in sorted(pages)
        ]
    )
    constant = (
        len({p.member_queries for p in pages.values()}) == 1 and len({p.secretary_queries for p in pages.values()}) == 1
    )
    no_writes = all(p.writes == 0 for p in pages.values())
    print(f"queries constant across sizes: {'yes' if constant else 'NO'}")
    print(f"writes on a repeat GET: {'none' if no_writes else 'SOME'}")
    verdict("pages", ratio, TARGET_RATIO, met=ratio <= TARGET_RATIO and constant and no_writes)
    return 0


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = zip(row, widths, strict=True)
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(cells)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _sequential(base: str, url: str, cookies: dict[str, str], count: int) -> tuple[float, int, int]:
    """(median ms, HTML bytes, bytes on the wire) of ``count`` sequential requests after a warm-up."""
    import httpx

    timings = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        for _ in range(5):
            client.get(url)
        for _ in range(count):
            t0 = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
    return statistics.median(timings), len(response.content), response.num_bytes_downloaded


def _embedded_env(data_dir: Path) -> dict[str, str]:
    """The shell's environment without service URLs, pointed at the temporary data folder."""
    dropped = {"DATABASE_URL", "REDIS_URL", "BOARDROOM_TASKS"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith(("S3_", "BOARDROOM_"))}
    env.update(
        {
            "BOARDROOM_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "boardroom.settings",
            "BOARDROOM_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "BOARDROOM_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@dataclass
class Page:
    items: int
    url: str
    title: str
    member_queries: int
    secretary_queries: int
    writes: int  # INSERT/UPDATE/DELETE on a member's repeat view


def _prepare(sizes: list[int]) -> dict[int, Page]:
    """Migrate, build the board and one meeting per agenda size, and count each page's queries
    (a member's and the secretary's) and a member's writes on a repeat view."""
    import django

    django.setup()
    import datetime as dt
    import re

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from documents import services as document_services
    from meetings import services
    from meetings.models import Role
    from tests.auth import sign_in
    from tests.pdfs import make_pdf

    call_command("migrate", verbosity=0, interactive=False)
    admin = User.objects.create_superuser("bench-admin", "admin@bench.example", None)
    secretary = User.objects.create_user("bench-secretary", first_name="Sam", last_name="Secretary")
    member = User.objects.create_user(USERNAME, password=PASSWORD, first_name="Mo", last_name="Member")
    board = services.board_create(actor=admin, name="Bench Trust", slug="bench", organisation="Bench")
    services.membership_create(actor=admin, board=board, user=secretary, role=Role.SECRETARY)
    services.membership_create(actor=admin, board=board, user=member, role=Role.MEMBER, title="Trustee")
    pdf = make_pdf(["A one-page paper"])
    pages: dict[int, Page] = {}
    write = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)
    for days, size in enumerate(sizes, start=7):
        meeting = services.meeting_create(
            actor=secretary,
            board=board,
            title=f"Bench meeting of {size} items",
            starts_at=timezone.now() + dt.timedelta(days=days),
            location="Committee room",
        )
        parent = None
        for n in range(size):
            item = services.agenda_item_add(
                actor=secretary,
                meeting=meeting,
                title=f"Agenda item {n + 1}",
                parent=parent if n % 4 == 3 else None,
                presenter=secretary if n % 2 else None,
                presenter_name="" if n % 2 else "Guest presenter",
                duration_minutes=10,
                confidential=n == size - 1,
                description="Background to the item, as the secretary wrote it.",
            )
            if item.parent_id is None:
                parent = item
            for p in range(PAPERS_PER_ITEM):
                paper = document_services.paper_create(actor=secretary, item=item, title=f"Paper {n + 1}.{p + 1}")
                document_services.paper_version_add(actor=secretary, paper=paper, data=pdf)
        services.meeting_publish(actor=secretary, meeting=meeting)
        url = meeting.get_absolute_url()
        counts = []
        writes = 0
        for user in (member, secretary):
            client = sign_in(Client(), user)
            client.get(url)  # first-request caches (and marking the notices read) are not the page's own work
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"meeting page answered {response.status_code} to the test client")
            counts.append(len(captured.captured_queries))
            if user is member:
                writes = sum(1 for q in captured.captured_queries if write.match(q["sql"]))
        pages[size] = Page(size, url, f"Paper {size}.{PAPERS_PER_ITEM}", counts[0], counts[1], writes)
    connection.close()
    return pages


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_server(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    daphne = Path(sys.executable).parent / "daphne"
    command = [str(daphne)] if daphne.exists() else [sys.executable, "-m", "daphne"]
    command += ["-b", "127.0.0.1", "-p", str(port), "boardroom.asgi:application"]
    with log_path.open("wb") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"daphne exited with {server.returncode}:\n{log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"daphne did not answer within 30 s:\n{log_path.read_text()[-2000:]}")


def _login(base: str) -> dict[str, str]:
    """Sign in as a browser would: fetch the form for its CSRF cookie, post the credentials."""
    import httpx

    with httpx.Client(base_url=base, timeout=10) as client:
        client.get("/accounts/login/").raise_for_status()
        token = client.cookies.get("csrftoken")
        if not token:
            raise SystemExit("the login page set no CSRF cookie")
        response = client.post(
            "/accounts/login/",
            data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/accounts/login/"},
        )
        if response.status_code != 302 or "sessionid" not in client.cookies:
            raise SystemExit(f"login failed: {response.status_code}")
        return dict(client.cookies.items())


def _measure(base: str, meeting_url: str, paper_title: str, cookies: dict[str, str], plan: Plan) -> dict[str, Figures]:
    import httpx

    urls = {"meeting": meeting_url, "healthz": "/healthz"}
    timings: dict[str, list[float]] = {name: [] for name in urls}
    sizes: dict[str, int] = {}
    wire: dict[str, int] = {}
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
        page = client.get(meeting_url)
        if page.status_code != 200 or paper_title not in page.text:
            raise SystemExit(f"the meeting page did not render over HTTP ({page.status_code})")
        for _ in range(plan.warmup):
            for url in urls.values():
                client.get(url)
        # Interleaved, so drift on a shared machine touches both pages alike.
        for _ in range(plan.sequential):
            for name, url in urls.items():
                t0 = time.perf_counter()
                response = client.get(url)
                timings[name].append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
                sizes[name] = len(response.content)
                wire[name] = response.num_bytes_downloaded
    return {
        name: Figures(
            median_ms=statistics.median(timings[name]),
            p95_ms=statistics.quantiles(timings[name], n=20)[-1],
            rps=_throughput(base, url, cookies, plan),
            size=sizes[name],
            wire=wire[name],
        )
        for name, url in urls.items()
    }


def _throughput(base: str, url: str, cookies: dict[str, str], plan: Plan) -> float:
    """Requests per second with ``plan.clients`` clients, each making ``plan.per_client`` requests."""
    import httpx

    barrier = threading.Barrier(plan.clients + 1)
    failures: list[Any] = []

    def client_loop() -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
            client.get(url)  # open the connection before the clock starts
            barrier.wait()
            for _ in range(plan.per_client):
                response = client.get(url)
                if response.status_code != 200:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(plan.clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - t0
    if failures or any(thread.is_alive() for thread in threads):
        raise SystemExit(f"{url}: {len(failures)} failed requests under load")
    return plan.clients * plan.per_client / elapsed


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
