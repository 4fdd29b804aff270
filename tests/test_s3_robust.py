"""The object store used well: one client per process, bounded waits, a clear 503 when the store
is away, and nothing half-made or orphaned when a store write fails.

Every store here is real S3 over HTTP: a private moto server this module starts (and stops, to
play the store going away), or a closed port. README, "Running in production", "Object store".
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.test import Client

from boardroom import objectstore
from documents.models import Paper, PaperVersion
from tests.auth import sign_in
from tests.conftest import BoardWorld
from tests.pdfs import make_pdf

MOTO = Path(sys.executable).parent / "moto_server"
pytestmark = pytest.mark.skipif(not MOTO.exists(), reason="moto_server is not installed (requirements-dev.txt)")

KEYS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Moto:
    """A moto S3 server of this test's own, on a port of its own."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(  # noqa: S603 — the venv's own moto_server
            [str(MOTO), "-H", "127.0.0.1", "-p", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1).close()  # noqa: S310 — loopback
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        self.client = boto3.client("s3", endpoint_url=self.url, aws_access_key_id="testing",
                                   aws_secret_access_key="testing", region_name="us-east-1")  # fmt: skip

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def keys(self, bucket: str) -> list[str]:
        return [item["Key"] for item in self.client.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def unfinished(self, bucket: str) -> list[dict[str, Any]]:
        uploads: list[dict[str, Any]] = self.client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        return uploads


@pytest.fixture
def moto() -> Iterator[Moto]:
    server = Moto()
    try:
        yield server
    finally:
        server.stop()


def _storage(endpoint: str, bucket: str, **options: Any) -> objectstore.S3Storage:
    settings: dict[str, Any] = {"bucket_name": bucket, "endpoint_url": endpoint, "addressing_style": "path"}
    settings |= {"signature_version": "s3v4", "default_acl": None, "file_overwrite": False, "querystring_expire": 120}
    return objectstore.S3Storage(**KEYS, **settings, **options)


def _closed_port() -> int:
    return _free_port()  # bound and released: nothing listens there


def test_one_client_signs_every_link_from_every_thread(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    """Links made on many threads (as an ASGI server runs views) share one session and client."""
    moto.client.create_bucket(Bucket="links")
    storage = _storage(moto.url, "links")
    name = storage.save("papers/one.pdf", ContentFile(make_pdf(["One"])))
    sessions: list[object] = []
    made = objectstore.S3Storage._create_session

    def counted(self: objectstore.S3Storage) -> Any:
        session = made(self)
        sessions.append(session)
        return session

    monkeypatch.setattr(objectstore.S3Storage, "_create_session", counted)
    storage._shared = None  # count from a fresh start
    clients: list[object] = []
    links: list[str] = []

    def link() -> None:
        links.append(storage.url(name))
        clients.append(storage.connection.meta.client)

    threads = [threading.Thread(target=link) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(links) == 12 and all("X-Amz-Signature=" in url for url in links)
    assert len(sessions) == 1
    assert len({id(client) for client in clients}) == 1
    with urllib.request.urlopen(links[-1]) as fetched:  # noqa: S310 — the test's own loopback endpoint
        assert fetched.read().startswith(b"%PDF-")


def test_the_client_has_timeouts_and_bounded_retries(settings: Any) -> None:
    storage = _storage("http://127.0.0.1:9", "any", connect_timeout=2, read_timeout=7, max_attempts=2)
    config = storage.connection.meta.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 7)
    assert config.retries["total_max_attempts"] == 2
    assert config.retries["mode"] == "standard"
    assert config.signature_version == "s3v4"


def test_a_store_that_does_not_answer_fails_fast_and_is_seen_as_unavailable() -> None:
    storage = _storage(f"http://127.0.0.1:{_closed_port()}", "gone", connect_timeout=1, max_attempts=1)
    with pytest.raises(Exception) as raised:
        storage.save("papers/x.pdf", ContentFile(b"%PDF-1.7\n"))
    assert objectstore.unavailable(raised.value)
    assert not objectstore.unavailable(ValueError("not the store"))


def _upload(client: Client, world: BoardWorld, title: str, data: bytes) -> Any:
    item = world.public_item
    return client.post(
        f"/meetings/{item.meeting_id}/agenda/items/{item.pk}/papers/",
        {"title": title, "file": ContentFile(data, name="report.pdf")},
    )


@pytest.mark.django_db
def test_an_upload_while_the_store_is_down_is_a_clear_503_and_leaves_nothing(
    world: BoardWorld, settings: Any, moto: Moto
) -> None:
    """The store going away: the secretary is told to try again; no paper row, no object."""
    moto.client.create_bucket(Bucket="papers")
    options: dict[str, Any] = {"bucket_name": "papers", "endpoint_url": moto.url, **KEYS}
    options |= {"file_overwrite": False, "connect_timeout": 1, "max_attempts": 1}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "boardroom.objectstore.S3Storage", "OPTIONS": options},
    }
    client = sign_in(Client(), world.secretary)
    papers, versions = Paper.objects.count(), PaperVersion.objects.count()

    assert _upload(client, world, "Reached", make_pdf(["Reached"])).status_code == 302  # the store is up: stored
    assert len(moto.keys("papers")) == 1
    moto.stop()  # the store goes away
    response = _upload(client, world, "Budget while the store is down", make_pdf(["Budget"]))

    assert response.status_code == 503
    assert "try again" in response.content.decode()
    assert response["Retry-After"]
    assert not Paper.objects.filter(title="Budget while the store is down").exists()
    assert (Paper.objects.count(), PaperVersion.objects.count()) == (papers + 1, versions + 1)


@pytest.mark.django_db
def test_a_download_link_while_the_store_is_down_is_a_503(world: BoardWorld, settings: Any) -> None:
    """Opening a paper asks the store (its size, a link): away means 503, never a 500."""
    options: dict[str, Any] = {"bucket_name": "papers", "endpoint_url": f"http://127.0.0.1:{_closed_port()}"}
    options |= {"access_key": "testing", "secret_key": "testing", "connect_timeout": 1, "max_attempts": 1}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "boardroom.objectstore.S3Storage", "OPTIONS": options},
    }
    version = world.public_paper.current_version
    assert version is not None
    PaperVersion.objects.filter(pk=version.pk).update(size=0)  # the view must ask the store for it
    response = sign_in(Client(), world.member).get(f"/papers/{world.public_paper.pk}/pdf")
    assert response.status_code == 503
    assert "try again" in response.content.decode()


class _Breaking(io.BytesIO):
    """A body that fails after ``after`` bytes: the client went away, or (with ``then``) the
    store did, in the middle of a multipart upload."""

    def __init__(self, data: bytes, after: int, then: Any = None) -> None:
        super().__init__(data)
        self.after, self.then = after, then

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.after:
            if self.then is None:
                raise OSError("the upload was cut off")
            self.then()
        return super().read(size)


def test_a_failed_multipart_upload_is_aborted(moto: Moto) -> None:
    moto.client.create_bucket(Bucket="parts")
    storage = _storage(moto.url, "parts")
    data = os.urandom(20 * 1024 * 1024)  # over the 8 MiB multipart threshold
    with pytest.raises(OSError, match="cut off"):
        storage.save("papers/big.pdf", _Breaking(data, 9 * 1024 * 1024))
    assert moto.unfinished("parts") == []
    assert moto.keys("parts") == []


def test_the_store_going_away_mid_upload_fails_fast_as_unavailable(moto: Moto) -> None:
    moto.client.create_bucket(Bucket="parts")
    storage = _storage(moto.url, "parts", connect_timeout=1, read_timeout=5, max_attempts=1)
    data = os.urandom(20 * 1024 * 1024)

    def store_goes_away() -> None:
        deadline = time.monotonic() + 10
        while not moto.unfinished("parts") and time.monotonic() < deadline:
            time.sleep(0.05)  # the multipart upload has begun
        time.sleep(0.5)  # and its answer has reached the client (moto lists it a moment before)
        moto.stop()

    started = time.monotonic()
    with pytest.raises(Exception) as raised:
        storage.save("papers/big.pdf", _Breaking(data, 9 * 1024 * 1024, then=store_goes_away))
    assert objectstore.unavailable(raised.value)
    assert time.monotonic() - started < 60  # bounded by the timeouts, not botocore's defaults


def test_storage_check_creates_the_bucket_its_cors_and_lifecycle(settings: Any, moto: Moto) -> None:
    options = {"bucket_name": f"made-{uuid.uuid4().hex[:8]}", "endpoint_url": moto.url, **KEYS}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "boardroom.objectstore.S3Storage", "OPTIONS": options},
    }
    with pytest.raises(CommandError, match="does not exist"):
        call_command("storage_check", origin=["https://board.example.org"])

    out = io.StringIO()
    call_command("storage_check", create=True, origin=["https://board.example.org"], stdout=out)
    assert "Storage OK" in out.getvalue()
    bucket = options["bucket_name"]
    rules = moto.client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert "https://board.example.org" in rules[0]["AllowedOrigins"]
    lifecycle = moto.client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    assert moto.keys(bucket) == []  # the probe object was removed again

    # A second check passes without changing anything; another origin is reported, not set.
    call_command("storage_check", origin=["https://board.example.org"], stdout=io.StringIO())
    with pytest.raises(CommandError, match="does not allow"):
        call_command("storage_check", origin=["https://other.example.org"], stdout=io.StringIO())


def test_storage_check_names_a_store_it_cannot_reach(settings: Any) -> None:
    options: dict[str, Any] = {"bucket_name": "x", "endpoint_url": f"http://127.0.0.1:{_closed_port()}", **KEYS}
    options |= {"connect_timeout": 1, "max_attempts": 1}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "boardroom.objectstore.S3Storage", "OPTIONS": options},
    }
    with pytest.raises(Exception) as raised:
        call_command("storage_check", stdout=io.StringIO())
    assert objectstore.unavailable(raised.value)


@pytest.mark.django_db
def test_one_setting_states_how_long_a_link_lasts(world: BoardWorld, settings: Any, moto: Moto) -> None:
    """S3_LINK_SECONDS is the lifetime of every link the views hand out and the storage's default."""
    from boardroom.settings import storage as storage_settings

    configured: Any = storage_settings.STORAGES["default"]
    assert configured.get("OPTIONS", {}).get("querystring_expire", 120) == 120
    settings.S3_LINK_SECONDS = 45
    options: dict[str, Any] = {"bucket_name": "papers", "endpoint_url": moto.url, **KEYS, "querystring_expire": 45}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "boardroom.objectstore.S3Storage", "OPTIONS": options},
    }
    member = sign_in(Client(), world.member)
    response = member.get(f"/papers/{world.public_paper.pk}/pdf")
    assert response.status_code == 302
    assert "X-Amz-Expires=45" in response["Location"]
    assert "X-Amz-Expires=45" in storages["default"].url("papers/any.pdf")
