"""Reader benchmark: how much of a large paper the tablet reader fetches before page 1 shows.

1. Generates a 300-page paper of about 40 MB (``--quick``: 60 pages): text and a photo on every
   page, each image its own stream, then puts it through the upload pipeline's clean rewrite
   (sanitised, page tree balanced, linearized), as members get every paper.
2. Serves Boardroom with daphne on a throw-away SQLite database and file storage, with one
   member, one published meeting and that paper.
3. Headless Chromium (the system's, through Playwright) signs in and opens the paper in the
   reader through a byte-counting proxy in front of the server; the bytes of the paper the
   server sent (whole responses, including a full GET the browser aborts after its headers)
   are counted until page 1 has been painted (its canvas rendered). Chrome's own network
   events, which leave out an aborted body, are printed beside it.
4. Beside it, the baseline: the time to fetch the whole file from the same server.

Prints the figures and ``BENCH reader ratio=<bytes before page 1 / file size> target=0.1 met|not-met``.

    .venv/bin/python -m bench.reader            # 300 pages, ~40 MB
    .venv/bin/python -m bench.reader --quick    # 60 pages
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

if not __package__:
    # Started as a file, bench/ would be first on sys.path and shadow the apps: run as a module.
    _root = str(Path(__file__).resolve().parent.parent)
    os.execve(
        sys.executable,
        [sys.executable, "-m", f"bench.{Path(__file__).stem}", *sys.argv[1:]],
        {**os.environ, "PYTHONPATH": _root},
    )

from bench import ROOT, verdict  # noqa: E402
from bench._proxy import CountingProxy  # noqa: E402

TARGET_RATIO = 0.10
PASSWORD = "bench-reader-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_paper(pages: int, path: Path) -> None:
    """The generated upload, through the upload pipeline's clean rewrite (sanitised, page tree
    balanced, linearized): the rendition members read."""
    from bench.ingest import make_pdf
    from documents.ingest import rewrite

    raw = path.with_suffix(".raw.pdf")
    make_pdf(pages, raw)
    rewrite(raw, path, 100_000)
    raw.unlink()


def setup_site(data_dir: Path, paper_path: Path, pages: int) -> int:
    """Create the database and the member's paper; returns the paper id."""
    script = f"""
import hashlib
from pathlib import Path
from django.contrib.auth.models import Permission, User
from django.core.files import File
from django.core.management import call_command
from django.utils import timezone
from documents.models import Paper, PaperVersion, VersionStatus
from meetings import services
from meetings.models import AgendaItem, Board, Meeting, MeetingStatus, Role

call_command("migrate", verbosity=0)
admin = User.objects.create(username="admin", is_staff=True)
admin.user_permissions.add(Permission.objects.get(codename="add_membership"))
admin = User.objects.get(pk=admin.pk)
board = Board.objects.create(name="Benchmark Trust", slug="bench")
member = User.objects.create_user("reader", password={PASSWORD!r}, first_name="Rea", last_name="Der")
services.membership_create(actor=admin, board=board, user=member, role=Role.MEMBER)
meeting = Meeting.objects.create(board=board, title="Reading meeting", starts_at=timezone.now(),
                                 status=MeetingStatus.PUBLISHED)
item = AgendaItem.objects.create(meeting=meeting, title="The big report", number="1", sort_key="0001", position=1)
paper = Paper.objects.create(item=item, title="The big report", position=1)
path = Path({str(paper_path)!r})
data = path.read_bytes()
version = PaperVersion(paper=paper, number=1, status=VersionStatus.READY, page_count={pages},
                       size=len(data), sha256=hashlib.sha256(data).hexdigest())
with path.open("rb") as handle:
    version.file.save("paper.pdf", File(handle), save=False)
version.save()
Paper.objects.filter(pk=paper.pk).update(current_version=version)
print("PAPER", paper.pk)
"""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=_env(data_dir),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"setting up the site failed:\n{done.stderr[-3000:]}")
    return int(next(line for line in done.stdout.splitlines() if line.startswith("PAPER")).split()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "BOARDROOM_TASKS")
    }
    env.update(
        {
            "BOARDROOM_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "boardroom.settings",
            "PYTHONPATH": str(ROOT),
            "BOARDROOM_LOG_LEVEL": "WARNING",
        }
    )
    return env


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("Chromium is not installed: run `make system-deps` as root")


def measure(base: str, paper_id: int, file_size: int, proxy: CountingProxy) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 820, "height": 1180}, device_scale_factor=2)
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill("reader")
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        file_url = f"/papers/{paper_id}/pdf"
        requests: dict[str, bool] = {}
        received = {"bytes": 0, "requests": 0}

        def on_request(event: dict) -> None:
            if file_url in event["request"]["url"]:
                requests[event["requestId"]] = True
                received["requests"] += 1
                if os.environ.get("BENCH_DEBUG"):
                    print(
                        "REQ",
                        {k: v for k, v in event["request"]["headers"].items() if k.lower() in ("range", "if-range")},
                        round(time.perf_counter() - started, 3),
                    )

        def on_data(event: dict) -> None:
            if event["requestId"] in requests:
                received["bytes"] += int(event.get("encodedDataLength") or event.get("dataLength") or 0)

        cdp.on("Network.requestWillBeSent", on_request)
        cdp.on("Network.dataReceived", on_data)
        started = time.perf_counter()
        page.goto(f"{base}/papers/{paper_id}/read")
        if os.environ.get("BENCH_DEBUG"):
            page.locator("[data-reader][data-ready=true]").wait_for(timeout=120_000)
            print("READY after", received["requests"], "requests", received["bytes"])
        page.locator('.page[data-page-number="1"][data-loaded="true"] canvas').wait_for(timeout=120_000)
        page.wait_for_function(
            "() => { const c = document.querySelector('.page[data-page-number=\"1\"] canvas');"
            " return c && c.width > 0; }"
        )
        painted = time.perf_counter() - started
        sent_then = proxy.bytes_for(file_url)
        ranges_then = proxy.requests_for(file_url)
        chrome_then = received["bytes"]
        browser.close()
    full = sum(1 for rng in ranges_then if not rng)
    return {
        "painted_s": painted,
        "bytes": sent_then,
        "requests": len(ranges_then),
        "full_gets": full,
        "chrome_reported_bytes": chrome_then,
        "ratio": sent_then / file_size,
    }


def whole_file(base: str, paper_id: int) -> float:
    """The baseline: fetching the whole file from the same server, signed in."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode({"username": "reader", "password": PASSWORD, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(f"{base}/accounts/login/", data=form.encode(), headers={"Referer": base + "/"})
    opener.open(request).read()
    started = time.perf_counter()
    with opener.open(f"{base}/papers/{paper_id}/pdf") as response:
        while response.read(1 << 20):
            pass
    return time.perf_counter() - started


def main() -> None:
    import urllib.parse  # noqa: F401 — used by whole_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 pages instead of 300")
    args = parser.parse_args()
    pages = 60 if args.quick else 300
    with tempfile.TemporaryDirectory(prefix="bench-reader-") as tmp:
        folder = Path(tmp)
        paper_path = folder / "paper.pdf"
        t0 = time.perf_counter()
        make_paper(pages, paper_path)
        size = paper_path.stat().st_size
        print(f"generated {pages} pages, {size / 1e6:.1f} MB (linearized) in {time.perf_counter() - t0:.1f} s")
        data_dir = folder / "data"
        data_dir.mkdir()
        paper_id = setup_site(data_dir, paper_path, pages)
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "boardroom.asgi:application"],
            cwd=ROOT,
            env=_env(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            with CountingProxy(port) as proxy:
                ours = measure(f"http://127.0.0.1:{proxy.port}", paper_id, size, proxy)
            baseline = whole_file(base, paper_id)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(
        f"ours: page 1 painted after {ours['painted_s']:.2f} s; the server had sent {ours['bytes'] / 1e6:.2f} MB of the"
        f" paper (counted by a proxy in front of it) in {int(ours['requests'])} requests, {int(ours['full_gets'])} of"
        f" them without a Range header: {100 * ours['ratio']:.1f}% of the file (Chrome's own network events"
        f" reported {ours['chrome_reported_bytes'] / 1e6:.2f} MB)"
    )
    print(f"baseline: the whole file ({size / 1e6:.1f} MB) fetched in {baseline:.2f} s from the same server")
    print(
        json.dumps(
            {
                "pages": pages,
                "file_mb": round(size / 1e6, 1),
                **{k: round(v, 4) for k, v in ours.items()},
                "whole_file_s": round(baseline, 3),
            }
        )
    )
    verdict("reader", ours["ratio"], TARGET_RATIO)


if __name__ == "__main__":
    main()
