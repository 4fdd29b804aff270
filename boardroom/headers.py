"""Headers every response should carry, whichever ASGI server sends it.

* ``Date`` (RFC 9110 asks an origin server with a clock to send one; Daphne does not).
* Signed-in pages are ``Cache-Control: private`` at least, so no shared cache keeps a member's
  page; a view that set its own caching (downloads, feeds, static files) keeps it.
* Everything but the public site asks search engines not to index it (``X-Robots-Tag``), and
  ``/robots.txt`` says the same for crawlers that read it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_GET

PUBLIC_PREFIXES = ("/public/", "/static/")


class StandardHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Date"):
            response["Date"] = http_date()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        if not request.path.startswith(PUBLIC_PREFIXES) and not response.has_header("X-Robots-Tag"):
            response["X-Robots-Tag"] = "noindex, nofollow"
        return response


ROBOTS = "User-agent: *\nAllow: /public/\nDisallow: /\n"


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawlers may read the public site only."""
    response = HttpResponse(ROBOTS, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
