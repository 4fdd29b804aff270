"""The audit log for a board's secretaries: filter on screen, export as CSV."""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from meetings.models import Board, Membership

from . import audit, policy
from .models import AuditEvent
from .policy import Action

PAGE_SIZE = 200


class AuditFilter(forms.Form):
    action = forms.CharField(required=False, max_length=64, label="Action starts with")
    person = forms.CharField(required=False, max_length=150, label="Person (username)")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="Until", widget=forms.DateInput(attrs={"type": "date"}))


def entries_for(board: Board, form: AuditFilter) -> QuerySet[AuditEvent]:
    """What happened on this board, and the sign-ins of the people who sit on it."""
    people = Membership.objects.filter(board=board).values("user_id")
    entries = AuditEvent.objects.filter(
        Q(board_id=board.pk) | Q(board_id__isnull=True, actor_id__in=people, action__startswith="auth.")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"])
        if data["person"]:
            entries = entries.filter(actor_label=data["person"])
        if data["since"]:
            entries = entries.filter(at__date__gte=data["since"])
        if data["until"]:
            entries = entries.filter(at__date__lte=data["until"])
    return entries.order_by("-pk")


def _board(request: HttpRequest, pk: int) -> Board:
    return policy.get_or_404(request.user, Action.MANAGE, Board.objects.all(), pk=pk)


@login_required
def audit_log(request: HttpRequest, pk: int) -> HttpResponse:
    board = _board(request, pk)
    form = AuditFilter(request.GET or None)
    entries = list(entries_for(board, form)[:PAGE_SIZE])
    return render(
        request,
        "audit/log.html",
        {"board": board, "form": form, "entries": entries, "page_size": PAGE_SIZE, "query": request.GET.urlencode()},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    board = _board(request, pk)
    form = AuditFilter(request.GET or None)
    entries = entries_for(board, form)
    audit.record(
        "audit.exported",
        actor=request.user,
        obj=board,
        board_id=board.pk,
        request=request,
        filters={k: v for k, v in request.GET.items() if k in form.fields},
    )
    writer = csv.writer(_Echo())
    header = ["id", "at (UTC)", "person", "action", "object type", "object id", "ip", "detail", "hash", "previous hash"]

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(header)
        for e in entries.iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    e.pk,
                    e.at.astimezone(dt.UTC).isoformat(),
                    e.actor_label,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.ip or "",
                    _safe_cell(str(e.detail)),
                    e.hash,
                    e.prev_hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    name = f"audit-{board.slug}-{dt.date.today().isoformat()}.csv"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or ""
    response["Cache-Control"] = "private, no-store"
    return response


def _safe_cell(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: neutralise them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
