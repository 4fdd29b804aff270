"""The secretary's read-status page: who has opened which version of every paper, and reminders."""

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

from . import reading
from .models import Paper


def _managed(request: HttpRequest, pk: int) -> Meeting:
    return policy.get_or_404(request.user, Action.MANAGE, Meeting.objects.select_related("board"), pk=pk)


@login_required
@require_GET
def read_status(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    user: User = request.user  # type: ignore[assignment]
    status = reading.read_status(actor=user, meeting=meeting)
    rows = [(person, status.row(person)) for person in status.people]
    return render(
        request,
        "documents/read_status.html",
        {"meeting": meeting, "board": meeting.board, "status": status, "rows": rows},
    )


@login_required
@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    user: User = request.user  # type: ignore[assignment]
    back = reverse("read_status", args=[meeting.pk])
    paper = None
    raw = request.POST.get("paper", "")
    if raw:
        try:
            paper = Paper.objects.get(pk=int(raw), item__meeting=meeting)
        except (ValueError, Paper.DoesNotExist):
            raise Http404("No such paper.") from None
    try:
        count = reading.remind(actor=user, meeting=meeting, paper=paper)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return HttpResponseRedirect(back, status=303)
    if count:
        messages.success(request, f"Reminded {count} {'person' if count == 1 else 'people'}.")
    else:
        messages.info(request, "Nobody to remind: everyone has opened it, or was reminded in the last hour.")
    return HttpResponseRedirect(back, status=303)
