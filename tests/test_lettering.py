"""Footers, page labels and watermarks in any script (documents/lettering.py)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from documents import lettering, packpdf
from tests.pdfs import make_pdf

NAMES = "Łukasz Wróbel, Αθηνά Παππά, Дмитрий Орлов"
CJK = "王伟"


def _plan(tmp_path: Path, paper_title: str, fixed: str) -> packpdf.Plan:
    paper = tmp_path / "p.pdf"
    paper.write_bytes(make_pdf(["one", "two"]))
    front = make_pdf(["cover", "agenda"])
    return packpdf.Plan(
        front=front,
        front_anchors={"agenda": 1},
        items=[packpdf.ItemPart(1, "4", "Budget", [packpdf.PaperPart(9, paper_title, paper, ["1", "2"])])],
        footer_fixed=fixed,
        last_number=2,
    )


def _page_text(path: Path, index: int) -> str:
    document = pdfium.PdfDocument(path)
    try:
        page = document[index]
        text = page.get_textpage().get_text_range()
        return text
    finally:
        document.close()


def _embedded_fonts(path: Path) -> list[str]:
    with pikepdf.open(path) as pdf:
        names = []
        for obj in pdf.objects:
            is_descriptor = isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.FontDescriptor
            if is_descriptor and "/FontFile2" in obj:
                names.append(str(obj.FontName))
        return names


def test_latin_footers_embed_nothing(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "Zoë’s report", "Finance Committee · 3 Dec 2026")
    packpdf.assemble(plan, tmp_path / "out.pdf")
    assert _embedded_fonts(tmp_path / "out.pdf") == []
    assert "Zoë’s report" in _page_text(tmp_path / "out.pdf", 2)


def test_footers_keep_names_in_other_scripts(tmp_path: Path) -> None:
    plan = _plan(tmp_path, f"Report by {NAMES}", "Рада · 3 Dec 2026")
    packpdf.assemble(plan, tmp_path / "out.pdf")
    text = _page_text(tmp_path / "out.pdf", 3)
    assert "Łukasz Wróbel" in text and "Αθηνά" in text and "Дмитрий" in text
    assert "Рада" in text and "?" not in text
    fonts = _embedded_fonts(tmp_path / "out.pdf")
    # One subset, shared by every page (not one per page).
    assert len(fonts) == 1 and fonts[0].endswith("+DejaVuSans")


@pytest.mark.skipif(lettering._first(lettering.FALLBACK_FONTS) is None, reason="no CJK fallback font installed")
def test_watermark_names_a_reader_in_chinese_and_polish(tmp_path: Path) -> None:
    source = tmp_path / "in.pdf"
    source.write_bytes(make_pdf(["page"]))
    packpdf.watermark(source, tmp_path / "wm.pdf", [f"{CJK} Łukasz", "Finance Committee"])
    with pikepdf.open(tmp_path / "wm.pdf") as pdf:
        form = pdf.pages[0].Resources.XObject[packpdf.WATERMARK_FORM_NAME]
        fonts = form.Resources.Font
        base = sorted(str(font.BaseFont).split("+")[-1] for _name, font in fonts.items())
        # What DejaVu lacks (the Chinese) comes from the fallback font; each face is a subset.
        assert len(base) == 2 and "DejaVuSans" in base
        maps = b"".join(font.ToUnicode.read_bytes() for _name, font in fonts.items())
    # The ToUnicode maps give the characters back (search and copy in any viewer).
    for char in f"{CJK}Łk":
        assert char.encode("utf-16-be").hex().upper().encode() in maps


def test_long_titles_are_shortened_by_their_real_width() -> None:
    pdf = pikepdf.new()
    letters = lettering.Lettering(pdf, ["Дмитрий " * 40])
    assert not letters.simple
    short = letters.fit("Дмитрий " * 40, 7, 200)
    assert short.endswith("…") and letters.width(short, 7) <= 200 < letters.width(short[:-1] + "Дм…", 7)
    plain = lettering.Lettering(pdf, ["Minutes"])
    assert plain.simple and plain.show("Minutes", 7).endswith(b"(Minutes) Tj")
