"""Ingest benchmark: the upload pipeline against `qpdf --check` plus a bare pypdfium2 text pass.

1. Generates a PDF of 300 pages (``--quick``: 60) of about 130 KB each (~40 MB in all): a
   heading and paragraphs of text and one JPEG photo per page, every image its own stream.
2. Runs the real ingest child (``documents.tasks.run_child``: the process with memory and CPU
   limits that the upload task runs) on it: open and sanitise with pikepdf, linearized clean
   rewrite, per-page text and 160 px thumbnail sprites with pypdfium2. Timed from outside, so
   the child's start-up and imports count.
3. In the same run, the baseline: ``qpdf --check`` on the same file, then a bare pypdfium2
   pass that extracts each page's text in this process.

Prints the figures, then one line: ``BENCH ingest ratio=<pipeline / baseline> target=2 met|not-met``.

    .venv/bin/python bench/ingest.py           # 300 pages, well under a minute
    .venv/bin/python bench/ingest.py --quick   # 60 pages
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

ROOT = Path(__file__).resolve().parent.parent
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


def pipeline(path: Path) -> tuple[float, dict[str, float], int]:
    """The upload task's child process on a copy of ``path``: (seconds, its own timings, pages)."""
    from documents import tasks

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        shutil.copyfile(path, workdir / "original")
        started = time.perf_counter()
        result = tasks.run_child(workdir, kind="pdf", max_pages=100_000)
        elapsed = time.perf_counter() - started
        if not result.get("ok"):
            raise SystemExit(f"the pipeline refused the benchmark PDF: {result.get('reason')}")
        if len(result["thumbnails"]["cells"]) != result["pages"] or not any(result["texts"]):
            raise SystemExit("the pipeline made no thumbnails or no text")
        return elapsed, result["timings"], int(result["pages"])


def baseline(path: Path) -> tuple[float, float]:
    """`qpdf --check`, then a bare pypdfium2 text pass: (qpdf seconds, pdfium seconds)."""
    import pypdfium2 as pdfium

    qpdf = shutil.which("qpdf")
    if qpdf is None:
        raise SystemExit("qpdf is not installed: run `make system-deps` as root")
    started = time.perf_counter()
    done = subprocess.run([qpdf, "--check", str(path)], capture_output=True)  # noqa: S603
    qpdf_s = time.perf_counter() - started
    if done.returncode not in (0, 3):
        raise SystemExit(f"qpdf --check failed: {done.stderr.decode()[-500:]}")
    started = time.perf_counter()
    doc = pdfium.PdfDocument(str(path))
    chars = 0
    for page in doc:
        textpage = page.get_textpage()
        chars += len(textpage.get_text_bounded())
        textpage.close()
        page.close()
    doc.close()
    return qpdf_s, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 pages instead of 300")
    parser.add_argument("--pages", type=int, default=0)
    parser.add_argument("--runs", type=int, default=0, help="best of N (default 2, quick 1)")
    args = parser.parse_args()
    pages = args.pages or (60 if args.quick else 300)
    runs = args.runs or (1 if args.quick else 2)

    with tempfile.TemporaryDirectory(prefix="bench-ingest-data-") as data_dir:
        # Embedded settings in a throw-away data folder: nothing of the developer's is touched.
        for name in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "S3_ENDPOINT_URL", "BOARDROOM_TASKS"):
            os.environ.pop(name, None)
        os.environ["BOARDROOM_DATA_DIR"] = data_dir
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boardroom.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

        path = Path(data_dir) / "bench.pdf"
        started = time.perf_counter()
        make_pdf(pages, path)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {pages} pages, {size_mb:.1f} MB in {time.perf_counter() - started:.1f} s")

        best_pipe, best_base = float("inf"), float("inf")
        best_timings: dict[str, float] = {}
        best_parts = (0.0, 0.0)
        for _ in range(runs):
            elapsed, timings, counted = pipeline(path)
            if counted != pages:
                raise SystemExit(f"the pipeline counted {counted} pages, not {pages}")
            if elapsed < best_pipe:
                best_pipe, best_timings = elapsed, timings
            qpdf_s, text_s = baseline(path)
            if qpdf_s + text_s < best_base:
                best_base, best_parts = qpdf_s + text_s, (qpdf_s, text_s)

    ratio = best_pipe / best_base
    print(f"cores: {os.cpu_count()}, best of {runs} runs each")
    print(
        f"pipeline (child process: sanitise + linearized rewrite + text + thumbnails): {best_pipe:.2f} s, "
        f"{pages / best_pipe:.0f} pages/s  [inside: sanitise+rewrite {best_timings.get('sanitise', 0):.2f} s, "
        f"text+thumbnails {best_timings.get('pages', 0):.2f} s]"
    )
    print(
        f"baseline (qpdf --check {best_parts[0]:.2f} s + pypdfium2 text {best_parts[1]:.2f} s): {best_base:.2f} s, "
        f"{pages / best_base:.0f} pages/s"
    )
    print(
        json.dumps(
            {
                "pages": pages,
                "mb": round(size_mb, 1),
                "pipeline_s": round(best_pipe, 3),
                "baseline_s": round(best_base, 3),
            }
        )
    )
    verdict = "met" if ratio <= TARGET_RATIO else "not-met"
    print(f"BENCH ingest ratio={ratio:.2f} target={TARGET_RATIO:g} {verdict}")


if __name__ == "__main__":
    main()
