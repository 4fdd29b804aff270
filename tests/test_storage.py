"""Files go through Django's default storage in both modes: a folder on disk when embedded, the
S3 bucket over HTTP when S3_BUCKET is set. Keys are always made by the server."""

from __future__ import annotations

import os
import re
import uuid

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

from documents import services as document_services
from tests.pdfs import make_pdf

S3_MODE = bool(os.environ.get("S3_BUCKET"))


def _bucket_keys(prefix: str) -> list[str]:
    """Keys under ``prefix`` as a separate client sees them on the S3 endpoint."""
    client = boto3.client(
        "s3",
        endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        region_name=os.environ.get("S3_REGION") or "us-east-1",
    )
    response = client.list_objects_v2(Bucket=os.environ["S3_BUCKET"], Prefix=prefix)
    return [item["Key"] for item in response.get("Contents", [])]


def _object_key(name: str) -> str:
    """The bucket key for a storage name (S3_PREFIX is the storage's location)."""
    location = os.environ.get("S3_PREFIX", "").strip("/")
    return f"{location}/{name}" if location else name


def test_default_storage_round_trip():
    data = b"%PDF-1.7\nminutes of the March meeting\n" + os.urandom(64)
    name = default_storage.save(f"tests/round-trip-{uuid.uuid4().hex}.bin", ContentFile(data))
    try:
        assert default_storage.exists(name)
        with default_storage.open(name, "rb") as stored:
            assert stored.read() == data
        assert default_storage.size(name) == len(data)
        if S3_MODE:
            assert _bucket_keys(_object_key(name)) == [_object_key(name)]
    finally:
        default_storage.delete(name)

    assert not default_storage.exists(name)
    if S3_MODE:
        assert _bucket_keys(_object_key(name)) == []


@pytest.mark.skipif(not S3_MODE, reason="S3 mode only: S3_BUCKET is not set (run `make test-services`)")
def test_s3_mode_stores_files_in_the_bucket_over_http():
    from storages.backends.s3 import S3Storage

    storage = storages["default"]
    assert isinstance(storage, S3Storage)
    assert storage.bucket_name == os.environ["S3_BUCKET"]
    assert storage.endpoint_url == os.environ["S3_ENDPOINT_URL"]
    assert os.environ["S3_ENDPOINT_URL"].startswith("http://")
    # A signed, short-lived URL on the endpoint, never a public one.
    name = default_storage.save(f"tests/url-{uuid.uuid4().hex}.txt", ContentFile(b"x"))
    try:
        url = default_storage.url(name)
        assert url.startswith(os.environ["S3_ENDPOINT_URL"])
        assert "X-Amz-Signature=" in url
    finally:
        default_storage.delete(name)


@pytest.mark.skipif(S3_MODE, reason="embedded mode only: S3_BUCKET is set")
def test_embedded_mode_stores_files_on_disk(tmp_path):
    from django.core.files.storage import FileSystemStorage

    storage = storages["default"]
    assert isinstance(storage, FileSystemStorage)
    name = default_storage.save("tests/on-disk.txt", ContentFile(b"on disk"))
    assert (tmp_path / "files" / name).read_bytes() == b"on disk"


def test_paper_file_key_is_made_by_the_server_not_the_uploader(world):
    data = make_pdf(["Treasurer's report", "Appendix"])
    version = document_services.paper_version_add(
        actor=world.secretary,
        paper=world.public_paper,
        data=data,
        original_name="../../etc/passwd Treasurer's report FINAL.pdf",
    )

    name = version.file.name
    assert name is not None
    assert re.fullmatch(rf"papers/{world.public_paper.pk}/[0-9a-f]{{32}}\.pdf", name), name
    assert "passwd" not in name and ".." not in name
    assert version.original_name == "../../etc/passwd Treasurer's report FINAL.pdf"
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == data
    if S3_MODE:
        assert _bucket_keys(_object_key(name)) == [_object_key(name)]


@pytest.mark.skipif(not S3_MODE, reason="S3 mode only: S3_BUCKET is not set (run `make test-services`)")
@pytest.mark.django_db
def test_on_s3_a_reader_is_sent_to_a_short_lived_url_that_answers_ranges(world):
    import urllib.request

    from django.core.management import call_command
    from django.test import Client

    from tests.auth import sign_in

    paper = world.public_paper
    client = sign_in(Client(), world.member)
    response = client.get(f"/papers/{paper.pk}/pdf")
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(os.environ["S3_ENDPOINT_URL"]) and "X-Amz-Expires=120" in url
    assert response["Cache-Control"] == "private, no-store"
    request = urllib.request.Request(url, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(request) as fetched:  # noqa: S310 — the test's own loopback endpoint
        assert fetched.status == 206
        assert len(fetched.read()) == 100
        assert fetched.headers["Content-Range"].startswith("bytes 0-99/")
    # Nobody else gets a link at all.
    assert sign_in(Client(), world.outsider).get(f"/papers/{paper.pk}/pdf").status_code == 404
    assert sign_in(Client(), world.observer).get(f"/papers/{world.part_b_paper.pk}/pdf").status_code == 404

    call_command("s3_cors", origin=["https://board.example.org"])
    client = default_storage.bucket.meta.client  # type: ignore[attr-defined]
    rules = client.get_bucket_cors(Bucket=os.environ["S3_BUCKET"])["CORSRules"]
    assert "https://board.example.org" in rules[0]["AllowedOrigins"]
    assert {"Content-Range", "Accept-Ranges", "Content-Length"} <= set(rules[0]["ExposeHeaders"])


@pytest.mark.skipif(S3_MODE, reason="embedded mode only: S3_BUCKET is set")
def test_the_cors_command_says_clearly_when_files_are_not_on_s3():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not on S3"):
        call_command("s3_cors")
