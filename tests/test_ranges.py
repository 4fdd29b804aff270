"""Papers and packs answer HTTP range requests as RFC 9110 says, and only to those who may read them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from boardroom.models import AuditEvent
from documents import packs
from documents import services as document_services
from documents.models import Paper, PaperRead
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.pdfs import make_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _served_here() -> None:
    if hasattr(default_storage, "bucket_name"):
        pytest.skip("on S3 the browser is sent to a presigned URL; S3 answers ranges itself (test_storage)")


@pytest.fixture
def paper(world: BoardWorld) -> Paper:
    paper = document_services.paper_create(actor=world.secretary, item=world.public_item, title="Long paper")
    document_services.paper_version_add(
        actor=world.secretary, paper=paper, data=make_pdf([f"Page {n} of the long paper" for n in range(60)])
    )
    paper.refresh_from_db()
    return paper


def _whole(paper: Paper) -> bytes:
    assert paper.current_version is not None
    with paper.current_version.file.open("rb") as handle:
        return handle.read()


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_byte_range_is_206_with_exactly_those_bytes(world: BoardWorld, paper: Paper) -> None:
    data = _whole(paper)
    response = sign_in(Client(), world.member).get(f"/papers/{paper.pk}/pdf", HTTP_RANGE="bytes=0-1023")
    assert response.status_code == 206
    assert _body(response) == data[:1024]
    assert response["Content-Range"] == f"bytes 0-1023/{len(data)}"
    assert response["Content-Length"] == "1024"
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{paper.current_version.sha256}"'  # type: ignore[union-attr]
    assert response["Cache-Control"] == "private, no-store"


def test_a_suffix_range_gives_the_last_bytes(world: BoardWorld, paper: Paper) -> None:
    data = _whole(paper)
    response = sign_in(Client(), world.member).get(f"/papers/{paper.pk}/pdf", HTTP_RANGE="bytes=-500")
    assert response.status_code == 206
    assert _body(response) == data[-500:]
    assert response["Content-Range"] == f"bytes {len(data) - 500}-{len(data) - 1}/{len(data)}"


def test_an_open_range_runs_to_the_end(world: BoardWorld, paper: Paper) -> None:
    data = _whole(paper)
    response = sign_in(Client(), world.member).get(f"/papers/{paper.pk}/pdf", HTTP_RANGE="bytes=100-")
    assert response.status_code == 206 and _body(response) == data[100:]


def test_a_range_past_the_end_is_416_with_the_size(world: BoardWorld, paper: Paper) -> None:
    size = len(_whole(paper))
    response = sign_in(Client(), world.member).get(f"/papers/{paper.pk}/pdf", HTTP_RANGE=f"bytes={size + 10}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize("header", ["bytes=abc", "lines=0-10", "bytes=10-5", "bytes=0-1,5-9"])
def test_a_range_that_cannot_be_used_gets_the_whole_file(world: BoardWorld, paper: Paper, header: str) -> None:
    data = _whole(paper)
    response = sign_in(Client(), world.member).get(f"/papers/{paper.pk}/pdf", HTTP_RANGE=header)
    assert response.status_code == 200 and _body(response) == data
    assert "Content-Range" not in response


def test_if_range_with_an_old_tag_gets_the_whole_new_file(world: BoardWorld, paper: Paper) -> None:
    data = _whole(paper)
    client = sign_in(Client(), world.member)
    stale = client.get(f"/papers/{paper.pk}/pdf", HTTP_RANGE="bytes=0-99", HTTP_IF_RANGE='"an-older-version"')
    assert stale.status_code == 200 and _body(stale) == data
    tag = paper.current_version.sha256  # type: ignore[union-attr]
    fresh = client.get(f"/papers/{paper.pk}/pdf", HTTP_RANGE="bytes=0-99", HTTP_IF_RANGE=f'"{tag}"')
    assert fresh.status_code == 206 and _body(fresh) == data[:100]
    assert client.get(f"/papers/{paper.pk}/pdf", HTTP_IF_NONE_MATCH=f'"{tag}"').status_code == 304


@pytest.mark.parametrize("who", ["outsider", "former", "observer_on_part_b", "recused"])
def test_no_header_opens_a_paper_to_someone_who_may_not_read_it(world: BoardWorld, who: str) -> None:
    targets = {
        "outsider": (world.outsider, world.public_paper),
        "former": (world.former, world.public_paper),
        "observer_on_part_b": (world.observer, world.part_b_paper),
        "recused": (world.recused, world.public_paper),
    }
    user, paper = targets[who]
    client = sign_in(Client(), user)
    for headers in ({}, {"Range": "bytes=0-1023"}, {"Range": "bytes=-10"}, {"If-Range": "x", "Range": "bytes=0-1"}):
        assert client.get(f"/papers/{paper.pk}/pdf", headers=headers).status_code == 404, (who, headers)
    assert Client().get(f"/papers/{paper.pk}/pdf", HTTP_RANGE="bytes=0-1").status_code == 302


def test_fetching_the_rest_of_a_file_does_not_count_as_opening_it_again(world: BoardWorld, paper: Paper) -> None:
    client = sign_in(Client(), world.member)
    client.get(f"/papers/{paper.pk}/pdf", HTTP_RANGE="bytes=0-1023")
    for start in (1024, 4096, 8192):
        client.get(f"/papers/{paper.pk}/pdf", HTTP_RANGE=f"bytes={start}-{start + 1023}")
    assert AuditEvent.objects.filter(action="paper.view", object_id=str(paper.pk)).count() == 1
    assert PaperRead.objects.get(paper=paper, user=world.member).opens == 1


def test_a_pack_revision_keeps_answering_ranges_until_it_is_replaced(
    world: BoardWorld, django_capture_on_commit_callbacks: Any
) -> None:
    first = packs.pack_build(world.meeting.pk)
    assert first is not None
    client = sign_in(Client(), world.member)
    url = f"/meetings/{world.meeting.pk}/pack.pdf?r={first.revision}"
    response = client.get(url, HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206 and len(_body(response)) == 100
    from meetings import services

    services.agenda_item_update(actor=world.secretary, item=world.public_item, title="Finance report (final)")
    with django_capture_on_commit_callbacks(execute=True):
        second = packs.pack_build(world.meeting.pk)
    assert second is not None and second.revision == first.revision + 1
    assert client.get(url, HTTP_RANGE="bytes=100-199").status_code == 404  # replaced: the reader reopens
    assert client.get(f"/meetings/{world.meeting.pk}/pack.pdf?r=abc").status_code == 404
    assert (
        sign_in(Client(), world.outsider).get(url.replace(str(first.revision), str(second.revision))).status_code == 404
    )
