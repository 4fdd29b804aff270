"""Reading a PDF download in tests, whether the site served it or sent the browser to S3."""

from __future__ import annotations

import urllib.request
from typing import Any


def opened(response: Any) -> bool:
    """The file was handed over: served here (200), or a presigned S3 link to it (302)."""
    return response.status_code == 200 or (
        response.status_code == 302 and "X-Amz-Signature=" in response.get("Location", "")
    )


def fetch_presigned(url: str) -> bytes:
    """What a browser gets from a presigned S3 link (the tests' own loopback endpoint)."""
    with urllib.request.urlopen(url) as fetched:  # noqa: S310
        return bytes(fetched.read())


def pdf_bytes(response: Any) -> bytes:
    """The bytes of a PDF download, following a presigned S3 link when files live there."""
    if response.status_code == 302 and "X-Amz-Signature=" in response.get("Location", ""):
        return fetch_presigned(response["Location"])
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)
