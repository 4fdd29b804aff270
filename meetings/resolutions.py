"""Written resolutions: the secretary's drafting screens and the members' voting page.

Every view asks the policy (404 for what the user may not know exists) and calls one service.
A refused request re-renders the resolution with a plain message and a 4xx status: 400 for
bad input, 403 for someone who may see it but not vote, 409 when its state has moved on
(already circulated, closed, decided).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from boardroom import audit, policy
from boardroom.policy import Action, AnyUser

from . import notices
from .forms import InterestForm, ResolutionForm, ResolutionVoteForm
from .models import Board, Majority, Resolution, ResolutionStatus, ResolutionVoter
from .services import resolutions as services

STATE_CONFLICTS = {"conflict", "closed", "frozen"}


# --- reads -----------------------------------------------------------------------------------


def visible_resolutions(user: AnyUser, *, board: Board | None = None) -> list[Resolution]:
    """The resolutions ``user`` may see (open first, soonest deadline first; then the rest, newest
    first), each with ``my_vote`` (their place on the eligible list, or None). Any whose deadline
    has passed is closed first, so no list shows a stale open vote. One query when none is due."""
    queryset: QuerySet[Resolution] = policy.visible(user, Resolution.objects.all())
    if board is not None:
        queryset = queryset.filter(board=board)
    mine = ResolutionVoter.objects.filter(resolution=OuterRef("pk"), user_id=user.pk if user.is_authenticated else 0)
    annotated = queryset.select_related("board").annotate(
        my_voter=Subquery(mine.values("pk")[:1]),
        my_choice=Subquery(mine.values("choice")[:1]),
        my_interest=Subquery(mine.values("interest")[:1]),
    )
    rows: list[Any] = list(annotated.order_by("-created_at")[:50])
    now = timezone.now()
    if any(row.is_open and row.deadline <= now for row in rows):
        services.resolutions_close_due(queryset=queryset, now=now)
        rows = list(annotated.order_by("-created_at")[:50])
    for row in rows:
        row.my_vote = (
            ResolutionVoter(
                pk=row.my_voter,
                resolution=row,
                user_id=user.pk or 0,
                choice=row.my_choice or "",
                interest=row.my_interest or "",
            )
            if row.my_voter is not None
            else None
        )
    rows.sort(key=lambda r: (0, r.deadline.timestamp()) if r.is_open else (1, -r.created_at.timestamp()))
    return rows


def awaits_vote(resolution: Resolution) -> bool:
    """True for an open resolution (from ``visible_resolutions``) on which the user has yet to vote."""
    mine: ResolutionVoter | None = getattr(resolution, "my_vote", None)
    return resolution.is_open and mine is not None and not mine.choice and not mine.recused


# --- helpers ---------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _resolution(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> Resolution:
    return policy.get_or_404(request.user, action, Resolution.objects.select_related("board", "circulated_by"), pk=pk)


def _detail_url(resolution: Resolution) -> str:
    return resolution.get_absolute_url()


def _status_for(error: ValidationError) -> int:
    codes = {getattr(e, "code", None) for e in error.error_list} if not hasattr(error, "error_dict") else set()
    return 409 if codes & STATE_CONFLICTS else 400


def _page(
    request: HttpRequest,
    resolution: Resolution,
    *,
    status: int = 200,
    error: str = "",
    interest_form: InterestForm | None = None,
) -> HttpResponse:
    user = _user(request)
    voters = list(resolution.voters.order_by("name", "pk"))
    mine = next((v for v in voters if v.user_id == user.pk), None)
    can_manage = policy.can(user, Action.MANAGE, resolution)
    may_vote = mine is not None and not mine.recused and policy.can(user, Action.PARTICIPATE, resolution)
    tally = services.resolution_tally(resolution, voters) if resolution.circulated_at else None
    eligible_preview: list[User] = []
    if resolution.status == ResolutionStatus.DRAFT and can_manage:
        eligible_preview = list(services.resolution_eligible_members(resolution))
    context: dict[str, Any] = {
        "resolution": resolution,
        "board": resolution.board,
        "voters": voters,
        "mine": mine,
        "may_vote": may_vote,
        "may_declare": may_vote,
        "can_manage": can_manage,
        "may_withdraw": can_manage and resolution.status in (ResolutionStatus.DRAFT, ResolutionStatus.CIRCULATED),
        "tally": tally,
        "required_now": services.required_for(resolution.majority, len(eligible_preview)) if eligible_preview else None,
        "eligible_preview": eligible_preview,
        "result": resolution.result or None,
        "majority_label": Majority(resolution.majority).label,
        "error": error,
        "interest_form": interest_form or InterestForm(),
        "choices": resolution.options,
    }
    return render(request, "meetings/resolution.html", context, status=status)


# --- pages -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def resolution_new(request: HttpRequest, board_pk: int) -> HttpResponse:
    board = policy.get_or_404(request.user, Action.MANAGE, Board.objects.all(), pk=board_pk)
    form = ResolutionForm(request.POST or None, board=board, initial=None if request.POST else _new_initial())
    if request.method == "POST" and form.is_valid():
        try:
            resolution = services.resolution_draft(
                actor=_user(request), board=board, client_id=form.cleaned_data.get("client_id"), **form.service_fields()
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Draft saved. Check it, then circulate it to the board.")
            return HttpResponseRedirect(_detail_url(resolution))
    status = 400 if request.method == "POST" else 200
    return render(request, "meetings/resolution_form.html", {"board": board, "form": form}, status=status)


def _new_initial() -> dict[str, Any]:
    return {"client_id": uuid.uuid4(), "allow_abstain": True, "majority": Majority.SIMPLE}


def _form_errors(form: ResolutionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            field = "deadline_date" if name == "deadline" else name
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def resolution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = services.resolution_close_if_due(_resolution(request, pk))
    user = _user(request)
    notices.mark_read(user=user, resolution=resolution)
    if resolution.circulated_at is not None:
        audit.record("resolution.view", actor=user, obj=resolution, board_id=resolution.board_id, request=request)
    return _page(request, resolution)


@login_required
@require_http_methods(["GET", "POST"])
def resolution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = _resolution(request, pk, Action.MANAGE)
    if resolution.status != ResolutionStatus.DRAFT:
        return _page(
            request,
            resolution,
            status=409,
            error="This resolution has been circulated, so its text can no longer change. "
            "To change it, withdraw it and circulate a new one.",
        )
    form = ResolutionForm(request.POST or None, board=resolution.board, resolution=resolution)
    if request.method == "POST" and form.is_valid():
        try:
            services.resolution_update(actor=_user(request), resolution=resolution, **form.service_fields())
        except ValidationError as error:
            if _status_for(error) == 409:
                return _page(request, resolution, status=409, error=" ".join(error.messages))
            _form_errors(form, error)
        else:
            messages.success(request, "Draft saved.")
            return HttpResponseRedirect(_detail_url(resolution))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "meetings/resolution_form.html",
        {"board": resolution.board, "form": form, "resolution": resolution},
        status=status,
    )


@login_required
@require_POST
def resolution_circulate(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = _resolution(request, pk, Action.MANAGE)
    try:
        resolution = services.resolution_circulate(actor=_user(request), resolution=resolution)
    except ValidationError as error:
        resolution.refresh_from_db()
        return _page(request, resolution, status=_status_for(error), error=" ".join(error.messages))
    count = resolution.voters.count()
    messages.success(request, f"Circulated to {count} member{'s' if count != 1 else ''} for their vote.")
    return HttpResponseRedirect(_detail_url(resolution))


@login_required
@require_POST
def resolution_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = _resolution(request, pk, Action.MANAGE)
    try:
        services.resolution_withdraw(
            actor=_user(request), resolution=resolution, reason=request.POST.get("reason", "")[:500]
        )
    except ValidationError as error:
        resolution.refresh_from_db()
        return _page(request, resolution, status=_status_for(error), error=" ".join(error.messages))
    messages.success(request, "The resolution was withdrawn.")
    return HttpResponseRedirect(_detail_url(resolution))


@login_required
@require_POST
def resolution_vote(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = _resolution(request, pk)
    form = ResolutionVoteForm(request.POST)
    if not form.is_valid():
        return _page(request, resolution, status=400, error="Choose one of the options.")
    try:
        voter = services.resolution_vote(
            actor=_user(request), resolution=resolution, choice=form.cleaned_data["choice"]
        )
    except PermissionDenied as error:
        return _page(request, resolution, status=403, error=str(error))
    except ValidationError as error:
        resolution.refresh_from_db()
        return _page(request, resolution, status=_status_for(error), error=" ".join(error.messages))
    resolution.refresh_from_db()
    decided = f" The resolution is now {resolution.get_status_display().lower()}." if resolution.is_decided else ""
    messages.success(request, f"Your vote is recorded: {voter.choice}.{decided}")
    return HttpResponseRedirect(_detail_url(resolution))


@login_required
@require_POST
def resolution_declare(request: HttpRequest, pk: int) -> HttpResponse:
    resolution = _resolution(request, pk)
    form = InterestForm(request.POST)
    if not form.is_valid():
        return _page(
            request,
            resolution,
            status=400,
            error="Say what the interest is: it is recorded with the result.",
            interest_form=form,
        )
    try:
        services.resolution_declare_interest(
            actor=_user(request), resolution=resolution, nature=form.cleaned_data["nature"]
        )
    except PermissionDenied as error:
        return _page(request, resolution, status=403, error=str(error))
    except ValidationError as error:
        resolution.refresh_from_db()
        return _page(request, resolution, status=_status_for(error), error=" ".join(error.messages))
    messages.success(request, "Your declaration is recorded. You no longer vote on this resolution.")
    return HttpResponseRedirect(_detail_url(resolution))
