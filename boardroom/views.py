"""Cross-cutting views: health check and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader


def healthz(request: HttpRequest) -> HttpResponse:
    """A trivial view: load balancers poll it, and the page benchmarks use it as their baseline."""
    return HttpResponse("ok", content_type="text/plain")


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message, "status": status}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        "Not found",
        "There is nothing here, or it is not shared with you. Check the link, or go back to your boards.",
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "Not allowed", "You can see this, but your role does not let you do that.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "Bad request", "The request could not be understood. Go back and try again.")


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: the failure may be in the session, the database or a
    # context processor, and the error page must not fail the same way.
    body = loader.render_to_string(
        "error.html",
        {
            "title": "Something went wrong",
            "message": "The error was logged. Please try again in a moment.",
            "status": 500,
        },
    )
    return HttpResponse(body, status=500)
