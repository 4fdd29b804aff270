"""Upload handling that refuses an oversized file while it streams in, not after."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Spools uploads to a temporary file, stopping as soon as one passes the size limit.

    A request whose declared length is already over the limit is cut off at its first chunk;
    one that lies about its length at the first chunk past the limit. The view then sees no
    file and answers with the size message. (Under ASGI, Django has already spooled the body
    to a temporary file by then: a proxy's body-size limit is what keeps it off the server.)
    """

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: str | None = None
    ) -> None:
        self.limit: int = settings.BOARDROOM_MAX_UPLOAD_BYTES
        # Declared over the limit (with room for the form's other fields): refuse at the first chunk.
        self.received = self.limit + 1 if content_length and content_length > self.limit + 64 * 1024 else 0
        super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
        return super().receive_data_chunk(raw_data, start)

    def _refuse(self) -> None:
        if self.request is not None:
            setattr(self.request, "upload_refused", "too_large")  # noqa: B010 - read by the upload views
        raise StopUpload(connection_reset=True)
