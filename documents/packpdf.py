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

Text is drawn by ``documents.lettering``: Helvetica with nothing embedded when Windows-1252
holds it, otherwise embedded subsets of Unicode fonts, so names and titles in any script
print as written.
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

from .lettering import Lettering
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
FOOTER_FORM_NAME = Name("/BoardroomFoot")
WATERMARK_FORM_NAME = Name("/BoardroomWm")

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


def _stamp_footers(pdf: Pdf, plan: Plan, front_pages: int) -> None:
    fixed = plan.footer_fixed
    labels: list[tuple[str, str]] = [(_roman(i + 1), "Agenda" if i else "Cover") for i in range(front_pages)]
    for item in plan.items:
        for paper in item.papers:
            where = f"Item {item.number}" if item.number else item.title
            labels.extend((label, f"{where} · {paper.title}") for label in paper.labels)
    of = f" of {plan.last_number}" if plan.last_number else ""
    lettering = Lettering(pdf, [fixed, f"Pack page {of}", *(label + where for label, where in labels)])
    fixed_width = lettering.width(fixed, FOOTER_SIZE)
    # The fixed part, right-aligned so that it ends at the form's origin, on a white backing.
    form_stream = (
        b"1 g "
        + _box(-fixed_width - 3, FOOTER_BASELINE - 2.5, fixed_width + 6, FOOTER_SIZE + 3)
        + f"0.25 g BT {_num(-fixed_width)} {_num(FOOTER_BASELINE)} Td ".encode()
        + lettering.show(fixed, FOOTER_SIZE)
        + b" ET\n"
    )
    form = Stream(pdf, form_stream)
    form.Type = Name.XObject
    form.Subtype = Name.Form
    form.BBox = Array([-fixed_width - 4, 0, 0, FOOTER_BASELINE + FOOTER_SIZE + 2])
    form.Resources = Dictionary(Font=lettering.fonts)
    form = pdf.make_indirect(form)
    save_state = pdf.make_indirect(Stream(pdf, b"q\n"))

    for page, (label, where) in zip(pdf.pages, labels, strict=True):
        matrix, width, _height = display_frame(page)
        room = width - 2 * FOOTER_MARGIN
        show_fixed = room > fixed_width + 140
        if show_fixed:
            room -= fixed_width + 18
        left = lettering.fit(f"Pack page {label}{of} · {where}", FOOTER_SIZE, room)
        left_width = lettering.width(left, FOOTER_SIZE)
        body = b"Q\nq\n" + _cm(matrix)
        body += b"1 g " + _box(FOOTER_MARGIN - 3, FOOTER_BASELINE - 2.5, left_width + 6, FOOTER_SIZE + 3)
        body += f"0.2 g BT {_num(FOOTER_MARGIN)} {_num(FOOTER_BASELINE)} Td ".encode()
        body += lettering.show(left, FOOTER_SIZE) + b" ET\n"
        if show_fixed:
            body += b"q 1 0 0 1 " + _num(width - FOOTER_MARGIN).encode() + b" 0 cm " + _name(FOOTER_FORM_NAME)
            body += b" Do Q\n"
        body += b"Q\n"
        for name, font in lettering.fonts.items():
            _add_resource(page, "/Font", Name(name), font)
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
        lettering = Lettering(pdf, lines)
        size = 22.0
        widths = [lettering.width(line, size) for line in lines]
        longest = max(widths, default=0.0)
        leading = size * 1.35
        body = b"0.55 0.1 0.1 rg /GS gs BT\n"
        for index, (line, w) in enumerate(zip(lines, widths, strict=True)):
            y = (len(lines) - 1) / 2 * leading - index * leading - size / 3
            body += f"1 0 0 1 {_num(-w / 2)} {_num(y)} Tm ".encode() + lettering.show(line, size) + b"\n"
        body += b"ET\n"
        half_h = len(lines) * leading / 2 + size
        form = Stream(pdf, body)
        form.Type = Name.XObject
        form.Subtype = Name.Form
        form.BBox = Array([-longest / 2 - 4, -half_h, longest / 2 + 4, half_h])
        form.Resources = Dictionary(
            Font=lettering.fonts,
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


# --- front matter composed from blocks laid out once ------------------------------------------

# Where the agenda sits on an A4 page (the pack_layout template's @page margins), in points.
FRONT_TOP = 22 * 72 / 25.4
FRONT_BOTTOM = 20 * 72 / 25.4
FRONT_SIDE = 20 * 72 / 25.4
LABEL_SIZE = 10.0
# From the top of a row to the baseline of its 10 pt text (line height 1.4; a paper row has
# 0.6 mm of padding above).
ITEM_BASELINE = 10.5
PAPER_BASELINE = 12.2
ROW_HEIGHT = 14.0


@dataclass
class FrontBlock:
    """One block of the reader's agenda: ``key`` names it in the layout ("head", "empty", or an
    item id); ``label`` goes beside the item's line, ``papers`` (id, label) beside its papers."""

    key: str
    item_id: int | None = None
    label: str = ""
    papers: list[tuple[int, str]] = field(default_factory=list)


def compose_front(
    cover: bytes, layout: bytes, geometry: dict[str, Any], blocks: Sequence[FrontBlock], *, note: str = ""
) -> tuple[bytes, dict[str, int]]:
    """The reader's front matter: ``cover`` (a PDF), then ``blocks`` placed in order on A4 pages.

    ``layout`` is a PDF with each block on a page of its own, laid out once for every reader;
    ``geometry`` says where each block and its rows are (points from the top of its page).
    ``note`` (the pack's revision) is written at the foot of the cover, so that one rendered
    cover serves every revision. Only the layout pages holding the reader's blocks are copied
    in, each placed as a form clipped to one block; a block some reader may not see is on a
    layout page of its own (``packs.agenda_layout``), so it leaves nothing in their file. Page
    labels and links (to ``LINK_SCHEME`` targets, made jumps by :func:`assemble`) are drawn here.
    Returns the PDF and the page index of "agenda" and of each "item-<id>".
    """
    with Pdf.open(io.BytesIO(cover)) as out, Pdf.open(io.BytesIO(layout)) as src:
        width, height = (float(v) for v in out.pages[0].mediabox[2:4]) if len(out.pages) else (595.276, 841.89)
        anchors = {"agenda": len(out.pages)}
        labels_drawn = [b.label for b in blocks] + [label for b in blocks for _pid, label in b.papers]
        lettering = Lettering(out, [note, *labels_drawn])
        if note and len(out.pages):
            for resource, font in lettering.fonts.items():
                _add_resource(out.pages[0], "/Font", Name(resource), font)
            text = b"BT 0.33 g " + f"{_num(FRONT_SIDE)} {_num(FRONT_BOTTOM + 20)} Td ".encode()
            # The cover's own content may leave its coordinates changed: draw in a clean state.
            out.pages[0].contents_add(Stream(out, b"q\n"), prepend=True)
            out.pages[0].contents_add(Stream(out, b"Q\n" + text + lettering.show(note, 11) + b" ET\n"))
        forms: dict[int, Any] = {}
        page: _FrontPage | None = None
        room = height - FRONT_TOP - FRONT_BOTTOM

        def form_of(index: int) -> tuple[Name, Any, float]:
            if index not in forms:
                forms[index] = out.copy_foreign(src.pages[index].as_form_xobject())
            source_height = float(src.pages[index].mediabox[3])
            return Name(f"/BrBlock{index}"), forms[index], source_height

        pages: list[_FrontPage] = []

        def new_page() -> _FrontPage:
            pages.append(_FrontPage(out, width, height, lettering))
            return pages[-1]

        for block in blocks:
            where = geometry["blocks"][block.key]
            rows: list[tuple[str, int | None, float]] = (
                [("item", block.item_id, where["line"])] if "line" in where else []
            )
            rows += [("paper", pid, where["papers"][str(pid)]) for pid, _label in block.papers]
            labels: dict[tuple[str, int | None], str] = {("item", block.item_id): block.label}
            labels.update({("paper", pid): label for pid, label in block.papers})
            # Cut points: a block taller than the room left is split, if it must be, only
            # between its rows; one that fits on a page is kept whole on the next one.
            cuts = [where["top"], *[top for _kind, _id, top in rows[1:]], where["bottom"]]
            if page is None or (
                page.used and cuts[-1] - cuts[0] <= room and page.y - (cuts[-1] - cuts[0]) < FRONT_BOTTOM
            ):
                page = new_page()
            start = 0
            while start < len(cuts) - 1:
                end = start + 1
                while end < len(cuts) - 1 and page.y - (cuts[end + 1] - cuts[start]) >= FRONT_BOTTOM:
                    end += 1
                if page.used and page.y - (cuts[end] - cuts[start]) < FRONT_BOTTOM:
                    page = new_page()
                    continue
                name, form, source_height = form_of(int(where["page"]))
                top, bottom = cuts[start], cuts[end]
                page.place(name, form, source_height, top, bottom)
                if block.item_id is not None:
                    anchors.setdefault(f"item-{block.item_id}", page.index)
                for kind, ident, row_top in rows:
                    if top <= row_top < bottom:
                        page.row(kind, ident, labels[(kind, ident)], page.y - (row_top - top))
                page.y -= bottom - top
                start = end
        if page is None:
            new_page()
        for made in pages:
            made.finish()
        buffer = io.BytesIO()
        out.save(buffer, object_stream_mode=OBJECT_STREAMS)
        return buffer.getvalue(), anchors


class _FrontPage:
    """An agenda page being filled from the top."""

    def __init__(self, pdf: Pdf, width: float, height: float, lettering: Lettering) -> None:
        self.pdf, self.width, self.lettering = pdf, width, lettering
        self.y = height - FRONT_TOP
        self.used = False
        self.body = bytearray()
        self.annots: list[Any] = []
        self.page = pdf.add_blank_page(page_size=(width, height))
        self.index = len(pdf.pages) - 1
        self.page.obj.Resources = Dictionary(Font=lettering.fonts, XObject=Dictionary())

    def finish(self) -> None:
        self.page.obj.Contents = self.pdf.make_stream(bytes(self.body))

    def place(self, name: Name, form: Any, source_height: float, top: float, bottom: float) -> None:
        """Draw rows ``top``..``bottom`` (points from the top of the form's page) at ``self.y``."""
        self.used = True
        self.page.obj.Resources.XObject[name] = form
        h = bottom - top
        shift = self.y - (source_height - top)
        self.body += b"q " + _box(0, self.y - h, self.width, h).replace(b" f\n", b" W n ")
        self.body += b"1 0 0 1 0 " + _num(shift).encode() + b" cm " + _name(name) + b" Do Q\n"

    def row(self, kind: str, ident: int | None, label: str, row_top: float) -> None:
        """The page label right-aligned beside a row whose top is at ``row_top``, and its link."""
        baseline = row_top - (ITEM_BASELINE if kind == "item" else PAPER_BASELINE)
        if label:
            right = self.width - FRONT_SIDE
            x = right - self.lettering.width(label, LABEL_SIZE)
            self.body += f"BT {_num(x)} {_num(baseline)} Td ".encode()
            self.body += self.lettering.show(label, LABEL_SIZE) + b" ET\n"
        if ident is not None:
            rect = [FRONT_SIDE, row_top - ROW_HEIGHT - 1, self.width - FRONT_SIDE, row_top]
            link = Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=Array([round(v, 2) for v in rect]),
                Border=Array([0, 0, 0]),
                A=Dictionary(S=Name.URI, URI=pikepdf.String(f"{LINK_SCHEME}{kind}/{ident}")),
            )
            if "/Annots" not in self.page.obj:
                self.page.obj.Annots = Array()
            self.page.obj.Annots.append(self.pdf.make_indirect(link))
