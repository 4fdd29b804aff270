"""The S3 object store (README, "Running in production", "Object store").

django-storages' ``S3Storage`` makes a boto3 session and client per thread. Under an ASGI server
Django runs each request's sync code on a fresh thread, so every download link signed a URL with
a new client: a fresh session loads botocore's service model again (~100 ms and megabytes that
stay). Here one storage object keeps one client for the process. boto3 clients are thread-safe;
the service resource around it only makes ``Bucket``/``Object`` handles, and every call makes
its own, so no handle is shared between threads.

The client has connect and read timeouts and a bounded number of attempts, so a store that stops
answering fails a request within seconds instead of holding it; a failed multipart upload is
aborted (s3transfer tries, and this module tries again for the key); and ``unavailable`` tells
the store being away (unreachable, timing out, answering 5xx) from a request that was wrong.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    HTTPClientError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from storages.backends import s3

logger = logging.getLogger(__name__)

# Parts of a multipart upload in flight at once (8 MiB each): bounds an upload's memory.
UPLOAD_CONCURRENCY = 4


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the object store is away (not that the request was wrong)."""
    if isinstance(error, BotoConnectionError | HTTPClientError):
        # EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError…
        return True
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = str(error.response.get("Error", {}).get("Code", ""))
        return int(status) >= 500 or code in {"ServiceUnavailable", "SlowDown", "InternalError"}
    return False


class S3Storage(s3.S3Storage):
    """``S3Storage`` with one client per process, timeouts, retries and aborted failed uploads."""

    def get_default_settings(self) -> dict[str, Any]:
        defaults: dict[str, Any] = super().get_default_settings()
        # SigV4 signatures (every S3 API signs with them; SigV2 is gone from AWS), bounded waits.
        defaults["signature_version"] = defaults["signature_version"] or "s3v4"
        return defaults | {"connect_timeout": 5, "read_timeout": 20, "max_attempts": 3}

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        base: Config = getattr(self, "client_config")  # noqa: B009 — set by the parent, untyped there
        self.client_config: Config = base.merge(
            Config(
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
                # Threads of one process share the client: enough pooled connections for them.
                max_pool_connections=32,
            )
        )
        self.transfer_config = TransferConfig(max_concurrency=UPLOAD_CONCURRENCY)
        self._shared: Any = None
        self._shared_lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_shared", None)
        state.pop("_shared_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._shared = None
        self._shared_lock = threading.Lock()

    @property
    def connection(self) -> Any:
        """The process's one S3 service resource (and so one client), made on first use."""
        if self._shared is None:
            with self._shared_lock:
                if self._shared is None:
                    session = self._create_session()
                    self._shared = session.resource(
                        "s3",
                        region_name=self.region_name,
                        use_ssl=self.use_ssl,
                        endpoint_url=self.endpoint_url,
                        config=self.client_config,
                        verify=self.verify,
                    )
        return self._shared

    @property
    def client(self) -> Any:
        return self.connection.meta.client

    def _save(self, name: str, content: Any) -> str:
        try:
            saved: str = super()._save(name, content)
        except BaseException:
            self.abort_uploads(name)
            raise
        return saved

    def abort_uploads(self, name: str) -> int:
        """Abort unfinished multipart uploads to ``name`` (a failed save leaves none behind, when
        the store answers). Returns how many were aborted; logs, never raises."""
        key = self._normalize_name(s3.clean_name(name))
        aborted = 0
        try:
            listing = self.client.list_multipart_uploads(Bucket=self.bucket_name, Prefix=key)
            for upload in listing.get("Uploads", []):
                if upload["Key"] == key:
                    self.client.abort_multipart_upload(Bucket=self.bucket_name, Key=key, UploadId=upload["UploadId"])
                    aborted += 1
        except Exception:  # noqa: BLE001 — the store is away; its lifecycle rule removes the parts later
            logger.warning("Could not abort unfinished uploads to %s", key, exc_info=True)
        return aborted
