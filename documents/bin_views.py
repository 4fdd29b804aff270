"""The meeting's bin: papers taken off the agenda, restorable for thirty days (documents.services)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from boardroom import policy
from boardroom.policy import Action
from meetings.models import Meeting

from . import services
from .models import BIN_DAYS, Paper


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    return policy.get_or_404(request.user, Action.MANAGE, Meeting.objects.select_related("board"), pk=pk)


def _binned(meeting: Meeting, paper_pk: int) -> Paper:
    paper = (
        Paper.with_bin.filter(pk=paper_pk, item__meeting=meeting, removed_at__isnull=False)
        .select_related("item__meeting")
        .first()
    )
    if paper is None:
        raise Http404("No such paper in the bin.")
    return paper


@login_required
@require_GET
def paper_bin(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    return render(
        request,
        "documents/bin.html",
        {"meeting": meeting, "board": meeting.board, "papers": services.binned_papers(meeting), "days": BIN_DAYS},
    )


@login_required
@require_POST
def paper_bin_restore(request: HttpRequest, pk: int, paper_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    paper = _binned(meeting, paper_pk)
    user: User = request.user  # type: ignore[assignment]
    try:
        services.paper_restore(actor=user, paper=paper)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("paper_bin", args=[meeting.pk]))
    messages.success(request, f"“{paper.title}” is back on item {paper.item.number}.")
    return HttpResponseRedirect(f"{reverse('agenda_builder', args=[meeting.pk])}#item-{paper.item_id}")


@login_required
@require_POST
def paper_bin_delete(request: HttpRequest, pk: int, paper_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    paper = _binned(meeting, paper_pk)
    user: User = request.user  # type: ignore[assignment]
    try:
        services.paper_delete(actor=user, paper=paper)
    except PermissionDenied as error:
        raise Http404("No such paper in the bin.") from error
    messages.success(request, f"“{paper.title}” and all its versions are deleted.")
    return HttpResponseRedirect(reverse("paper_bin", args=[meeting.pk]))
