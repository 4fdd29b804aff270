"""Every answer that hands a person any part of a document is in the audit log, whatever the
``Range`` header says: once per person, version and day. ``HEAD`` answers like ``GET``, empty."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from boardroom.models import AuditEvent
from documents import annotating, packs, services
from documents.models import Paper, PaperRead
from tests.auth import sign_in
from tests.conftest import BoardWorld

pytestmark = pytest.mark.django_db


ON_S3 = hasattr(default_storage, "bucket_name")
# Range answers are made here only with files on disk; on S3 the browser gets a presigned link.
served_here = pytest.mark.skipif(ON_S3, reason="on S3 a presigned URL answers the ranges (see the S3 test below)")


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def _stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return bytes(handle.read())


# Each range form, and what it must answer for a file of ``size`` bytes: (status, slice of the file).
RANGE_FORMS: dict[str, tuple[dict[str, str], Callable[[int], tuple[int, slice]]]] = {
    "no range": ({}, lambda size: (200, slice(0, size))),
    "bytes=0-": ({"Range": "bytes=0-"}, lambda size: (206, slice(0, size))),
    "two ranges": ({"Range": "bytes=1-2,3-4"}, lambda size: (200, slice(0, size))),
    "another unit": ({"Range": "items=0-"}, lambda size: (200, slice(0, size))),
    "garbage": ({"Range": "%%garbage;;"}, lambda size: (200, slice(0, size))),
    "bytes=00-": ({"Range": "bytes=00-"}, lambda size: (206, slice(0, size))),
    "suffix longer than the file": ({"Range": "bytes=-99999999"}, lambda size: (206, slice(0, size))),
    "suffix": ({"Range": "bytes=-100"}, lambda size: (206, slice(size - 100, size))),
    "mid-file range": ({"Range": "bytes=300-399"}, lambda size: (206, slice(300, 400))),
    "stale If-Range": ({"Range": "bytes=10-20", "If-Range": '"an-older-tag"'}, lambda size: (200, slice(0, size))),
}


def _served_as_asked(response: Any, data: bytes, form: str) -> None:
    status, part = RANGE_FORMS[form][1](len(data))
    assert response.status_code == status, (form, response.status_code)
    assert _body(response) == data[part], form
    if status == 206:
        assert response["Content-Range"] == f"bytes {part.start}-{part.stop - 1}/{len(data)}", form


def _highlight(client_id: str) -> dict[str, Any]:
    return {"client_id": client_id, "kind": "highlight", "page": 1, "rects": [[72.0, 700.0, 200.0, 14.0]]}


def _deliveries(action: str, user: Any, obj: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, actor=user, object_id=str(obj.pk)))


@served_here
@pytest.mark.parametrize("form", list(RANGE_FORMS))
def test_a_paper_read_with_any_range_is_recorded_once_and_updates_the_read_receipt(
    world: BoardWorld, form: str
) -> None:
    paper = world.public_paper
    version = paper.current_version
    assert version is not None
    data = _stored(version.file.name or "")
    client = sign_in(Client(), world.member)
    _served_as_asked(client.get(f"/papers/{paper.pk}/pdf", headers=RANGE_FORMS[form][0]), data, form)
    # The reader goes on fetching other parts: the delivery is already attributed.
    assert client.get(f"/papers/{paper.pk}/pdf", headers={"Range": "bytes=5-50"}).status_code == 206
    assert client.get(f"/papers/{paper.pk}/pdf", headers={"Range": "bytes=1-2,3-4"}).status_code == 200
    [entry] = _deliveries("paper.view", world.member, paper)
    assert entry.detail["version"] == version.number and entry.detail["sha256"] == version.sha256
    receipt = PaperRead.objects.get(paper=paper, user=world.member)
    assert receipt.last_version == version.number and receipt.opens == 1


@served_here
@pytest.mark.parametrize("form", list(RANGE_FORMS))
def test_an_earlier_version_read_with_any_range_is_recorded_once_per_version(world: BoardWorld, form: str) -> None:
    from tests.pdfs import make_pdf

    paper = world.public_paper
    first = paper.current_version
    assert first is not None
    services.paper_version_add(actor=world.secretary, paper=paper, data=make_pdf(["Accounts, revised"]))
    data = _stored(first.file.name or "")
    client = sign_in(Client(), world.secretary)
    url = f"/papers/{paper.pk}/versions/{first.number}/pdf"
    _served_as_asked(client.get(url, headers=RANGE_FORMS[form][0]), data, form)
    assert client.get(url, headers={"Range": "bytes=7-8"}).status_code == 206
    [entry] = _deliveries("paper.view", world.secretary, paper)
    assert entry.detail["version"] == first.number
    # The newer version is another delivery of its own.
    assert client.get(f"/papers/{paper.pk}/versions/2/pdf", headers={"Range": "bytes=-10"}).status_code == 206
    assert sorted(e.detail["version"] for e in _deliveries("paper.view", world.secretary, paper)) == [1, 2]


@served_here
@pytest.mark.parametrize("watermark", [False, True], ids=["shared copy", "watermarked copy"])
@pytest.mark.parametrize("form", list(RANGE_FORMS))
def test_a_pack_read_with_any_range_is_recorded_once_per_revision(
    world: BoardWorld, form: str, watermark: bool
) -> None:
    if watermark:
        world.board.pack_watermark = True
        world.board.save(update_fields=["pack_watermark"])
    pack = packs.pack_build(world.meeting.pk)
    assert pack is not None
    copy = packs.copy_for(world.member, pack)
    assert (copy.reader_id == world.member.pk) == watermark
    data = _stored(copy.file.name or "")
    client = sign_in(Client(), world.member)
    url = f"/meetings/{world.meeting.pk}/pack.pdf?r={pack.revision}"
    _served_as_asked(client.get(url, headers=RANGE_FORMS[form][0]), data, form)
    assert client.get(url, headers={"Range": "bytes=100-199"}).status_code == 206
    [entry] = _deliveries("pack.view", world.member, world.meeting)
    assert entry.detail["revision"] == pack.revision and entry.detail["watermarked"] is watermark
    pack.refresh_from_db()
    assert pack.first_read_at is not None


@pytest.mark.parametrize("form", ["no range", "bytes=1-2,3-4", "items=0-", "garbage", "bytes=00-", "suffix"])
def test_annotated_exports_are_recorded_once_whatever_the_range(world: BoardWorld, form: str) -> None:
    headers = {
        "no range": {},
        "bytes=1-2,3-4": {"Range": "bytes=1-2,3-4"},
        "items=0-": {"Range": "items=0-"},
        "garbage": {"Range": "%%garbage;;"},
        "bytes=00-": {"Range": "bytes=00-"},
        "suffix": {"Range": "bytes=-10"},
    }[form]
    paper = world.public_paper
    annotating.annotation_save(
        actor=world.member,
        paper=paper,
        payload=_highlight("a1b2c3d4-0000-4000-8000-000000000001"),
    )
    client = sign_in(Client(), world.member)
    for url, action in (
        (f"/papers/{paper.pk}/annotated.pdf", "paper.annotated_copy"),
        (f"/papers/{paper.pk}/annotations.jsonld", "paper.annotations_export"),
    ):
        first = client.get(url, headers=headers)
        assert first.status_code == 200 and _body(first), url
        assert client.get(url, headers={"Range": "bytes=0-10"}).status_code == 200
        [entry] = _deliveries(action, world.member, paper)
        assert entry.detail["version"] == paper.current_version.number  # type: ignore[union-attr]


SAMPLE = Path("/work/shared/corpus/pdf-samples/004-pdflatex-4-pages_pdflatex-4-pages.pdf")


def _paper_with_thumbnails(world: BoardWorld, capture: Any) -> Paper:
    """A real four-page PDF uploaded through the whole pipeline, so it has its thumbnail sprites."""
    if not SAMPLE.exists():
        pytest.skip(f"the shared PDF corpus is not at {SAMPLE.parent}")
    with capture(execute=True):
        uploaded = services.paper_upload(
            actor=world.secretary,
            item=world.public_item,
            title="Four pages",
            uploaded=SimpleUploadedFile(SAMPLE.name, SAMPLE.read_bytes()),
        )
    return Paper.objects.select_related("current_version").get(pk=uploaded.paper_id)


def test_thumbnails_are_recorded_as_a_read_of_the_version_they_show(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    paper = _paper_with_thumbnails(world, django_capture_on_commit_callbacks)
    version = paper.current_version
    assert version is not None and (version.thumbnails or {}).get("sprites")
    client = sign_in(Client(), world.observer)
    response = client.get(f"/papers/{paper.pk}/thumbs/0.webp", headers={"Range": "bytes=3-"})
    assert response.status_code == 206 and response["Content-Type"] == "image/webp"
    client.get(f"/papers/{paper.pk}/thumbs/0.webp")
    [entry] = _deliveries("paper.view", world.observer, paper)
    assert entry.detail == {"version": version.number, "sha256": version.sha256, "via": "thumbnails"}
    # Not for someone who may not see the paper: a 404 and no delivery.
    assert sign_in(Client(), world.observer).get(f"/papers/{world.part_b_paper.pk}/thumbs/0.webp").status_code == 404
    assert not _deliveries("paper.view", world.observer, world.part_b_paper)


def test_the_agenda_pdf_is_recorded_with_the_items_it_showed(world: BoardWorld) -> None:
    client = sign_in(Client(), world.observer)
    url = f"/meetings/{world.meeting.pk}/agenda.pdf"
    assert client.get(url).status_code == 200
    assert client.get(url, headers={"Range": "bytes=0-10"}).status_code == 200
    [entry] = _deliveries("agenda.view", world.observer, world.meeting)
    assert world.public_item.pk in entry.detail["items"]
    assert world.part_b_item.pk not in entry.detail["items"]  # observers do not see Part B
    # A retitled item is something new to have seen.
    from meetings import services

    services.agenda_item_update(actor=world.secretary, item=world.public_item, title="Finance report (final)")
    client.get(url)
    assert len(_deliveries("agenda.view", world.observer, world.meeting)) == 2
    sign_in(Client(), world.member).get(url)
    [entry] = _deliveries("agenda.view", world.member, world.meeting)
    assert world.part_b_item.pk in entry.detail["items"]


def test_search_snippets_are_recorded_as_reads_of_the_pages_they_quote(world: BoardWorld) -> None:
    from documents import services as document_services
    from search import indexing
    from tests.pdfs import make_text_pdf

    document_services.paper_version_add(
        actor=world.secretary,
        paper=world.public_paper,
        data=make_text_pdf([["Income and expenditure"], ["The heron reserve grew by four percent"]]),
    )
    indexing.reindex_all()
    client = sign_in(Client(), world.member)
    response = client.get("/search/", {"q": "heron"})
    assert response.status_code == 200 and "heron" in response.content.decode().lower()
    [entry] = AuditEvent.objects.filter(action="search.snippets", actor=world.member)
    assert entry.board_id == world.board.pk
    assert {"kind": "page", "paper": world.public_paper.pk, "page": 2} in [
        {k: hit[k] for k in ("kind", "paper", "page")} for hit in entry.detail["hits"]
    ]
    assert "heron" not in str(entry.detail)  # what was found is named, not quoted
    client.get("/search/", {"q": "nothing-matches-this"})
    assert AuditEvent.objects.filter(action="search.snippets", actor=world.member).count() == 1


def _downloads(world: BoardWorld, capture: Any) -> dict[str, str]:
    paper = world.public_paper
    pictured = _paper_with_thumbnails(world, capture)
    annotating.annotation_save(
        actor=world.secretary,
        paper=paper,
        payload=_highlight("a1b2c3d4-0000-4000-8000-000000000002"),
    )
    packs.pack_build(world.meeting.pk)
    return {
        "paper": f"/papers/{paper.pk}/pdf",
        "version": f"/papers/{paper.pk}/versions/1/pdf",
        "pack": f"/meetings/{world.meeting.pk}/pack.pdf",
        "agenda": f"/meetings/{world.meeting.pk}/agenda.pdf",
        "thumbnails": f"/papers/{pictured.pk}/thumbs/0.webp",
        "annotated copy": f"/papers/{paper.pk}/annotated.pdf",
        "annotations": f"/papers/{paper.pk}/annotations.jsonld",
    }


@served_here
def test_head_on_every_download_answers_like_get_without_a_body(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    client = sign_in(Client(), world.secretary)
    for name, url in _downloads(world, django_capture_on_commit_callbacks).items():
        for headers in ({}, {"Range": "bytes=10-19"}):
            before = AuditEvent.objects.count()
            head = client.head(url, headers=headers)
            assert AuditEvent.objects.count() == before, (name, "a HEAD delivers nothing")
            got = client.get(url, headers=headers)
            assert head.status_code == got.status_code and got.status_code in (200, 206), (name, head.status_code)
            assert _body(head) == b"", name
            body = _body(got)
            for header in ("Content-Type", "Content-Disposition", "Cache-Control", "ETag", "Content-Range"):
                assert head.get(header) == got.get(header), (name, header)
            if name not in ("agenda", "annotated copy"):  # made afresh each time: same kind, own bytes
                assert head["Content-Length"] == got["Content-Length"] == str(len(body)), name
            else:
                assert int(head["Content-Length"]) > 0, name
    # Someone who may not see the paper gets the same 404 for HEAD as for GET.
    outsider = sign_in(Client(), world.outsider)
    assert outsider.head(f"/papers/{world.public_paper.pk}/pdf").status_code == 404


def test_a_suffix_range_on_an_empty_file_is_unsatisfiable(rf: Any) -> None:
    import io

    from documents.ranges import ranged_response

    response = ranged_response(rf.get("/", HTTP_RANGE="bytes=-5"), lambda: io.BytesIO(b""), size=0, etag="e")
    assert response.status_code == 416 and response["Content-Range"] == "bytes */0"
    whole = ranged_response(rf.get("/", HTTP_RANGE="bytes=-5"), lambda: io.BytesIO(b"abc"), size=3, etag="e")
    assert whole.status_code == 206 and whole["Content-Range"] == "bytes 0-2/3"
    assert b"".join(whole.streaming_content) == b"abc"  # type: ignore[attr-defined]


@pytest.mark.skipif(not ON_S3, reason="only with files on S3")
def test_a_presigned_link_is_a_delivery_and_head_gets_a_head_link(world: BoardWorld) -> None:
    paper = world.public_paper
    client = sign_in(Client(), world.member)
    head = client.head(f"/papers/{paper.pk}/pdf")
    assert head.status_code == 302 and not _deliveries("paper.view", world.member, paper)
    for headers in ({}, {"Range": "bytes=1-2,3-4"}, {"Range": "bytes=-10"}):
        assert client.get(f"/papers/{paper.pk}/pdf", headers=headers).status_code == 302
    [entry] = _deliveries("paper.view", world.member, paper)
    assert entry.detail["version"] == paper.current_version.number  # type: ignore[union-attr]
    assert PaperRead.objects.get(paper=paper, user=world.member).opens == 1
