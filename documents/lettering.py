"""Text that Boardroom draws straight into PDFs — pack footers, page labels, watermarks — in any script.

Most boards write in English, and for text that Windows-1252 can hold the standard Helvetica
needs nothing embedded: the cheapest file and the fastest pack. A name such as "Zoë Ó Briain"
still fits that; "Łukasz Wróbel", "Αθηνά", "Дмитрий" or "王伟" do not, and used to be stamped
as "?". When any text of a stamp needs more, every text of it is drawn in DejaVu Sans (Latin,
Greek, Cyrillic, Hebrew, Arabic and more) with Droid Sans Fallback for what DejaVu lacks
(Chinese, Japanese, Korean). Each is embedded as a subset holding only the characters drawn,
as a composite (Type0, Identity-H) font with widths and a ToUnicode map, so that search and
copy in any viewer give the text back.

A character that no font on the machine has is drawn as "?". The fonts come from Debian's
``fonts-dejavu-core`` and ``fonts-droid-fallback`` (``make setup`` installs them); without the
fallback font, CJK characters are drawn as "?".
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name, Pdf, Stream, String

# Where Debian puts the fonts; the first that exists of each list is used.
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)
FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
RESOURCE_PREFIX = "BoardroomF"

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


def _fits_winansi(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _literal(raw: bytes) -> bytes:
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


@dataclass(frozen=True)
class _Subset:
    """A font cut down to some characters: its file, and per character its glyph id and width."""

    name: str  # PostScript name with the subset tag, e.g. "BRAAAB+DejaVuSans"
    data: bytes
    glyphs: dict[str, tuple[int, float]]  # character -> (glyph id, width per 1000 em)
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int


def _first(paths: Iterable[Path]) -> Path | None:
    return next((path for path in paths if path.is_file()), None)


@functools.lru_cache(maxsize=4)
def _coverage(path: Path) -> frozenset[int]:
    with TTFont(path, lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap() or {})


@functools.lru_cache(maxsize=32)
def _subset(path: Path, chars: frozenset[str]) -> _Subset:
    font = TTFont(path, fontNumber=0)
    options = ft_subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []  # no shaping: the glyphs are drawn one by one
    options.hinting = False
    options.drop_tables = [*options.drop_tables, "FFTM"]
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    order = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap() or {}
    metrics = font["hmtx"].metrics
    glyphs = {}
    for char in chars:
        glyph = cmap.get(ord(char))
        if glyph is not None:
            glyphs[char] = (order[glyph], metrics[glyph][0] * scale)
    # Keep only what a PDF viewer reads from an embedded TrueType font.
    for table in ("GSUB", "GPOS", "GDEF", "kern", "DSIG", "morx", "feat"):
        if table in font:
            del font[table]
    buffer = io.BytesIO()
    font.save(buffer)
    head, hhea = font["head"], font["hhea"]
    os2 = font.get("OS/2")
    base = str(font["name"].getDebugName(6) or path.stem).replace(" ", "")
    # The subset tag is six capitals derived from the characters, as PDF asks of subsets.
    digest = hashlib.sha256(("".join(sorted(chars)) + str(path)).encode()).digest()
    tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
    return _Subset(
        name=f"{tag}+{base}",
        data=buffer.getvalue(),
        glyphs=glyphs,
        bbox=(
            round(head.xMin * scale),
            round(head.yMin * scale),
            round(head.xMax * scale),
            round(head.yMax * scale),
        ),
        ascent=round(hhea.ascent * scale),
        descent=round(hhea.descent * scale),
        cap_height=round((getattr(os2, "sCapHeight", 0) or hhea.ascent * 0.7) * scale),
    )


def _composite(pdf: Pdf, sub: _Subset) -> Any:
    """A Type0 font over ``sub``: two-byte glyph ids, widths, and the map back to Unicode."""
    file = Stream(pdf, sub.data)
    file.Length1 = len(sub.data)
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name("/" + sub.name),
        Flags=32,  # non-symbolic
        FontBBox=Array(list(sub.bbox)),
        ItalicAngle=0,
        Ascent=sub.ascent,
        Descent=sub.descent,
        CapHeight=sub.cap_height,
        StemV=80,
        FontFile2=pdf.make_indirect(file),
    )
    by_gid = sorted({gid: width for gid, width in sub.glyphs.values()}.items())
    widths: list[Any] = []
    for gid, width in by_gid:
        widths.extend([gid, Array([round(width)])])
    descendant = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=Name("/" + sub.name),
        CIDSystemInfo=Dictionary(Registry=String("Adobe"), Ordering=String("Identity"), Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=1000,
        W=Array(widths),
        CIDToGIDMap=Name.Identity,
    )
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    pairs = sorted((gid, char) for char, (gid, _width) in sub.glyphs.items())
    for start in range(0, len(pairs), 100):
        chunk = pairs[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(f"<{gid:04X}> <{char.encode('utf-16-be').hex().upper()}>" for gid, char in chunk)
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    to_unicode = Stream(pdf, "\n".join(lines).encode())
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=Name("/" + sub.name),
            Encoding=Name("/Identity-H"),
            DescendantFonts=Array([pdf.make_indirect(descendant)]),
            ToUnicode=pdf.make_indirect(to_unicode),
        )
    )


class Lettering:
    """The fonts for one stamp (all of its texts known up front) and how to draw with them.

    ``fonts`` goes into the Resources of every page or form that draws; ``show`` writes the text
    operators (font selection included) for use between ``BT`` and ``ET`` after positioning.
    """

    def __init__(self, pdf: Pdf, texts: Iterable[str]) -> None:
        chars = frozenset("".join(texts)) | frozenset("…?")
        self.simple = all(_fits_winansi(c) for c in chars)
        self._faces: list[tuple[Name, _Subset]] = []
        # Indirect, so that every page and form that draws can share the one dictionary.
        self.fonts = pdf.make_indirect(Dictionary())
        if self.simple:
            self.fonts[self._resource(1)] = pdf.make_indirect(
                Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)
            )
            return
        remaining = set(chars)
        for number, path in enumerate(p for p in (_first(UNICODE_FONTS), _first(FALLBACK_FONTS)) if p):
            covered = _coverage(path)
            mine = frozenset(c for c in remaining if ord(c) in covered)
            if not mine:
                continue
            sub = _subset(path, mine)
            name = self._resource(number + 1)
            self._faces.append((name, sub))
            self.fonts[name] = _composite(pdf, sub)
            remaining -= mine
        if not self._faces:  # no font on the machine: fall back to the simple font
            self.simple = True
            self.fonts[self._resource(1)] = pdf.make_indirect(
                Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)
            )

    @staticmethod
    def _resource(number: int) -> Name:
        return Name(f"/{RESOURCE_PREFIX}{number}")

    def _face(self, char: str) -> tuple[Name, int, float] | None:
        for name, sub in self._faces:
            glyph = sub.glyphs.get(char)
            if glyph is not None:
                return name, glyph[0], glyph[1]
        return None

    def width(self, text: str, size: float) -> float:
        if self.simple:
            return sum(_WIDTHS.get(byte, 556) for byte in winansi(text)) * size / 1000
        total = 0.0
        for char in text:
            face = self._face(char) or self._face("?")
            total += face[2] if face else 500
        return total * size / 1000

    def fit(self, text: str, size: float, width: float) -> str:
        """``text`` shortened with an ellipsis so that it takes at most ``width`` points."""
        if self.width(text, size) <= width:
            return text
        while text and self.width(text + "…", size) > width:
            text = text[:-1]
        return (text.rstrip() + "…") if text else ""

    def show(self, text: str, size: float) -> bytes:
        """Operators drawing ``text`` at the current text position in ``size`` points."""
        if self.simple:
            return str(self._resource(1)).encode() + f" {_num(size)} Tf ".encode() + _literal(winansi(text)) + b" Tj"
        out: list[bytes] = []
        current: Name | None = None
        run: list[int] = []

        def flush() -> None:
            if run:
                out.append(b"<" + "".join(f"{gid:04X}" for gid in run).encode() + b"> Tj")
                run.clear()

        for char in text:
            face = self._face(char) or self._face("?")
            if face is None:
                continue
            name, gid, _width = face
            if name != current:
                flush()
                out.append(str(name).encode() + f" {_num(size)} Tf".encode())
                current = name
            run.append(gid)
        flush()
        return b" ".join(out)
