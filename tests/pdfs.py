"""PDFs for tests: small real ones made with pikepdf, and the shared corpus of real-world files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pikepdf
import pytest

# Real-world PDFs (never copied into the repository): beside the checkout, or where
# BOARDROOM_PDF_SAMPLES points.
CORPUS = Path(
    os.environ.get("BOARDROOM_PDF_SAMPLES") or Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdf-samples"
)


def corpus_present() -> bool:
    return (CORPUS / "files.json").is_file()


def corpus() -> Path:
    """The corpus folder, for a test that needs it.

    CI always has the corpus, so there (``CI=true``) a missing one fails the test: a run that
    silently skipped every real-world file would pass without testing them. On a developer's
    machine the test is skipped, with the reason in the summary (pytest's ``-ra``).
    """
    if corpus_present():
        return CORPUS
    reason = f"CORPUS MISSING: the shared PDF corpus is not at {CORPUS} (set BOARDROOM_PDF_SAMPLES)"
    if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
        pytest.fail(f"{reason}; CI runs must have it", pytrace=False)
    pytest.skip(reason)


def make_pdf(pages: list[str]) -> bytes:
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for text in pages:
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        content = f"BT /F1 24 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1", "replace")
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(content),
        )
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def make_text_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose pages hold these lines of text, top to bottom (12 pt Helvetica)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for lines in pages:
        parts = []
        for index, line in enumerate(lines):
            safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            parts.append(f"BT /F1 12 Tf 72 {760 - 18 * index} Td ({safe}) Tj ET")
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream("\n".join(parts).encode("latin-1", "replace")),
        )
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
