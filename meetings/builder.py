"""The secretary's screens: meeting details, the agenda builder, and publishing.

Every view asks the policy for Action.MANAGE: members who can see the meeting get 403, anyone
else 404. Each view parses its form and calls one service.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from boardroom import policy
from boardroom.policy import Action
from documents import pack_views
from documents import services as document_services
from documents.models import BIN_DAYS, Paper, PaperRead, PaperVersion

from . import selectors, services
from .forms import AgendaItemForm, MeetingForm
from .models import AgendaItem, Board, Meeting, MeetingStatus


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    return policy.get_or_404(request.user, Action.MANAGE, Meeting.objects.select_related("board"), pk=pk)


def _item(meeting: Meeting, item_pk: int) -> AgendaItem:
    from django.http import Http404

    item = AgendaItem.objects.filter(meeting=meeting, pk=item_pk).select_related("meeting", "parent").first()
    if item is None:
        raise Http404("No such item.")
    return item


def _builder_url(meeting: Meeting, anchor: str = "") -> str:
    return reverse("agenda_builder", args=[meeting.pk]) + (f"#{anchor}" if anchor else "")


def _refused(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@login_required
def builder(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    newest = PaperVersion.objects.order_by("-number").defer("page_diff", "thumbnails")
    reads = PaperRead.objects.select_related("user").order_by("user__last_name")
    papers = (
        Paper.objects.select_related("current_version")
        .prefetch_related(
            Prefetch("versions", queryset=newest, to_attr="newest_first"),
            Prefetch("reads", queryset=reads, to_attr="read_by"),
        )
        .order_by("position", "pk")
    )
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("presenter")
        .prefetch_related(Prefetch("papers", queryset=papers, to_attr="all_papers"))
        .order_by("sort_key")
    )
    others = list(
        policy.visible(request.user, Meeting.objects.filter(board=meeting.board))
        .exclude(pk=meeting.pk)
        .order_by("-starts_at")[:20]
    )
    return render(
        request,
        "meetings/builder.html",
        {
            "meeting": meeting,
            "board": meeting.board,
            "items": items,
            "others": others,
            "people": selectors.seated_people(meeting.board),
            "binned": Paper.with_bin.filter(item__meeting=meeting, removed_at__isnull=False).count(),
            "add_form": AgendaItemForm(meeting=meeting),
            "total_minutes": sum(i.duration_minutes for i in items),
            "editable": meeting.status not in (MeetingStatus.CLOSED, MeetingStatus.MINUTED),
            **pack_views.status_context(meeting),
        },
    )


@login_required
@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = AgendaItemForm(request.POST, meeting=meeting)
    if not form.is_valid():
        problems = [
            f"{form.fields[name].label or name}: {' '.join(str(e) for e in errors)}"
            if name in form.fields
            else " ".join(str(e) for e in errors)
            for name, errors in form.errors.items()
        ]
        messages.error(request, "The item was not added. " + "; ".join(problems))
        return HttpResponseRedirect(_builder_url(meeting, "add-item"))
    try:
        item = services.agenda_item_add(
            actor=_user(request), meeting=meeting, parent=form.cleaned_data["parent"], **form.item_fields()
        )
    except ValidationError as error:
        _refused(request, error)
        return HttpResponseRedirect(_builder_url(meeting, "add-item"))
    messages.success(request, f"Added item {item.number}: {item.title}.")
    return HttpResponseRedirect(_builder_url(meeting, f"item-{item.pk}"))


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    item = _item(meeting, item_pk)
    form = AgendaItemForm(request.POST or None, meeting=meeting, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_item_update(actor=_user(request), item=item, **form.item_fields())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved item {item.number}.")
            return HttpResponseRedirect(_builder_url(meeting, f"item-{item.pk}"))
    status = 400 if request.method == "POST" else 200
    return render(request, "meetings/item_form.html", {"meeting": meeting, "item": item, "form": form}, status=status)


@login_required
@require_POST
def item_delete(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    item = _item(meeting, item_pk)
    try:
        services.agenda_item_delete(actor=_user(request), item=item)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"Removed “{item.title}”. The agenda was renumbered.")
    return HttpResponseRedirect(_builder_url(meeting))


@login_required
@require_POST
def item_move(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    item = _item(meeting, item_pk)
    try:
        services.agenda_move(actor=_user(request), item=item, direction=request.POST.get("direction", ""))
    except ValidationError as error:
        _refused(request, error)
    return HttpResponseRedirect(_builder_url(meeting, f"item-{item.pk}"))


@login_required
@require_POST
def reorder(request: HttpRequest, pk: int) -> JsonResponse:
    """The drag-and-drop order, as JSON: {"order": [{"id": .., "parent": ..}, ...]}."""
    meeting = _meeting(request, pk)
    try:
        payload = json.loads(request.body or b"{}")
        order = payload["order"]
        if not isinstance(order, list):
            raise TypeError
        items = services.agenda_reorder(actor=_user(request), meeting=meeting, order=order)
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "The new order could not be read."}, status=400)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse({"items": [{"id": i.pk, "number": i.number, "parent": i.parent_id} for i in items]})


@login_required
@require_POST
def standing_items(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    try:
        added = services.agenda_add_standing_items(actor=_user(request), meeting=meeting)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            f"Added {len(added)} standing item{'s' if len(added) != 1 else ''}."
            if added
            else "The agenda already has every standing item.",
        )
    return HttpResponseRedirect(_builder_url(meeting))


@login_required
@require_POST
def clone(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    raw = str(request.POST.get("source", ""))
    candidates = policy.visible(request.user, Meeting.objects.filter(board=meeting.board))
    source = candidates.filter(pk=int(raw)).first() if raw.isdigit() else None
    if source is None:
        messages.error(request, "Choose a meeting of this board to copy from.")
        return HttpResponseRedirect(_builder_url(meeting))
    try:
        copies = services.agenda_clone(actor=_user(request), meeting=meeting, source=source)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"Copied {len(copies)} items from “{source.title}”. Papers are not copied.")
    return HttpResponseRedirect(_builder_url(meeting))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, board_pk: int) -> HttpResponse:
    board = policy.get_or_404(request.user, Action.MANAGE, Board.objects.all(), pk=board_pk)
    form = MeetingForm(request.POST or None, board=board)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(actor=_user(request), board=board, **form.service_fields())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Meeting created as a draft: only the chair and secretaries can see it.")
            return HttpResponseRedirect(_builder_url(meeting))
    return render(
        request,
        "meetings/meeting_form.html",
        {"form": form, "board": board, "meeting": None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = MeetingForm(request.POST or None, board=meeting.board, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=_user(request), meeting=meeting, **form.service_fields())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Meeting details saved.")
            return HttpResponseRedirect(_builder_url(meeting))
    return render(
        request,
        "meetings/meeting_form.html",
        {"form": form, "board": meeting.board, "meeting": meeting},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """A preview of what each person will see, then publishing."""
    meeting = policy.get_or_404(request.user, Action.PUBLISH, Meeting.objects.select_related("board"), pk=pk)
    if request.method == "POST":
        try:
            services.meeting_publish(actor=_user(request), meeting=meeting)
        except ValidationError as error:
            _refused(request, error)
            return HttpResponseRedirect(_builder_url(meeting))
        messages.success(request, "Published: members can now see the agenda and papers, and have been told.")
        return HttpResponseRedirect(reverse("meeting", args=[meeting.pk]))
    items = list(AgendaItem.objects.filter(meeting=meeting).select_related("meeting").order_by("sort_key"))
    preview = []
    for seat in selectors.seated_people(meeting.board):
        shown = {i.pk for i in policy.visible_once_published(seat.user, items)}
        preview.append({"seat": seat, "sees": len(shown), "hidden": [i for i in items if i.pk not in shown]})
    return render(request, "meetings/publish.html", {"meeting": meeting, "items": items, "preview": preview})


def _missing_file_message(request: HttpRequest, otherwise: str) -> str:
    if getattr(request, "upload_refused", None) == "too_large":
        limit = filesizeformat(settings.BOARDROOM_MAX_UPLOAD_BYTES)
        return f"That file is larger than the {limit} limit for a paper. Compress it or split it, and upload again."
    return otherwise


def _paper(meeting: Meeting, paper_pk: int) -> Paper:
    from django.http import Http404

    paper = Paper.objects.filter(item__meeting=meeting, pk=paper_pk).select_related("item__meeting").first()
    if paper is None:
        raise Http404("No such paper.")
    return paper


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _receive_paper(
    request: HttpRequest, meeting: Meeting, item: AgendaItem, paper: Paper | None, missing: str
) -> HttpResponse:
    """Hand an uploaded file to the upload service (a new paper, or a new version of ``paper``)
    and say plainly what became of it: as a page (a plain form post) or as JSON (the builder's
    multi-file uploader, which then follows the check with ``upload_status``)."""
    as_json = _wants_json(request)
    back = HttpResponseRedirect(_builder_url(meeting, f"item-{item.pk}"))
    uploaded = request.FILES.get("file")
    if uploaded is None:
        message = _missing_file_message(request, missing)
        if as_json:
            return JsonResponse({"error": message}, status=400)
        messages.error(request, message)
        return back
    shown = f"“{(uploaded.name or 'the file')[:80]}”" if paper is None else "The new version"
    title = (
        paper.title
        if paper is not None
        else (request.POST.get("title", "").strip()[:300] or document_services.title_from_name(uploaded.name or ""))
    )
    try:
        version = document_services.paper_upload(
            actor=_user(request),
            item=item,
            title=title,
            uploaded=uploaded,
            paper=paper,
            note=request.POST.get("note", "") if paper is not None else "",
        )
    except ValidationError as error:
        message = f"{shown} was not accepted: {' '.join(error.messages)}"
        if as_json:
            return JsonResponse({"error": message}, status=400)
        messages.error(request, message)
        return back
    version.refresh_from_db()
    if as_json:
        return JsonResponse(_status_data(meeting, version), status=201)
    if version.status == "refused":
        keeps = " The previous version stays." if paper is not None else ""
        messages.error(request, f"{shown} was refused: {version.refusal_reason}{keeps}")
    else:
        messages.success(
            request,
            f"Version {version.number} of “{version.paper.title}” uploaded ({version.get_status_display().lower()}).",
        )
    return back


def _status_data(meeting: Meeting, version: PaperVersion) -> dict[str, object]:
    return {
        **document_services.upload_status(version),
        "paper": version.paper_id,
        "title": version.paper.title,
        "status_url": reverse("upload_status", args=[meeting.pk, version.pk]),
    }


@login_required
def upload_status(request: HttpRequest, pk: int, version_pk: int) -> JsonResponse:
    """Where one upload has got to (processing, ready or refused, and why), for the uploader."""
    meeting = _meeting(request, pk)
    version = (
        PaperVersion.objects.filter(pk=version_pk, paper__item__meeting=meeting)
        .select_related("paper")
        .defer("page_diff", "thumbnails")
        .first()
    )
    if version is None:
        return JsonResponse({"error": "No such upload."}, status=404)
    response = JsonResponse(_status_data(meeting, version))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def paper_add(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Upload a paper onto an item; it is checked in the background, and shows as processing."""
    meeting = _meeting(request, pk)
    return _receive_paper(request, meeting, _item(meeting, item_pk), None, "Choose a file to upload.")


@login_required
@require_POST
def paper_replace(request: HttpRequest, pk: int, paper_pk: int) -> HttpResponse:
    """A new version of a paper, with a note of what changed (members are told)."""
    meeting = _meeting(request, pk)
    paper = _paper(meeting, paper_pk)
    return _receive_paper(request, meeting, paper.item, paper, "Choose the new version's file.")


@login_required
@require_POST
def paper_move(request: HttpRequest, pk: int, paper_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    paper = _paper(meeting, paper_pk)
    try:
        document_services.paper_move(actor=_user(request), paper=paper, direction=request.POST.get("direction", ""))
    except ValidationError as error:
        _refused(request, error)
    return HttpResponseRedirect(_builder_url(meeting, f"item-{paper.item_id}"))


@login_required
@require_POST
def paper_remove(request: HttpRequest, pk: int, paper_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    binned = Paper.with_bin.filter(item__meeting=meeting, pk=paper_pk, removed_at__isnull=False).first()
    if binned is not None:  # a second tap, or two secretaries at once
        messages.info(request, f"“{binned.title}” is already in the bin.")
        return HttpResponseRedirect(_builder_url(meeting, f"item-{binned.item_id}"))
    paper = _paper(meeting, paper_pk)
    document_services.paper_remove(actor=_user(request), paper=paper)
    messages.success(
        request, f"Removed “{paper.title}”: it is in the bin for {BIN_DAYS} days if you need to put it back."
    )
    return HttpResponseRedirect(_builder_url(meeting, f"item-{paper.item_id}"))
