"""Board pack benchmark: compiling a meeting's pack against a plain `qpdf` page merge.

1. Generates 40 papers of about 600 pages in all: text-only papers, papers with a JPEG photo on
   every page (each page its own image stream), and one paper whose pages all share a single
   resource dictionary (font and image), as office suites write them.
2. In a child process (so that its peak memory is its own): sets up Boardroom on a throw-away
   SQLite database and file storage, records a published meeting with those papers as ready
   versions, and runs the real build (``documents.packs.pack_build``): manifest and inputs hash,
   WeasyPrint cover and agenda, pikepdf merge, outline with each paper's own bookmarks, page
   labels, footer stamps, agenda links, linearized save, stored as the reader's copy. Then one
   more reader's watermarked copy (``copy_for`` with the board's watermark on), the marginal
   cost of a reader. Timed after Django and the PDF libraries are imported (a worker imports
   them once); the import time is printed apart.
3. In the same run, the baselines: ``qpdf --empty --pages <files> -- out.pdf`` on the same
   files, and ``qpdf --overlay <one-page watermark> -- pack.pdf out.pdf`` on the compiled pack.

Prints the figures, then ``BENCH pack ratio=<build / qpdf merge> target=1 met|not-met`` and
``BENCH pack-watermark ratio=<copy / qpdf overlay> target=1 met|not-met``; the pack line also
needs the child's peak memory under 512 MiB to be met.

    .venv/bin/python bench/pack.py            # 40 papers, ~600 pages, best of 3
    .venv/bin/python bench/pack.py --quick    # 10 papers, ~150 pages, best of 2
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

if not __package__:
    # Started as a file, bench/ would be first on sys.path and shadow the apps: run as a module.
    _root = str(Path(__file__).resolve().parent.parent)
    os.execve(
        sys.executable,
        [sys.executable, "-m", f"bench.{Path(__file__).stem}", *sys.argv[1:]],
        {**os.environ, "PYTHONPATH": _root},
    )

from bench import ROOT, child_env, module_command, verdict  # noqa: E402

TARGET_RATIO = 1.0
WATERMARK_TARGET = 1.0
MEMORY_LIMIT_MB = 512
CUTS_TARGET = 2.0  # a long agenda's three cuts against one qpdf merge per cut
INCREMENTAL_TARGET = 0.3  # one changed paper against the first build


def text_pdf(pages: int, path: Path, seed: int, *, shared: bool = False, photo: bytes | None = None) -> None:
    """Pages of text; ``shared`` puts one resource dictionary (font and a photo) under every page."""
    import pikepdf

    from bench.ingest import WORDS

    rng = random.Random(seed)
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    if shared and photo is not None:
        image = pdf.make_stream(
            photo,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=940,
            Height=650,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=pikepdf.Name.DCTDecode,
        )
        resources.XObject = pikepdf.Dictionary(Im1=image)
    resources = pdf.make_indirect(resources)
    for number in range(1, pages + 1):
        lines = [f"BT /F1 16 Tf 56 790 Td (Section {number}: {' '.join(rng.sample(WORDS, 4)).title()}) Tj ET"]
        y = 760 if not shared else 480
        while y > 60:
            lines.append(f"BT /F1 10 Tf 56 {y} Td ({' '.join(rng.choice(WORDS) for _ in range(13))}) Tj ET")
            y -= 14
        if shared:
            lines.append("q 300 0 0 207 56 520 cm /Im1 Do Q")
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=resources,
            Contents=pdf.make_stream("\n".join(lines).encode("latin-1")),
        )
        pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)


def chart_png(rng: random.Random) -> bytes:
    """A bar chart as a word processor embeds it: a PNG (Flate-compressed in the PDF)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 420), "white")
    draw = ImageDraw.Draw(image)
    for bar in range(12):
        height = rng.randint(40, 380)
        colour = (40 + 15 * bar, 90, 160 - 8 * bar)
        draw.rectangle((30 + 72 * bar, 400 - height, 80 + 72 * bar, 400), fill=colour)
    draw.line((20, 400, 880, 400), fill="black", width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def office_pdf(pages: int, path: Path, seed: int) -> int:
    """A report as office suites export it: embedded (subset) fonts, headings, dense paragraphs,
    a table and a chart now and then. Made with WeasyPrint; returns its page count."""
    import base64

    import weasyprint

    from bench.ingest import WORDS

    rng = random.Random(seed)

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(9, 18))).capitalize() + "."

    chart = "data:image/png;base64," + base64.b64encode(chart_png(rng)).decode()
    parts = [
        "<style>@page{size:A4;margin:22mm}body{font-family:'DejaVu Serif',serif;font-size:10.5pt;line-height:1.45}"
        "h2{font-family:'DejaVu Sans',sans-serif;font-size:13pt}table{border-collapse:collapse;width:100%}"
        "td,th{border:.5pt solid #888;padding:2pt 4pt;font-size:9pt}section{break-after:page}</style>"
    ]
    for number in range(1, pages + 1):
        body = [f"<section><h2>{number}. {' '.join(rng.sample(WORDS, 3)).title()}</h2>"]
        if number % 4 == 2:
            body.append(f'<img src="{chart}" style="width:100%">')
        if number % 5 == 3:
            rows = "".join(
                "<tr>" + "".join(f"<td>{rng.randint(100, 99999):,}</td>" for _ in range(5)) + "</tr>" for _ in range(8)
            )
            body.append(
                f"<table><tr><th>Fund</th><th>Budget</th><th>Actual</th><th>Var</th><th>YTD</th></tr>{rows}</table>"
            )
        paragraphs = 1 if number % 4 == 2 else 2 if number % 5 == 3 else 5
        body += ["<p>" + " ".join(sentence() for _ in range(4)) + "</p>" for _ in range(paragraphs)]
        parts.append("".join(body) + "</section>")
    document = weasyprint.HTML(string="".join(parts)).render()
    document.write_pdf(path)
    return len(document.pages)


def make_papers(folder: Path, count: int, seed: int = 11) -> list[tuple[Path, int]]:
    """``count`` papers of 8-22 pages (~15 on average): most like office exports, a third scanned
    (a photo on every page), one whose pages share one resource dictionary."""
    from bench.ingest import _photos, make_pdf

    rng = random.Random(seed)
    photo = _photos(1, 940, 650, rng)[0]
    papers = []
    for index in range(count):
        pages = rng.randint(8, 22)
        path = folder / f"paper-{index:02d}.pdf"
        if index == 0:
            text_pdf(pages, path, seed + index, shared=True, photo=photo)
        elif index % 3 == 1:
            make_pdf(pages, path, seed=seed + index)
        else:
            pages = office_pdf(pages, path, seed + index)
        papers.append((path, pages))
    return papers


def watermark_stamp(path: Path) -> None:
    """A one-page watermark for ``qpdf --overlay``: the same faint diagonal text as ours."""
    import pikepdf

    from documents import packpdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    source = Path(tempfile.mkdtemp()) / "blank.pdf"
    pdf.save(source)
    packpdf.watermark(source, path, ["A Reader · An Organisation", "1 Dec 2026 10:00 UTC · pack revision 1"])
    shutil.rmtree(source.parent, ignore_errors=True)


# --- the child: Boardroom's own build ----------------------------------------------------------


def child(folder: Path, runs: int) -> None:
    started = time.perf_counter()
    data_dir = folder / "data"
    data_dir.mkdir(exist_ok=True)
    for name in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "S3_ENDPOINT_URL", "BOARDROOM_TASKS"):
        os.environ.pop(name, None)
    os.environ["BOARDROOM_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boardroom.settings")
    import django

    django.setup()
    import hashlib
    import resource

    import pikepdf  # noqa: F401 — imported here so that the build below is timed warm
    import weasyprint  # noqa: F401
    from django.contrib.auth.models import Permission, User
    from django.core.files import File
    from django.core.management import call_command
    from django.utils import timezone

    from documents import packs
    from documents.models import Paper, PaperVersion, VersionStatus
    from meetings import services
    from meetings.models import AgendaItem, Board, Meeting, MeetingStatus, Role

    imports = time.perf_counter() - started
    call_command("migrate", verbosity=0)
    board = Board.objects.create(name="Benchmark Trust", slug="bench", organisation="Benchmark Trust Ltd")
    admin = User.objects.create(username="admin", is_staff=True)
    admin.user_permissions.add(Permission.objects.get(codename="add_membership"))
    admin = User.objects.get(pk=admin.pk)
    readers = []
    for index in range(runs + 1):
        reader = User.objects.create(username=f"reader{index}", first_name="Reader", last_name=str(index))
        services.membership_create(actor=admin, board=board, user=reader, role=Role.MEMBER)
        readers.append(reader)
    meeting = Meeting.objects.create(
        board=board, title="Annual meeting", starts_at=timezone.now(), status=MeetingStatus.PUBLISHED
    )
    papers = json.loads((folder / "papers.json").read_text())
    items: list[AgendaItem] = []
    for _start in range(0, len(papers), 2):
        number = str(len(items) + 1)
        items.append(
            AgendaItem.objects.create(
                meeting=meeting,
                title=f"Item {number} of the benchmark",
                number=number,
                sort_key=f"{len(items) + 1:04d}",
                position=len(items) + 1,
            )
        )
    for index, (path, pages) in enumerate(papers):
        paper = Paper.objects.create(item=items[index // 2], title=f"Paper {index + 1}", position=index)
        data = Path(path).read_bytes()
        version = PaperVersion(
            paper=paper,
            number=1,
            status=VersionStatus.READY,
            page_count=pages,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        with Path(path).open("rb") as handle:
            version.file.save("paper.pdf", File(handle), save=False)
        version.save()
        Paper.objects.filter(pk=paper.pk).update(current_version=version)

    build_times = []
    pack = None
    for run in range(runs):
        # A new title each run changes the inputs, so each run is a real rebuild.
        Meeting.objects.filter(pk=meeting.pk).update(title=f"Annual meeting (run {run + 1})")
        t0 = time.perf_counter()
        pack = packs.pack_build(meeting.pk)
        build_times.append(time.perf_counter() - t0)
        assert pack is not None and pack.status == "ready", pack and pack.error
    assert pack is not None
    copy = pack.copies.get(reader__isnull=True)
    board.pack_watermark = True
    board.save()
    pack.meeting.board = board
    watermark_times = []
    for reader in readers[1:]:
        t0 = time.perf_counter()
        own = packs.copy_for(reader, pack)
        watermark_times.append(time.perf_counter() - t0)
        assert own.reader_id == reader.pk
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shutil.copyfile(copy.file.path, folder / "pack.pdf")
    print(
        json.dumps(
            {
                "imports_s": imports,
                "build_s": min(build_times),
                "watermark_s": min(watermark_times),
                "pages": copy.pages,
                "peak_mb": peak_mb,
            }
        )
    )


# --- the child: a long agenda, three cuts, one changed paper ------------------------------------


def curve_child(folder: Path) -> None:
    """A meeting of many items with one-page papers, read by a member (every item), an observer
    (no Part B) and a member recused from one item: three cuts. Times the first build, then the
    rebuild after one paper gets a new version (same length), and lists each cut's files."""
    data_dir = folder / "curve-data"
    data_dir.mkdir(exist_ok=True)
    for name in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "S3_ENDPOINT_URL", "BOARDROOM_TASKS"):
        os.environ.pop(name, None)
    os.environ["BOARDROOM_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boardroom.settings")
    import django

    django.setup()
    import hashlib

    import pikepdf  # noqa: F401 — the build below is timed warm, as in a worker
    import weasyprint  # noqa: F401
    from django.contrib.auth.models import Permission, User
    from django.core.files import File
    from django.core.management import call_command
    from django.utils import timezone

    from documents import packs
    from documents.models import Paper, PaperVersion, VersionStatus
    from meetings import services
    from meetings.models import AgendaItem, Board, Declaration, Meeting, MeetingStatus, Role

    spec = json.loads((folder / "curve.json").read_text())
    call_command("migrate", verbosity=0)
    board = Board.objects.create(name="Benchmark Trust", slug="bench", organisation="Benchmark Trust Ltd")
    admin = User.objects.create(username="admin", is_staff=True)
    admin.user_permissions.add(Permission.objects.get(codename="add_membership"))
    admin = User.objects.get(pk=admin.pk)
    people = {}
    for name, role in (("member", Role.MEMBER), ("observer", Role.OBSERVER), ("recused", Role.MEMBER)):
        people[name] = User.objects.create(username=name, first_name=name.title(), last_name="Reader")
        services.membership_create(actor=admin, board=board, user=people[name], role=role)
    meeting = Meeting.objects.create(
        board=board, title="Long meeting", starts_at=timezone.now(), status=MeetingStatus.PUBLISHED
    )
    count = spec["items"]
    items = AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting=meeting,
            title=f"Item {n + 1}: report of the {['finance', 'audit', 'people', 'estates'][n % 4]} committee",
            number=str(n + 1),
            sort_key=f"{n + 1:04d}",
            position=n + 1,
            confidential=n % 10 == 9,
            presenter_name="A Presenter",
            duration_minutes=5,
        )
        for n in range(count)
    )
    Declaration.objects.create(item=items[1], user=people["recused"], nature="Bench interest")
    papers = []
    for index, path in enumerate(spec["papers"]):
        paper = Paper.objects.create(item=items[index % count], title=f"Paper {index + 1}", position=index)
        data = Path(path).read_bytes()
        version = PaperVersion(
            paper=paper,
            number=1,
            status=VersionStatus.READY,
            page_count=1,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        with Path(path).open("rb") as handle:
            version.file.save("paper.pdf", File(handle), save=False)
        version.save()
        Paper.objects.filter(pk=paper.pk).update(current_version=version)
        papers.append(paper)

    t0 = time.perf_counter()
    pack = packs.pack_build(meeting.pk)
    full_s = time.perf_counter() - t0
    assert pack is not None and pack.status == "ready", pack and pack.error
    cuts = list(pack.copies.filter(reader__isnull=True))

    # One paper changes: a new version of the same length, as a corrected paper usually is.
    changed = papers[len(papers) // 2]
    data = Path(spec["changed"]).read_bytes()
    version = PaperVersion(
        paper=changed,
        number=2,
        status=VersionStatus.READY,
        page_count=1,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    with Path(spec["changed"]).open("rb") as handle:
        version.file.save("paper.pdf", File(handle), save=False)
    version.save()
    Paper.objects.filter(pk=changed.pk).update(current_version=version)
    t0 = time.perf_counter()
    again = packs.pack_build(meeting.pk)
    incremental_s = time.perf_counter() - t0
    assert again is not None and again.status == "ready" and again.revision == pack.revision + 1, again and again.error

    source = {paper.pk: spec["papers"][index] for index, paper in enumerate(papers)}
    files = {}
    for copy in cuts:
        ids = {int(pid) for pid in copy.page_map["papers"]}
        files[copy.cut[:8]] = [source[paper.pk] for paper in papers if paper.pk in ids]
    print(
        json.dumps(
            {
                "full_s": full_s,
                "incremental_s": incremental_s,
                "cuts": len(cuts),
                "pages": {c.cut[:8]: c.pages for c in cuts},
                "files": files,
                "front": {c.cut[:8]: c.page_map["front"] for c in cuts},
            }
        )
    )


# --- the parent: data, baselines, verdict ------------------------------------------------------


def qpdf_times(qpdf: str, args: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run([qpdf, *args], capture_output=True)  # noqa: S603
        best = min(best, time.perf_counter() - t0)
        if done.returncode not in (0, 3):
            raise SystemExit(f"qpdf failed: {done.stderr.decode()[-400:]}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 papers instead of 40")
    parser.add_argument("--papers", type=int, default=0)
    parser.add_argument("--runs", type=int, default=0)
    parser.add_argument("--items", type=int, default=0, help="items of the long meeting (default 200, quick 40)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--curve-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 3)
    if args.child:
        child(Path(args.child), runs)
        return
    if args.curve_child:
        curve_child(Path(args.curve_child))
        return
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        raise SystemExit("qpdf is not installed: run `make system-deps` as root")
    count = args.papers or (10 if args.quick else 40)
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        papers = make_papers(folder, count)
        total_pages = sum(pages for _path, pages in papers)
        size_mb = sum(path.stat().st_size for path, _pages in papers) / 1e6
        (folder / "papers.json").write_text(json.dumps([[str(path), pages] for path, pages in papers]))
        print(f"generated {count} papers, {total_pages} pages, {size_mb:.1f} MB in {time.perf_counter() - t0:.1f} s")

        done = subprocess.run(  # noqa: S603
            module_command("pack", "--child", str(folder), "--runs", str(runs)),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=child_env(),
        )
        if done.returncode != 0:
            raise SystemExit(f"the build failed:\n{done.stderr[-3000:]}")
        ours = json.loads(done.stdout.strip().splitlines()[-1])

        merged = folder / "qpdf-merged.pdf"
        merge_s = qpdf_times(qpdf, ["--empty", "--pages", *[str(path) for path, _ in papers], "--", str(merged)], runs)
        stamp = folder / "stamp.pdf"
        watermark_stamp(stamp)
        overlay_s = qpdf_times(
            qpdf, ["--overlay", str(stamp), "--repeat=1", "--", str(folder / "pack.pdf"), str(folder / "ov.pdf")], runs
        )
        check = subprocess.run([qpdf, "--check", str(folder / "pack.pdf")], capture_output=True, text=True)  # noqa: S603

    pages = ours["pages"]
    ratio = ours["build_s"] / merge_s
    wm_ratio = ours["watermark_s"] / overlay_s
    print(f"cores: {os.cpu_count()}, best of {runs} runs each; imports in the worker (once): {ours['imports_s']:.2f} s")
    print(
        f"pack build (manifest, WeasyPrint cover+agenda, merge, outline, labels, stamps, links, linearized, stored): "
        f"{ours['build_s']:.2f} s for {pages} pages, {1000 * ours['build_s'] / pages:.2f} ms/page, "
        f"peak memory {ours['peak_mb']:.0f} MiB"
    )
    print(f"qpdf --empty --pages (merge only): {merge_s:.2f} s -> ratio {ratio:.2f} (target <= {TARGET_RATIO:g})")
    print(
        f"one more watermarked reader copy: {ours['watermark_s']:.2f} s; qpdf --overlay: {overlay_s:.2f} s "
        f"-> ratio {wm_ratio:.2f} (target <= {WATERMARK_TARGET:g})"
    )
    print(
        f"qpdf --check on the pack: exit {check.returncode} ({'no errors' if check.returncode in (0, 3) else 'ERRORS'})"
    )
    print(
        json.dumps(
            {
                "papers": count,
                "pages": pages,
                "build_s": round(ours["build_s"], 3),
                "qpdf_merge_s": round(merge_s, 3),
                "watermark_s": round(ours["watermark_s"], 3),
                "qpdf_overlay_s": round(overlay_s, 3),
                "peak_mb": round(ours["peak_mb"]),
            }
        )
    )
    met = ratio <= TARGET_RATIO and ours["peak_mb"] < MEMORY_LIMIT_MB and check.returncode in (0, 3)
    verdict("pack", ratio, TARGET_RATIO, met=met)
    verdict("pack-watermark", wm_ratio, WATERMARK_TARGET)
    curve(qpdf, args.items or (40 if args.quick else 200))


def curve(qpdf: str, items: int) -> None:
    """A long agenda: three readers' cuts against one qpdf merge per cut, then one changed paper."""
    papers = 3 * items + 2
    with tempfile.TemporaryDirectory(prefix="bench-pack-curve-") as tmp:
        folder = Path(tmp)
        paths = []
        for index in range(papers):
            path = folder / f"one-{index:04d}.pdf"
            text_pdf(1, path, 1000 + index)
            paths.append(str(path))
        changed = folder / "changed.pdf"
        text_pdf(1, changed, 999_999)
        (folder / "curve.json").write_text(json.dumps({"items": items, "papers": paths, "changed": str(changed)}))
        done = subprocess.run(  # noqa: S603
            module_command("pack", "--curve-child", str(folder)),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=child_env(),
        )
        if done.returncode != 0:
            raise SystemExit(f"the long-agenda build failed:\n{done.stderr[-3000:]}")
        ours = json.loads(done.stdout.strip().splitlines()[-1])
        merges = {
            cut: qpdf_times(qpdf, ["--empty", "--pages", *files, "--", str(folder / f"merged-{cut}.pdf")], 2)
            for cut, files in ours["files"].items()
        }
    baseline = sum(merges.values())
    ratio = ours["full_s"] / baseline
    incremental = ours["incremental_s"] / ours["full_s"]
    print(
        f"\nlong agenda: {items} items, {papers} one-page papers, {ours['cuts']} cuts (member, observer without"
        f" Part B, a member recused from one item): pages {sorted(ours['pages'].values())}, front matter"
        f" {sorted(ours['front'].values())} pages"
    )
    print(
        f"ours: first build (one cover, the agenda laid out once, every cut composed and compiled):"
        f" {ours['full_s']:.2f} s; baseline: one qpdf --empty --pages merge per cut: "
        + ", ".join(f"{m:.2f} s" for m in merges.values())
        + f" = {baseline:.2f} s -> ratio {ratio:.2f} (target <= {CUTS_TARGET:g})"
    )
    print(
        f"ours: rebuild after one paper's new version: {ours['incremental_s']:.2f} s; baseline: the first build"
        f" {ours['full_s']:.2f} s -> ratio {incremental:.2f} (target <= {INCREMENTAL_TARGET:g})"
    )
    verdict("pack-cuts", ratio, CUTS_TARGET)
    verdict("pack-incremental", incremental, INCREMENTAL_TARGET)


if __name__ == "__main__":
    main()
