"""Real-world PDFs (the shared corpus, never copied into the repository) go through the whole
upload pipeline: each is accepted and readable, or refused with a clear reason."""

from __future__ import annotations

import io
import json
from typing import Any

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents import ingest, selectors, services
from documents.models import PaperVersion, VersionStatus
from tests.conftest import BoardWorld
from tests.pdfs import CORPUS, corpus, corpus_present

# Refusals a real file may get, besides the password one: each says what to do next.
CLEAR_REASONS = {ingest.DAMAGED, ingest.TRUNCATED, ingest.NO_PAGES}


def _entries() -> list[Any]:
    if not corpus_present():
        return [pytest.param(None, id="no-corpus")]
    index = CORPUS / "files.json"
    entries = []
    for entry in json.loads(index.read_text())["data"]:
        path = CORPUS / entry["path"].replace("/", "_")
        if path.exists():
            entries.append(pytest.param(entry, id=entry["path"]))
    return entries


def _carries_attachments(entry: dict[str, Any]) -> bool:
    return bool(entry.get("attachments")) or "attachment" in entry["path"]


@pytest.mark.parametrize("entry", _entries())
def test_every_corpus_pdf_is_accepted_and_readable_or_refused_with_a_clear_reason(
    world: BoardWorld, django_capture_on_commit_callbacks: Any, entry: dict[str, Any] | None
) -> None:
    samples = corpus()  # fails in CI, skips with the reason elsewhere, when the corpus is missing
    assert entry is not None
    path = samples / entry["path"].replace("/", "_")
    with django_capture_on_commit_callbacks(execute=True):
        version = services.paper_upload(
            actor=world.secretary,
            item=world.public_item,
            title=entry["path"],
            uploaded=SimpleUploadedFile(path.name, path.read_bytes()),
        )
    version = PaperVersion.objects.select_related("paper").get(pk=version.pk)
    if entry["encrypted"]:
        assert version.status == VersionStatus.REFUSED
        assert version.refusal_reason == ingest.PASSWORD
        return
    if version.status == VersionStatus.REFUSED:
        assert version.refusal_reason in CLEAR_REASONS, version.refusal_reason
        assert not version.file and not version.original
        assert version.paper not in selectors.papers_for(world.member, world.public_item)
        return
    assert version.status == VersionStatus.READY
    assert version.page_count == entry["pages"]
    assert version.paper.current_version_id == version.pk
    with version.file.open("rb") as fh, pikepdf.open(io.BytesIO(fh.read())) as pdf:
        assert len(pdf.pages) == entry["pages"]
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        assert "/OpenAction" not in pdf.Root
    texts = selectors.page_texts(version)
    assert len(texts) == entry["pages"]
    assert len(version.thumbnails["cells"]) == entry["pages"]
    if entry.get("images", 0) == 0 and not version.ocr:
        assert "".join(texts).strip(), "a PDF with text and no images yields its text"
    if _carries_attachments(entry):
        assert "embedded files" in version.stripped
