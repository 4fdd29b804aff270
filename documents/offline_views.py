"""Reading offline: the service worker, what a meeting needs on the device, and what may stay.

A member makes a meeting available offline from its page: the browser stores the meeting
page, each paper it may read (reader page, PDF, thumbnails, its annotations) and the board
pack in Cache Storage. Every time the app is opened online it asks ``/offline/keep.json``
which meetings the person may still keep; anything else is deleted from the device (a member
removed from the board, a paper withdrawn: a remote wipe). Signing out deletes everything.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from boardroom import policy
from boardroom.policy import Action
from meetings import selectors as meeting_selectors
from meetings.models import Meeting

from . import packs
from .models import PaperVersion

SW_SOURCE = Path(settings.BASE_DIR) / "static" / "js" / "sw.js"

# What the reader needs around the paper itself.
APP_ASSETS = [
    "css/app.css",
    "css/forms.css",
    "css/reader.css",
    "js/reader.js",
    "js/live-socket.js",
    "js/offline-store.js",
    "js/offline.js",
    "js/meeting-live.js",
    "js/confirm.js",
    "js/offline-home.js",
    "icons/icon-192.png",
    "vendor/pdfjs/pdf.min.mjs",
    "vendor/pdfjs/pdf.worker.min.mjs",
    "vendor/pdfjs-web/pdf_viewer.mjs",
    "vendor/pdfjs-web/pdf_viewer.css",
]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the site root so that it may look after every page."""
    response = HttpResponse(SW_SOURCE.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def _meeting_urls(user: User, meeting: Meeting) -> tuple[list[str], str]:
    """What the device stores for ``meeting``, and a version of the heavy part of it.

    The version changes when a paper arrives, goes or gets a new current version, or the pack
    gets a new revision: then the device downloads the copy again (on Wi-Fi by itself). Comments
    and the meeting's other news change only the meeting page, which is refreshed every time.
    """
    urls = [meeting.get_absolute_url()]
    papers = [
        paper
        for item in meeting_selectors.agenda_for(user, meeting)
        for paper in getattr(item, "visible_papers", [])
        if paper.current_version_id
    ]
    thumbnails = dict(
        PaperVersion.objects.filter(pk__in=[p.current_version_id for p in papers]).values_list("pk", "thumbnails")
    )
    for paper in papers:
        urls += [
            reverse("paper_read", args=[paper.pk]),
            reverse("paper_download", args=[paper.pk]),
            reverse("paper_annotations", args=[paper.pk]),
        ]
        sprites = (thumbnails.get(paper.current_version_id) or {}).get("sprites", [])
        urls += [reverse("paper_thumbs", args=[paper.pk, index]) for index in range(len(sprites))]
    pack = packs.current_pack(meeting)
    if pack is not None:
        urls.append(reverse("meeting_pack", args=[meeting.pk]))
    state = {
        "urls": urls,
        "versions": sorted(p.current_version_id or 0 for p in papers),
        "pack": pack.revision if pack is not None else None,
    }
    version = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
    return urls, version


@login_required
@require_GET
def meeting_offline(request: HttpRequest, pk: int) -> JsonResponse:
    """Everything the device should store to read this meeting without a network."""
    meeting = policy.get_or_404(request.user, Action.VIEW, Meeting.objects.select_related("board"), pk=pk)
    user: User = request.user  # type: ignore[assignment]
    urls, version = _meeting_urls(user, meeting)
    response = JsonResponse(
        {
            "meeting": meeting.pk,
            "title": meeting.title,
            "board": meeting.board.name,
            "starts_at": meeting.starts_at.isoformat(),
            "cache": f"boardroom-meeting-{meeting.pk}",
            "urls": urls,
            # The first URL (the meeting page) is light and refreshed on every visit; the rest is
            # downloaded again only when the version changes.
            "version": version,
            # The offline home is part of the app shell: it lists the saved meetings without a network.
            "assets": [static(path) for path in APP_ASSETS] + [reverse("offline_home")],
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def offline_keep(request: HttpRequest) -> JsonResponse:
    """Which meetings this device may keep offline: those the person may still see. Signed out:
    none (the device deletes every offline copy)."""
    if not request.user.is_authenticated:
        response = JsonResponse({"signed_in": False, "meetings": []})
    else:
        visible = policy.visible(request.user, Meeting.objects.all()).values_list("pk", flat=True)
        response = JsonResponse({"signed_in": True, "user": request.user.pk, "meetings": list(visible)})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def offline_home(request: HttpRequest) -> HttpResponse:
    """The meetings saved on this device, listed from the device itself (offline-home.js), so the
    page works the same without a network: the service worker answers any page that was not
    saved with it."""
    response = render(request, "documents/offline_home.html")
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def web_manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: Boardroom added to an iPad's home screen opens full screen."""
    response = JsonResponse(
        {
            "name": "Boardroom",
            "short_name": "Boardroom",
            "description": "Board papers, meetings and minutes",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f6f5f2",
            "theme_color": "#1b5a8c",
            "icons": [
                {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": static("icons/icon-maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        },
        content_type="application/manifest+json",
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to."""
    return HttpResponsePermanentRedirect(static("icons/favicon.ico"))
