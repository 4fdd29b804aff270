"""Assembling a board pack PDF with pikepdf: merge, outline, page labels, footers, links, watermark.

This module knows PDF, not Django: ``documents.packs`` decides what goes in a reader's pack and
how its pages are numbered, then hands a :class:`Plan` to :func:`assemble`.

Footers and watermarks draw on the page *as displayed*: a page's crop box and ``/Rotate`` give
a matrix that maps the displayed page (origin bottom left, upright) into its user space, so a
stamp sits at the bottom of a landscape or rotated page the way a reader sees it. Each page's
own content is wrapped in ``q … Q`` so whatever graphics state it leaves behind cannot bend the
stamp. Shared things are shared: one font object, one form XObject for the fixed part of the
footer (the meeting's name), one ``q`` stream, one watermark form and one placement stream per
page shape.

Text is drawn in the standard Helvetica with WinAnsi encoding, so nothing has to be embedded;
characters outside Windows-1252 are shown as "?".
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream

from .pagetree import balance_page_tree

logger = logging.getLogger(__name__)

# Object streams off: qpdf's own check then finds pikepdf's linearization hint tables exact
# (with object streams it reports a harmless outline hint-table warning).
OBJECT_STREAMS = pikepdf.ObjectStreamMode.disable

# Link targets the front matter uses for "go to this item" (rewritten into GoTo actions).
LINK_SCHEME = "boardroom-pack:"

FOOTER_SIZE = 7.0
FOOTER_MARGIN = 18.0
FOOTER_BASELINE = 7.0
FONT_NAME = Name("/BoardroomF1")
FOOTER_FORM_NAME = Name("/BoardroomFoot")
WATERMARK_FORM_NAME = Name("/BoardroomWm")

# Advance widths of Helvetica (per 1000 em) for printable ASCII, from its published metrics;
# other WinAnsi characters are close enough to the average width.
_HELVETICA = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 "
    "556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 "
    "667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 "
    "556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584"
)
_WIDTHS = {32 + i: int(w) for i, w in enumerate(_HELVETICA.split())}
_WIDTHS.update({0xB7: 278, 0x96: 556, 0x97: 1000, 0x92: 222, 0x91: 222, 0x93: 333, 0x94: 333})


def winansi(text: str) -> bytes:
    return text.encode("cp1252", errors="replace")


def text_width(text: str, size: float) -> float:
    return sum(_WIDTHS.get(byte, 556) for byte in winansi(text)) * size / 1000


def fit(text: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis so that it takes at most ``width`` points."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return (text.rstrip() + "…") if text else ""


def pdf_string(text: str) -> bytes:
    raw = winansi(text)
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


# --- what goes in ----------------------------------------------------------------------------


@dataclass
class PaperPart:
    paper_id: int
    title: str
    path: Path
    labels: list[str]  # one page label per page of the paper, decided by the numbering

    @property
    def pages(self) -> int:
        return len(self.labels)


@dataclass
class ItemPart:
    item_id: int
    number: str
    title: str
    papers: list[PaperPart] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}".strip()


@dataclass
class Plan:
    """One reader's pack: the rendered front matter (cover and agenda) and the papers in order."""

    front: bytes  # PDF of the cover and table of contents
    front_anchors: dict[str, int]  # anchor name -> page index in the front matter
    items: list[ItemPart]
    footer_fixed: str  # right-hand part of every footer, e.g. "Finance Committee · 3 Dec 2026"
    last_number: int  # "of M" in the footers


@dataclass
class Built:
    pages: int
    front: int  # pages of cover and agenda
    # paper id -> {"first": pack page index (0-based), "labels": [...], "item": item id}
    papers: dict[int, dict[str, Any]]
    items: dict[int, int]  # item id -> index of the page its bookmark points at


# --- geometry --------------------------------------------------------------------------------


def _inherited(page: pikepdf.Page, key: str) -> Any:
    node: Any = page.obj
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def display_frame(page: pikepdf.Page) -> tuple[tuple[float, ...], float, float]:
    """(matrix from displayed space to user space, displayed width, displayed height)."""
    box = _inherited(page, "/CropBox") or _inherited(page, "/MediaBox") or Array([0, 0, 612, 792])
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    width, height = x1 - x0, y1 - y0
    rotate = int(_inherited(page, "/Rotate") or 0) % 360
    if rotate == 90:
        return (0, 1, -1, 0, x1, y0), height, width
    if rotate == 180:
        return (-1, 0, 0, -1, x1, y1), width, height
    if rotate == 270:
        return (0, -1, 1, 0, x0, y1), height, width
    return (1, 0, 0, 1, x0, y0), width, height


def _cm(matrix: Sequence[float]) -> bytes:
    return (" ".join(_num(v) for v in matrix) + " cm\n").encode()


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _box(x: float, y: float, w: float, h: float) -> bytes:
    """A filled rectangle (in the current fill colour)."""
    return f"{_num(x)} {_num(y)} {_num(w)} {_num(h)} re f\n".encode()


def _name(name: Name) -> bytes:
    return str(name).encode()


def _resources(page: pikepdf.Page) -> Any:
    if "/Resources" not in page.obj:
        page.obj.Resources = Dictionary()
    return page.obj.Resources


def _add_resource(page: pikepdf.Page, kind: str, name: Name, obj: Any) -> None:
    resources = _resources(page)
    if kind not in resources:
        resources[kind] = Dictionary()
    resources[kind][name] = obj


# --- assembly --------------------------------------------------------------------------------


def assemble(
    plan: Plan,
    out_path: Path,
    *,
    progress: Callable[[PaperPart], None] | None = None,
    linearize: bool = True,
) -> Built:
    """Write the pack of ``plan`` to ``out_path``; ``progress(paper)`` after each paper is in."""
    with ExitStack() as stack:
        pdf = stack.enter_context(Pdf.open(io.BytesIO(plan.front)))
        front_pages = len(pdf.pages)
        papers: dict[int, dict[str, Any]] = {}
        sources: dict[int, Pdf] = {}
        for item in plan.items:
            for paper in item.papers:
                src = stack.enter_context(Pdf.open(paper.path))
                if len(src.pages) != paper.pages:
                    raise ValueError(f"paper {paper.paper_id} has {len(src.pages)} pages, not {paper.pages}")
                papers[paper.paper_id] = {"first": len(pdf.pages), "labels": paper.labels, "item": item.item_id}
                # Unlike pages.extend, this keeps the named destinations the paper's own links use
                # (and its form fields and layers); its outline is rebuilt below, under its entry.
                pdf.add_pages_from(src, outlines="ignore")
                sources[paper.paper_id] = src
                if progress:
                    progress(paper)
        items = _item_targets(plan, papers)
        _outline(pdf, plan, papers, items, sources)
        _page_labels(pdf, front_pages, plan)
        _link_front_matter(pdf, front_pages, {"item": items, "paper": {pid: p["first"] for pid, p in papers.items()}})
        _stamp_footers(pdf, plan, front_pages)
        pdf.Root.PageMode = Name.UseOutlines
        pdf.docinfo[Name.Producer] = "Boardroom"
        balance_page_tree(pdf)
        pdf.save(out_path, linearize=linearize, compress_streams=True, object_stream_mode=OBJECT_STREAMS)
        return Built(pages=len(pdf.pages), front=front_pages, papers=papers, items=items)


def _item_targets(plan: Plan, papers: dict[int, dict[str, Any]]) -> dict[int, int]:
    """Where each item's bookmark goes: its first paper, or its line in the agenda if it has none."""
    targets = {}
    for item in plan.items:
        if item.papers:
            targets[item.item_id] = papers[item.papers[0].paper_id]["first"]
        else:
            targets[item.item_id] = plan.front_anchors.get(f"item-{item.item_id}", 0)
    return targets


def _outline(
    pdf: Pdf,
    plan: Plan,
    papers: dict[int, dict[str, Any]],
    items: dict[int, int],
    sources: dict[int, Pdf],
) -> None:
    with pdf.open_outline() as outline:
        outline.root.clear()
        outline.root.append(pikepdf.OutlineItem("Cover", 0))
        agenda = plan.front_anchors.get("agenda", min(1, len(pdf.pages) - 1))
        outline.root.append(pikepdf.OutlineItem("Agenda", agenda))
        for item in plan.items:
            entry = pikepdf.OutlineItem(item.heading, items[item.item_id])
            for paper in item.papers:
                first = papers[paper.paper_id]["first"]
                child = pikepdf.OutlineItem(paper.title, first)
                child.children.extend(_paper_outline(sources[paper.paper_id], first, pdf))
                entry.children.append(child)
            outline.root.append(entry)


def _paper_outline(src: Pdf, offset: int, pdf: Pdf, depth: int = 0) -> list[pikepdf.OutlineItem]:
    """The paper's own bookmarks, re-pointed at its pages inside the pack."""
    if "/Outlines" not in src.Root:
        return []
    try:
        with src.open_outline() as outline:
            return _copy_outline(src, outline.root, offset, pdf, depth)
    except (pikepdf.PdfError, pikepdf.OutlineStructureError, ValueError, KeyError, TypeError) as exc:
        logger.info("A paper's outline could not be read and was left out: %s", type(exc).__name__)
        return []


def _copy_outline(
    src: Pdf, entries: list[pikepdf.OutlineItem], offset: int, pdf: Pdf, depth: int
) -> list[pikepdf.OutlineItem]:
    copied = []
    for entry in entries[:500]:
        page = _outline_page(src, entry)
        title = str(entry.title or "")[:300] or "(untitled)"
        if page is None:
            # A bookmark to nowhere (or to a web address) keeps its children, pointed at the paper.
            page = 0
        item = pikepdf.OutlineItem(title, offset + page)
        if depth < 8:
            item.children.extend(_copy_outline(src, entry.children, offset, pdf, depth + 1))
        copied.append(item)
    return copied


def _outline_page(src: Pdf, entry: pikepdf.OutlineItem) -> int | None:
    dest: Any = entry.destination
    if dest is None and entry.action is not None and entry.action.get("/S") == Name.GoTo:
        dest = entry.action.get("/D")
    if isinstance(dest, (pikepdf.String, Name, str)):
        dest = _named_destination(src, str(dest))
    if isinstance(dest, Dictionary):
        dest = dest.get("/D")
    if isinstance(dest, Array) and len(dest) > 0:
        target = dest[0]
        if isinstance(target, int):
            return target if 0 <= target < len(src.pages) else None
        if isinstance(target, Dictionary):
            try:
                return src.pages.index(pikepdf.Page(target))
            except ValueError:
                return None
    return None


def _named_destination(src: Pdf, name: str) -> Any:
    root = src.Root
    if "/Names" in root and "/Dests" in root.Names:
        tree = pikepdf.NameTree(root.Names.Dests)
        if name in tree:
            return tree[name]
    if "/Dests" in root:
        return root.Dests.get(Name("/" + name.lstrip("/")))
    return None


def _page_labels(pdf: Pdf, front_pages: int, plan: Plan) -> None:
    """Front matter i, ii…; paper pages as planned (12, 12a, 12b…), written as label runs."""
    labels = [_roman(i + 1) for i in range(front_pages)]
    for item in plan.items:
        for paper in item.papers:
            labels.extend(paper.labels)
    nums: list[Any] = []
    previous: tuple[str, str, int] | None = None  # (style, prefix, value) of the last page
    for index, label in enumerate(labels):
        style, prefix, value = _label_parts(label, front=index < front_pages)
        if previous and previous[0] == style and previous[1] == prefix and value == previous[2] + 1:
            previous = (style, prefix, value)
            continue
        run = Dictionary(S=Name("/" + style))
        if prefix:
            run.P = pikepdf.String(prefix)
        if value != 1:
            run.St = value
        nums.extend([index, run])
        previous = (style, prefix, value)
    pdf.Root.PageLabels = pdf.make_indirect(Dictionary(Nums=Array(nums)))


def _label_parts(label: str, *, front: bool) -> tuple[str, str, int]:
    if front:
        return "r", "", _from_roman(label)
    digits = label.rstrip("abcdefghijklmnopqrstuvwxyz")
    letters = label[len(digits) :]
    if not letters:
        return "D", "", int(digits)
    # PDF's letter style counts a…z, aa…zz: the value of "c" is 3, of "bb" 28.
    return "a", digits, (len(letters) - 1) * 26 + (ord(letters[0]) - ord("a") + 1)


def supplement_letters(n: int) -> str:
    """The n-th (1-based) supplement suffix in the PDF letter style: a…z, aa…zz, aaa…"""
    repeat, index = divmod(n - 1, 26)
    return chr(ord("a") + index) * (repeat + 1)


_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc")]
_ROMAN += [(50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out += letters
            n -= value
    return out


def _from_roman(text: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
    total = 0
    for i, ch in enumerate(text):
        value = values[ch]
        total += -value if i + 1 < len(text) and values[text[i + 1]] > value else value
    return total


def _link_front_matter(pdf: Pdf, front_pages: int, targets: dict[str, dict[int, int]]) -> None:
    """The agenda's links ("boardroom-pack:item/12", "…:paper/7") become jumps inside the pack."""
    for page in list(pdf.pages)[:front_pages]:
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            if action is None or action.get("/S") != Name.URI:
                continue
            uri = bytes(action.get("/URI", b"")).decode("latin-1")
            if not uri.startswith(LINK_SCHEME):
                continue
            kind, _, ident = uri[len(LINK_SCHEME) :].partition("/")
            target = targets.get(kind, {}).get(int(ident)) if ident.isdigit() else None
            del annot["/A"]
            if target is not None:
                annot.Dest = Array([pdf.pages[target].obj, Name.Fit])


def _font(pdf: Pdf) -> Any:
    return pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)
    )


def _stamp_footers(pdf: Pdf, plan: Plan, front_pages: int) -> None:
    font = _font(pdf)
    fixed = plan.footer_fixed
    fixed_width = text_width(fixed, FOOTER_SIZE)
    # The fixed part, right-aligned so that it ends at the form's origin, on a white backing.
    form_stream = (
        b"1 g "
        + _box(-fixed_width - 3, FOOTER_BASELINE - 2.5, fixed_width + 6, FOOTER_SIZE + 3)
        + b"0.25 g BT /F1 "
        + _num(FOOTER_SIZE).encode()
        + f" Tf {_num(-fixed_width)} {_num(FOOTER_BASELINE)} Td ".encode()
        + pdf_string(fixed)
        + b" Tj ET\n"
    )
    form = Stream(pdf, form_stream)
    form.Type = Name.XObject
    form.Subtype = Name.Form
    form.BBox = Array([-fixed_width - 4, 0, 0, FOOTER_BASELINE + FOOTER_SIZE + 2])
    form.Resources = Dictionary(Font=Dictionary(F1=font))
    form = pdf.make_indirect(form)
    save_state = pdf.make_indirect(Stream(pdf, b"q\n"))

    labels: list[tuple[str, str]] = [(_roman(i + 1), "Agenda" if i else "Cover") for i in range(front_pages)]
    for item in plan.items:
        for paper in item.papers:
            where = f"Item {item.number}" if item.number else item.title
            labels.extend((label, f"{where} · {paper.title}") for label in paper.labels)
    of = f" of {plan.last_number}" if plan.last_number else ""

    for page, (label, where) in zip(pdf.pages, labels, strict=True):
        matrix, width, _height = display_frame(page)
        room = width - 2 * FOOTER_MARGIN
        show_fixed = room > fixed_width + 140
        if show_fixed:
            room -= fixed_width + 18
        left = fit(f"Pack page {label}{of} · {where}", FOOTER_SIZE, room)
        left_width = text_width(left, FOOTER_SIZE)
        body = b"Q\nq\n" + _cm(matrix)
        body += b"1 g " + _box(FOOTER_MARGIN - 3, FOOTER_BASELINE - 2.5, left_width + 6, FOOTER_SIZE + 3)
        body += (
            b"0.2 g BT "
            + _name(FONT_NAME)
            + f" {_num(FOOTER_SIZE)} Tf {_num(FOOTER_MARGIN)} {_num(FOOTER_BASELINE)} Td ".encode()
            + pdf_string(left)
            + b" Tj ET\n"
        )
        if show_fixed:
            body += b"q 1 0 0 1 " + _num(width - FOOTER_MARGIN).encode() + b" 0 cm " + _name(FOOTER_FORM_NAME)
            body += b" Do Q\n"
        body += b"Q\n"
        _add_resource(page, "/Font", FONT_NAME, font)
        _add_resource(page, "/XObject", FOOTER_FORM_NAME, form)
        page.contents_add(save_state, prepend=True)
        page.contents_add(Stream(pdf, body))


# --- watermark -------------------------------------------------------------------------------


def watermark(src_path: Path, out_path: Path, lines: Sequence[str], *, linearize: bool = True) -> int:
    """Copy ``src_path`` with ``lines`` written faintly across every page; returns the page count.

    One form XObject carries the text; each page gets a short stream placing it (shared by every
    page of the same shape), so a copy for one more reader costs little more than a save.
    """
    with Pdf.open(src_path) as pdf:
        font = _font(pdf)
        size = 22.0
        widths = [text_width(line, size) for line in lines]
        longest = max(widths, default=0.0)
        leading = size * 1.35
        body = b"0.55 0.1 0.1 rg /GS gs BT /F1 " + _num(size).encode() + b" Tf\n"
        for index, (line, w) in enumerate(zip(lines, widths, strict=True)):
            y = (len(lines) - 1) / 2 * leading - index * leading - size / 3
            body += f"1 0 0 1 {_num(-w / 2)} {_num(y)} Tm ".encode() + pdf_string(line) + b" Tj\n"
        body += b"ET\n"
        half_h = len(lines) * leading / 2 + size
        form = Stream(pdf, body)
        form.Type = Name.XObject
        form.Subtype = Name.Form
        form.BBox = Array([-longest / 2 - 4, -half_h, longest / 2 + 4, half_h])
        form.Resources = Dictionary(
            Font=Dictionary(F1=font),
            ExtGState=Dictionary(GS=Dictionary(Type=Name.ExtGState, ca=0.16, CA=0.16)),
        )
        form = pdf.make_indirect(form)
        save_state = pdf.make_indirect(Stream(pdf, b"q\n"))
        placements: dict[tuple[float, ...], Any] = {}
        for page in pdf.pages:
            matrix, width, height = display_frame(page)
            key = (*matrix, width, height)
            stream = placements.get(key)
            if stream is None:
                angle = math.atan2(height, width)
                scale = min(1.0, 0.85 * math.hypot(width, height) / max(longest, 1.0))
                cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
                place = (cos, sin, -sin, cos, width / 2, height / 2)
                content = b"Q\nq\n" + _cm(matrix) + _cm(place) + _name(WATERMARK_FORM_NAME) + b" Do\nQ\n"
                stream = placements[key] = pdf.make_indirect(Stream(pdf, content))
            _add_resource(page, "/XObject", WATERMARK_FORM_NAME, form)
            page.contents_add(save_state, prepend=True)
            page.contents_add(stream)
        balance_page_tree(pdf)
        pdf.save(out_path, linearize=linearize, compress_streams=True, object_stream_mode=OBJECT_STREAMS)
        return len(pdf.pages)
