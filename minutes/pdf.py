"""Signed minutes as PDF/A, rendered by WeasyPrint with a deny-by-default URL fetcher.

The fetcher serves only Boardroom's own static files (looked up through the staticfiles finders,
read from disk by us). Every other URL — ``file://``, ``http(s)://`` anywhere else, ``data:``,
paths climbing out with ``..`` — is refused, so a template or a minute can embed nothing from the
machine or the network. Refused URLs are logged by WeasyPrint as warnings (the URL, never text).
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

# Relative URLs in the minutes template resolve against this made-up origin; only its static
# path is ever answered.
BASE_URL = "https://boardroom.invalid/"
_ORIGIN = urlsplit(BASE_URL).netloc


def pdf_variant() -> str:
    return str(getattr(settings, "BOARDROOM_MINUTES_PDF_VARIANT", "pdf/a-2b"))


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Answers the project's own static assets; refuses everything else."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
            self.refused: list[str] = []
            self.served: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = static_path(url)
            if path is None:
                self.refused.append(url[:200])
                raise ValueError("Only Boardroom's own static files may be embedded in minutes.")
            self.served.append(url)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": kind})

    return StaticOnlyFetcher


def static_path(url: str) -> Path | None:
    """The file behind ``url`` if it names one of the project's static assets, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"
    if parts.scheme != "https" or parts.netloc != _ORIGIN or parts.query or not parts.path.startswith(static):
        return None
    relative = unquote(parts.path[len(static) :])
    segments = relative.split("/")
    if not relative or relative.startswith("/") or "\\" in relative or any(s in ("", ".", "..") for s in segments):
        return None
    found = finders.find(relative)
    if not isinstance(found, str):
        return None
    path = Path(found).resolve()
    roots = [Path(str(root)).resolve() for root in _static_roots()]
    if not path.is_file() or not any(path.is_relative_to(root) for root in roots):
        return None
    return path


def _static_roots() -> list[str]:
    roots: list[str] = []
    for entry in settings.STATICFILES_DIRS:
        roots.append(str(entry[1] if isinstance(entry, tuple | list) else entry))
    from django.apps import apps

    for app in apps.get_app_configs():
        roots.append(str(Path(app.path) / "static"))
    return roots


def make_fetcher() -> Any:
    return _fetcher_class()()


def render_html(html: str, *, fetcher: Any = None) -> bytes:
    """PDF/A bytes of ``html`` (resources only through the static-only fetcher)."""
    import weasyprint

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    fetcher = fetcher or make_fetcher()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    data: bytes = document.write_pdf(pdf_variant=pdf_variant(), custom_metadata=False)
    return data


def render_minutes(context: dict[str, Any]) -> bytes:
    return render_html(render_to_string("minutes/pdf.html", context))
