"""The tablet reader: a paper in PDF.js with its thumbnails, outline, annotations and the agenda."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_safe

from boardroom import policy
from boardroom.policy import Action
from meetings import selectors as meeting_selectors

from .models import Paper
from .ranges import ranged_response
from .views import delivered


def _paper(request: HttpRequest, pk: int) -> Paper:
    return policy.get_or_404(
        request.user,
        Action.VIEW,
        Paper.objects.select_related("item__meeting__board", "current_version"),
        pk=pk,
    )


def _may_present(user: User, paper: Paper) -> bool:
    """The rule of meetings.services.chair.presenter_show_page, to offer the control only to those it accepts."""
    item, meeting = paper.item, paper.item.meeting
    return (
        policy.can(user, Action.CHAIR, meeting)
        or policy.can(user, Action.MANAGE, meeting)
        or (item.presenter_id == user.pk and policy.can(user, Action.VIEW, item))
    )


def reader_config(user: User, paper: Paper) -> dict[str, Any]:
    """Everything the reader script needs, as JSON in the page (no inline script)."""
    version = paper.current_version
    assert version is not None
    meeting = paper.item.meeting
    thumbs = version.thumbnails or {}
    agenda = []
    for item in meeting_selectors.agenda_for(user, meeting):
        agenda.append(
            {
                "number": item.number,
                "title": item.title,
                "papers": [
                    {"id": p.pk, "title": p.title, "url": reverse("paper_read", args=[p.pk])}
                    for p in getattr(item, "visible_papers", [])
                    if p.current_version_id
                ],
            }
        )
    diff = version.page_diff or {}
    return {
        "paper": paper.pk,
        "title": paper.title,
        "item": {"number": paper.item.number, "title": paper.item.title},
        "meeting": {"id": meeting.pk, "title": meeting.title, "url": meeting.get_absolute_url()},
        "version": version.number,
        "etag": version.sha256,
        # The rendition's length, so the reader asks for byte ranges only (no opening full GET),
        # and the entity tag its ranges must match (If-Range) when this server sends the file:
        # an object store's links carry their own ETag (its checksum, not ours).
        "size": version.size,
        "rangeEtag": "" if settings.S3_BUCKET else version.sha256,
        "pages": version.page_count,
        "changed": {"added": diff.get("added", []), "changed": diff.get("changed", [])} if diff else None,
        "file": reverse("paper_download", args=[paper.pk]),
        "annotations": reverse("paper_annotations", args=[paper.pk]),
        "annotation": reverse("annotation", args=[0]).replace("/0/", "/{id}/"),
        "exportJsonld": reverse("annotations_export", args=[paper.pk]),
        "exportPdf": reverse("annotated_copy", args=[paper.pk]),
        "thumbs": {
            "width": thumbs.get("width", 0),
            "sprites": [reverse("paper_thumbs", args=[paper.pk, i]) for i in range(len(thumbs.get("sprites", [])))],
            "cells": thumbs.get("cells", []),
        },
        "canShare": policy.can(user, Action.PARTICIPATE, paper.item),
        # The meeting socket brings shared annotations and the presenter's page (not for drafts).
        "socket": f"/ws/meetings/{meeting.pk}/" if meeting.status != "draft" else None,
        "seq": meeting.last_seq,
        "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
        # "Show this page to everyone" (presenter.page, docs/live-protocol.md) is for the chair,
        # the secretary and the item's presenter, while the meeting is in progress; the bar
        # names whoever presents, so the reader knows the names of the board's people.
        "meetingStatus": meeting.status,
        "canPresent": _may_present(user, paper),
        "people": {
            str(seat.user_id): seat.user.get_full_name() or seat.user.get_username()
            for seat in meeting_selectors.seated_people(meeting.board)
        },
        "agenda": agenda,
        "pdfjs": {
            "lib": static("vendor/pdfjs/pdf.min.mjs"),
            "worker": static("vendor/pdfjs/pdf.worker.min.mjs"),
            "viewer": static("vendor/pdfjs-web/pdf_viewer.mjs"),
            "fonts": static("vendor/pdfjs-fonts/"),
            "cmaps": static("vendor/pdfjs-cmaps/"),
            "wasm": static("vendor/pdfjs-wasm/"),
            "iccs": static("vendor/pdfjs-iccs/"),
        },
    }


@login_required
@require_GET
def paper_read(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _paper(request, pk)
    if paper.current_version is None:
        raise Http404("This paper has no readable version yet.")
    user: User = request.user  # type: ignore[assignment]
    response = render(
        request,
        "documents/reader.html",
        {"paper": paper, "meeting": paper.item.meeting, "config": reader_config(user, paper)},
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def paper_thumbs(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One sprite sheet of the current version's page thumbnails (WebP).

    The pictures show the pages, so handing them over is audited as a read of the version."""
    paper = _paper(request, pk)
    version = paper.current_version
    sprites = (version.thumbnails or {}).get("sprites", []) if version else []
    if version is None or not 0 <= index < len(sprites):
        raise Http404("No such thumbnails.")
    name = sprites[index]
    response = ranged_response(
        request,
        lambda: default_storage.open(name, "rb"),
        size=default_storage.size(name),
        etag=f"{version.sha256}-t{index}",
        content_type="image/webp",
        cache_control="private, max-age=3600",
        on_deliver=lambda: delivered(request, paper, version, via="thumbnails"),
    )
    return response  # type: ignore[return-value]
