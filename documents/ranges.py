"""Serving stored PDFs with HTTP range requests (RFC 9110, section 14), so a reader shows the
first page of a large linearized file after fetching a small part of it.

Werkzeug parses the ``Range`` and ``If-Range`` headers (the fiddly part: suffix ranges, open
ranges, syntax errors); this module answers them:

* one satisfiable byte range → ``206 Partial Content`` with ``Content-Range``; a suffix range
  longer than the file (``bytes=-N``, N > size) is the whole file as that range;
* a range past the end → ``416 Range Not Satisfiable`` with ``Content-Range: bytes */size``;
* no range, a malformed one, another unit, several ranges, or an ``If-Range`` that no longer
  matches → the whole file with ``200`` (a server may always ignore ``Range``);
* a matching ``If-None-Match`` → ``304``;
* ``HEAD`` → the headers a ``GET`` would get, without the body (the file is not opened).

Every answer says ``Accept-Ranges: bytes`` and carries the ETag and the caller's cache policy.
Whatever the range, an answer that hands over bytes (200 or 206 to a ``GET``) calls the
caller's ``on_deliver``, which is where the audit log hears of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, TypeVar

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from werkzeug.http import parse_etags, parse_if_range_header, parse_range_header

CHUNK = 256 * 1024

R = TypeVar("R", bound=HttpResponseBase)


def _chunks(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        left = length
        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        handle.close()


def ranged_response(
    request: HttpRequest,
    opener: Callable[[], IO[bytes]],
    *,
    size: int,
    etag: str,
    content_type: str = "application/pdf",
    filename: str = "",
    download: bool = False,
    cache_control: str = "private, no-store",
    on_deliver: Callable[[], object] | None = None,
) -> HttpResponseBase:
    """The file ``opener()`` (``size`` bytes, entity tag ``etag`` without quotes) for ``request``."""
    quoted = f'"{etag}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": quoted,
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
    }
    if filename:
        headers["Content-Disposition"] = (
            content_disposition_header(as_attachment=download, filename=filename) or "inline"
        )

    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and parse_etags(if_none_match).contains_weak(etag):
        response: HttpResponseBase = HttpResponse(status=304)
        return _with(response, headers)

    span = _requested_span(request, size, etag)
    if span == "unsatisfiable":
        response = HttpResponse(status=416, content_type="text/plain; charset=utf-8")
        response.content = b"The requested range is outside the file."
        headers["Content-Range"] = f"bytes */{size}"
        return _with(response, headers)
    start, stop = span if isinstance(span, tuple) else (0, size)
    if request.method == "HEAD":
        response = HttpResponse(content_type=content_type)
    else:
        if on_deliver is not None:
            on_deliver()
        response = StreamingHttpResponse(_chunks(opener(), start, stop - start), content_type=content_type)
    response["Content-Length"] = str(stop - start)
    if isinstance(span, tuple):
        response.status_code = 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    return _with(response, headers)


def _requested_span(request: HttpRequest, size: int, etag: str) -> tuple[int, int] | str | None:
    """(start, stop) for one satisfiable byte range, "unsatisfiable", or None for the whole file."""
    header = request.headers.get("Range")
    if not header or request.method not in ("GET", "HEAD"):
        return None
    if_range = request.headers.get("If-Range")
    if if_range:
        condition = parse_if_range_header(if_range)
        # Only a strong entity tag can validate a range; a date or another tag means "send it all".
        if condition.etag is None or condition.etag != etag:
            return None
    parsed = parse_range_header(header)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return None
    start, end = parsed.ranges[0]
    if start < 0:
        # bytes=-N: the last N bytes, or all of them when the file is shorter (RFC 9110, 14.1.2).
        start = max(size + start, 0)
    stop = size if end is None else min(end, size)
    if start >= size:
        return "unsatisfiable"
    return start, stop


def without_body(request: HttpRequest, response: R) -> R:
    """For ``HEAD``: the response as made for ``GET``, its length kept and its body dropped."""
    if request.method != "HEAD" or not isinstance(response, HttpResponse):
        return response
    response["Content-Length"] = str(len(response.content))
    response.content = b""
    return response


def _with(response: HttpResponseBase, headers: dict[str, str]) -> HttpResponseBase:
    for name, value in headers.items():
        response[name] = value
    return response
