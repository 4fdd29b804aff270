"""Ingest benchmark: a whole upload, to "ready", against the standard tools doing the same work.

1. Generates a PDF of 300 pages (``--quick``: 60) of about 130 KB each (~40 MB in all): a
   heading and paragraphs of text and one JPEG photo per page, every image its own stream.
2. Uploads it as a secretary does (``documents.services.paper_upload`` on embedded settings, so
   the ingest task runs in process once the upload commits): the original stored, the version
   row, the limited child process (sanitise, linearized rewrite, page texts, 160 px thumbnail
   sprites), the rendition and sprites stored, the page rows and the search index. Timed from
   the call until the version reads "ready".
3. In the same run, the baseline doing the same work with the standard tools, one after the
   other: ``qpdf --linearize``, ``pdftotext`` and ``pdftoppm -scale-to 160``.

Prints both sides' work, then ``BENCH ingest ratio=<ours / baseline> target=2 met|not-met``.

    .venv/bin/python -m bench.ingest           # 300 pages, best of 3
    .venv/bin/python -m bench.ingest --quick   # 60 pages, once
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
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

from bench import verdict  # noqa: E402

TARGET_RATIO = 2.0
IMAGE_VARIANTS = 12

WORDS = [
    *[
        "board",
        "trustees",
        "finance",
        "committee",
        "budget",
        "reserves",
        "risk",
        "register",
        "audit",
        "governance",
        "strategy",
    ],
    *[
        "safeguarding",
        "income",
        "expenditure",
        "forecast",
        "variance",
        "approval",
        "recommendation",
        "policy",
        "annual",
    ],
    *[
        "report",
        "quarter",
        "capital",
        "programme",
        "charity",
        "commission",
        "compliance",
        "treasurer",
        "chair",
        "secretary",
    ],
]


def _photos(count: int, width: int, height: int, rng: random.Random) -> list[bytes]:
    """JPEGs that compress like photographs: smooth shapes with fine noise."""
    from PIL import Image, ImageDraw, ImageFilter

    photos = []
    for _ in range(count):
        image = Image.effect_noise((width, height), 60).convert("RGB")
        draw = ImageDraw.Draw(image, "RGBA")
        for _ in range(40):
            x, y = rng.randrange(width), rng.randrange(height)
            r = rng.randrange(20, 200)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256), 120)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        image = image.filter(ImageFilter.GaussianBlur(0.6))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        photos.append(out.getvalue())
    return photos


def make_pdf(pages: int, path: Path, seed: int = 7) -> None:
    import pikepdf

    rng = random.Random(seed)
    width, height = 940, 650
    photos = _photos(IMAGE_VARIANTS, width, height, rng)
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for number in range(1, pages + 1):
        image = pdf.make_stream(
            photos[number % IMAGE_VARIANTS] + b"\n" * (number % 7),  # every page its own image stream
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=width,
            Height=height,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=pikepdf.Name.DCTDecode,
        )
        lines = [f"BT /F1 18 Tf 56 790 Td (Paper {number}: {' '.join(rng.sample(WORDS, 5)).title()}) Tj ET"]
        y = 500
        for _ in range(22):
            text = " ".join(rng.choice(WORDS) for _ in range(14))
            lines.append(f"BT /F1 10 Tf 56 {y} Td ({text}) Tj ET")
            y -= 16
        lines.append("q 360 0 0 250 56 520 cm /Im1 Do Q")
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font), XObject=pikepdf.Dictionary(Im1=image)),
            Contents=pdf.make_stream("\n".join(lines).encode("latin-1")),
        )
        pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)


def setup_world() -> tuple[Any, Any]:
    """A board, its secretary and a meeting item to upload to: (secretary, item)."""
    import datetime as dt

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from meetings import services
    from meetings.models import Role

    call_command("migrate", verbosity=0, interactive=False)
    admin = User.objects.create_superuser("bench-admin", "admin@bench.example", None)
    secretary = User.objects.create_user("bench-secretary", first_name="Sam", last_name="Secretary")
    board = services.board_create(actor=admin, name="Bench Trust", slug="bench", organisation="Bench")
    services.membership_create(actor=admin, board=board, user=secretary, role=Role.SECRETARY)
    meeting = services.meeting_create(
        actor=secretary, board=board, title="Bench meeting", starts_at=timezone.now() + dt.timedelta(days=7)
    )
    item = services.agenda_item_add(actor=secretary, meeting=meeting, title="Papers")
    return secretary, item


def upload_to_ready(path: Path, secretary: Any, item: Any, run: int) -> tuple[float, dict[str, int]]:
    """The whole upload as the upload view makes it: store the original, record the version, run
    the ingest task (embedded: in process, as soon as the upload commits): the limited child
    (sanitise, linearized rewrite, text, thumbnails), storing the rendition and sprites, the
    page rows and the search index. Timed until the version reads "ready"."""
    from django.core.files import File

    from documents import services
    from documents.models import PaperVersion, VersionStatus
    from search.models import SearchEntry

    with path.open("rb") as handle:
        started = time.perf_counter()
        version = services.paper_upload(
            actor=secretary, item=item, title=f"Bench paper {run}", uploaded=File(handle, name="bench.pdf")
        )
        status = PaperVersion.objects.values_list("status", flat=True).get(pk=version.pk)
        elapsed = time.perf_counter() - started
    if status != VersionStatus.READY:
        reason = PaperVersion.objects.values_list("refusal_reason", flat=True).filter(pk=version.pk).first()
        raise SystemExit(f"the upload ended {status!r}, not ready: {reason}")
    version.refresh_from_db()
    work = {
        "pages": int(version.page_count or 0),
        "rendition_bytes": int(version.size or 0),
        "thumbnail_sprites": len((version.thumbnails or {}).get("sprites", [])),
        "search_rows": SearchEntry.objects.filter(paper_id=version.paper_id).count(),
    }
    return elapsed, work


def baseline(path: Path, workdir: Path) -> tuple[float, dict[str, float]]:
    """The same work with the standard tools, one after the other: a linearized rewrite
    (``qpdf --linearize``), every page's text (``pdftotext``) and a 160 px image of every page
    (``pdftoppm -scale-to 160``). (seconds, each tool's seconds)."""
    parts: dict[str, float] = {}
    commands = {
        "qpdf --linearize": ["qpdf", "--linearize", str(path), str(workdir / "linear.pdf")],
        "pdftotext": ["pdftotext", str(path), str(workdir / "text.txt")],
        "pdftoppm -scale-to 160": ["pdftoppm", "-scale-to", "160", "-png", str(path), str(workdir / "thumb")],
    }
    for name, command in commands.items():
        tool = shutil.which(command[0])
        if tool is None:
            raise SystemExit(f"{command[0]} is not installed: run `make system-deps` as root (qpdf, poppler-utils)")
        started = time.perf_counter()
        done = subprocess.run([tool, *command[1:]], capture_output=True)  # noqa: S603
        parts[name] = time.perf_counter() - started
        if done.returncode not in (0, 3):
            raise SystemExit(f"{name} failed: {done.stderr.decode()[-500:]}")
    thumbs = len(list(workdir.glob("thumb*.png")))
    for made in workdir.iterdir():
        made.unlink()
    parts["images"] = thumbs
    return sum(v for k, v in parts.items() if k != "images"), parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 pages instead of 300")
    parser.add_argument("--pages", type=int, default=0)
    parser.add_argument("--runs", type=int, default=0, help="best of N (default 3, quick 1)")
    args = parser.parse_args()
    pages = args.pages or (60 if args.quick else 300)
    runs = args.runs or (1 if args.quick else 3)

    with tempfile.TemporaryDirectory(prefix="bench-ingest-data-") as data_dir:
        # Embedded settings in a throw-away data folder: nothing of the developer's is touched.
        for name in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "S3_ENDPOINT_URL", "BOARDROOM_TASKS"):
            os.environ.pop(name, None)
        os.environ["BOARDROOM_DATA_DIR"] = data_dir
        os.environ["BOARDROOM_LOG_LEVEL"] = "WARNING"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boardroom.settings")
        import django

        django.setup()
        secretary, item = setup_world()

        path = Path(data_dir) / "bench.pdf"
        started = time.perf_counter()
        make_pdf(pages, path)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {pages} pages, {size_mb:.1f} MB in {time.perf_counter() - started:.1f} s")
        scratch = Path(data_dir) / "baseline"
        scratch.mkdir()

        ours: list[float] = []
        theirs: list[float] = []
        work: dict[str, int] = {}
        parts: dict[str, float] = {}
        for run in range(runs):
            elapsed, work = upload_to_ready(path, secretary, item, run)
            if work["pages"] != pages or work["search_rows"] < pages:
                raise SystemExit(f"the upload did not do the whole work: {work}")
            ours.append(elapsed)
            base, parts = baseline(path, scratch)
            theirs.append(base)

    best_pipe, best_base = min(ours), min(theirs)
    ratio = best_pipe / best_base
    print(f"cores: {os.cpu_count()}, best of {runs} runs each")
    print(
        f"ours: upload to ready (store original, version row, limited child: sanitise + linearized rewrite + "
        f"text + thumbnails, store rendition and {work['thumbnail_sprites']} sprites, page rows, "
        f"{work['search_rows']} search rows): {best_pipe:.2f} s, {pages / best_pipe:.0f} pages/s"
    )
    print(
        f"baseline: {', '.join(f'{k} {v:.2f} s' for k, v in parts.items() if k != 'images')} "
        f"({int(parts['images'])} images): {best_base:.2f} s, {pages / best_base:.0f} pages/s"
    )
    print(
        json.dumps(
            {
                "pages": pages,
                "mb": round(size_mb, 1),
                "upload_to_ready_s": round(best_pipe, 3),
                "baseline_s": round(best_base, 3),
            }
        )
    )
    verdict("ingest", ratio, TARGET_RATIO)


if __name__ == "__main__":
    main()
