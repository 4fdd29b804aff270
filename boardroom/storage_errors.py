"""A request that failed because the object store is away answers 503 "try again", not 500.

Uploads roll back when the store write fails (``documents.services.paper_upload``), so nothing
half-made is left; this says so plainly to the person waiting, with ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template import loader

from .objectstore import unavailable

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
TITLE = "Files are unavailable for a moment"
MESSAGE = (
    "Boardroom could not reach its file store, so nothing was saved or opened. "
    "Please try again in a minute; if it keeps happening, tell your administrator."
)


class StorageUnavailableMiddleware:
    """Maps the object store's outages (botocore connection errors, timeouts, 5xx) to a 503 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _store_outage(exception):
            return None
        logger.error("Object store unavailable for %s %s: %s", request.method, request.path, type(exception).__name__)
        # Rendered without the request, like the 500 page: only static words, no session needed.
        body = loader.render_to_string("error.html", {"title": TITLE, "message": MESSAGE, "status": 503})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response


def _store_outage(exception: BaseException | None) -> bool:
    """The exception, or one it was raised from, is the store being away."""
    seen = 0
    while exception is not None and seen < 5:
        if unavailable(exception):
            return True
        exception = exception.__cause__ or exception.__context__
        seen += 1
    return False
