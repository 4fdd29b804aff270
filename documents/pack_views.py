"""The board pack and the agenda as PDFs, and the secretary's view of the pack being compiled."""

from __future__ import annotations

import hashlib
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST, require_safe

from boardroom import audit, policy
from boardroom.policy import Action
from meetings.models import AgendaItem, Meeting

from . import packs
from .models import BoardPack, PackStatus
from .ranges import without_body
from .views import stored_file_response

R = TypeVar("R", bound=HttpResponseBase)


def _meeting(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> Meeting:
    return policy.get_or_404(request.user, action, Meeting.objects.select_related("board"), pk=pk)


def _filename(meeting: Meeting, what: str) -> str:
    return f"{meeting.board.name} {meeting.starts_at:%Y-%m-%d} {what}.pdf"


def _pdf_headers(response: R, filename: str, *, download: bool) -> R:
    response["Content-Disposition"] = content_disposition_header(as_attachment=download, filename=filename) or "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def meeting_pack(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The reader's own board pack: only the items they may see, watermarked if the board says so."""
    meeting = _meeting(request, pk)
    wanted = request.GET.get("r", "")
    if wanted:
        # A reader fetching parts of the revision it opened keeps getting that revision.
        if not wanted.isdigit():
            raise Http404("No such revision.")
        pack = meeting.packs.filter(revision=int(wanted), status=PackStatus.READY).first()
        current = packs.current_pack(meeting)
        if pack is None or (pack != current and packs.compiled_copy_for(request.user, pack) is None):  # type: ignore[arg-type]
            raise Http404("That revision of the pack has been replaced.")
        return _pack_file(request, meeting, pack)
    pack = packs.current_pack(meeting)
    if pack is None and packs.building_pack(meeting) is None:
        # Published before packs existed, or the last build failed: compile it now (or queue it).
        packs.enqueue_build(meeting.pk, now=True)
        pack = packs.current_pack(meeting)
    if pack is None:
        response = render(request, "documents/pack_pending.html", {"meeting": meeting}, status=503)
        response["Retry-After"] = "15"
        return response
    return _pack_file(request, meeting, pack)


def _pack_file(request: HttpRequest, meeting: Meeting, pack: BoardPack) -> HttpResponseBase:
    copy = packs.compiled_copy_for(request.user, pack) or packs.copy_for(request.user, pack)  # type: ignore[arg-type]

    def on_deliver() -> None:
        # Any part of the pack, whatever the range: audited once per person, revision and day.
        if pack.published:
            packs.mark_opened(pack)
        audit.record_delivery(
            "pack.view",
            actor=request.user,
            obj=meeting,
            board_id=meeting.board_id,
            request=request,
            once={"revision": pack.revision},
            pages=copy.pages,
            watermarked=copy.reader_id is not None,
        )

    return stored_file_response(
        request,
        copy.file.name or "",
        size=copy.size,
        etag=f"pack-{pack.pk}-{copy.pk}",
        filename=_filename(meeting, f"board pack r{pack.revision}"),
        download=request.GET.get("download") == "1",
        on_deliver=on_deliver,
    )


@login_required
@require_safe
def meeting_agenda_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The agenda on its own, as this reader may see it (its item titles are what it reveals)."""
    meeting = _meeting(request, pk)
    data = packs.agenda_pdf(request.user, meeting)
    if request.method == "GET":
        shown = list(
            policy.visible(request.user, AgendaItem.objects.filter(meeting=meeting))
            .order_by("sort_key")
            .values_list("pk", "number", "title")
        )
        # Once per person and day for each state of what they were shown (a retitled item is new).
        digest = hashlib.sha256(repr(shown).encode()).hexdigest()
        audit.record_delivery(
            "agenda.view",
            actor=request.user,
            obj=meeting,
            board_id=meeting.board_id,
            request=request,
            once={"agenda": digest},
            items=[pk for pk, _number, _title in shown],
        )
    response = HttpResponse(data, content_type="application/pdf")
    response = _pdf_headers(response, _filename(meeting, "agenda"), download=request.GET.get("download") == "1")
    return without_body(request, response)


def status_context(meeting: Meeting) -> dict[str, object]:
    packs.settle_stalled(meeting)  # a build that died shows as failed, with "Compile again"
    current = packs.current_pack(meeting)
    latest = meeting.packs.order_by("-revision").first()
    building = latest if latest is not None and latest.status == "building" else None
    stale = building is None and not packs.up_to_date(meeting, latest)
    return {
        "meeting": meeting,
        "current": current,
        "building": building,
        "failed": latest if latest is not None and latest.status == "failed" else None,
        # Changed since the last build: a published meeting's pack is recompiled by itself shortly.
        "stale": stale,
        "poll": building is not None or (stale and meeting.status != "draft"),
        "full_copy": current.copies.filter(reader__isnull=True).order_by("-pages").first() if current else None,
    }


@login_required
@require_GET
def pack_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The pack panel of the builder; it refreshes itself while a build runs."""
    meeting = _meeting(request, pk, Action.MANAGE)
    return render(request, "documents/_pack_status.html", status_context(meeting))


@login_required
@require_POST
def pack_compile(request: HttpRequest, pk: int) -> HttpResponse:
    """Compile the pack now (a draft's preview, or after a failure); unchanged meetings are not rebuilt."""
    meeting = _meeting(request, pk, Action.MANAGE)
    if packs.building_pack(meeting) is None:
        packs.enqueue_build(meeting.pk, request.user.pk, now=True)
    if request.headers.get("HX-Request"):
        return render(request, "documents/_pack_status.html", status_context(meeting))
    messages.info(request, "The board pack is being compiled.")
    return redirect("agenda_builder", pk=meeting.pk)
