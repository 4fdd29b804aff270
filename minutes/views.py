"""The minutes screens: the secretary's editor, the members' reading view, the workflow buttons, the
archive PDF, the actions tracker and the archive of past meetings.

Every view asks the policy (404 for what the user may not know exists, 403 for what they see but
may not do) and calls one service. Refusals are plain 4xx: 400 for bad input, 409 when the minutes
moved on (another editor's save, a state already passed).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_otp import match_token

from boardroom import audit, policy
from boardroom.policy import Action
from meetings import selectors as meeting_selectors
from meetings.models import Meeting, MeetingStatus, Membership

from . import selectors, services
from .models import ActionItem, ActionStatus, ApprovalRoute, MinuteItem, Minutes, MinutesRender, MinutesStatus


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _message(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You may not do that."


def _refused(request: HttpRequest, back: str, message: str, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(request, "minutes/refused.html", {"message": message, "back": back}, status=status)


def _minutes_of(request: HttpRequest, pk: int) -> tuple[Meeting, Minutes]:
    meeting = policy.get_or_404(request.user, Action.VIEW, Meeting.objects.select_related("board"), pk=pk)
    minutes = policy.visible(request.user, Minutes.objects.filter(meeting=meeting)).first()
    if minutes is None:
        raise Http404("No such page.")
    minutes.meeting = meeting
    return meeting, minutes


# --- the minutes page ------------------------------------------------------------------------


@login_required
@require_GET
def minutes_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    meeting = policy.get_or_404(user, Action.VIEW, Meeting.objects.select_related("board"), pk=pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    taking = policy.can(user, Action.MANAGE, meeting) and meeting.status in services.TAKEN_WHILE
    if taking and (minutes is None or minutes.editable):
        minutes = services.minutes_start(actor=user, meeting=meeting)
    if minutes is None or not policy.can(user, Action.VIEW, minutes):
        raise Http404("No such page.")
    minutes.meeting = meeting
    return render(request, "minutes/minutes.html", _context(user, meeting, minutes))


def _context(user: User, meeting: Meeting, minutes: Minutes) -> dict[str, Any]:
    entries = selectors.entries_for(user, minutes)
    can_manage = policy.can(user, Action.MANAGE, minutes)
    can_chair = policy.can(user, Action.CHAIR, minutes)
    context: dict[str, Any] = {
        "meeting": meeting,
        "board": meeting.board,
        "minutes": minutes,
        "entries": entries,
        "record": selectors.record_for(minutes, entries),
        "can_edit": can_manage and minutes.editable,
        "can_manage": can_manage,
        "can_chair": can_chair,
        "can_comment": policy.can(user, Action.PARTICIPATE, minutes),
        "comments": minutes.comments.select_related("author") if minutes.status != MinutesStatus.DRAFT else [],
        "amendments": minutes.amendments.select_related("entry__item", "made_by"),
        "matters_arising": selectors.matters_arising(user, meeting),
        "statuses": ActionStatus.choices,
        "steps": _steps(minutes),
    }
    page_id = uuid.uuid4()
    for entry in entries:
        # One id per form as rendered: a double submit adds the action once.
        entry.new_action_id = uuid.uuid5(page_id, str(entry.pk))  # type: ignore[attr-defined]
    if can_manage and minutes.editable:
        day = timezone.localdate(meeting.starts_at)
        context["members"] = [
            seat.user
            for seat in Membership.objects.current(on=day)
            .filter(board_id=meeting.board_id)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        ]
    if minutes.status in (MinutesStatus.DRAFT, MinutesStatus.CIRCULATED) and (can_manage or can_chair):
        routes = list(minutes.approval_routes.select_related("item__meeting", "resolution"))
        for route in routes:
            route.ready = services.approval_ready(route)  # type: ignore[attr-defined]
        context["approval_routes"] = routes
        context["approval_ready"] = [route for route in routes if route.ready]  # type: ignore[attr-defined]
        if can_manage:
            # Later meetings whose agenda may still change: where the approval can be put.
            context["route_meetings"] = Meeting.objects.filter(
                board_id=meeting.board_id,
                starts_at__gt=meeting.starts_at,
                status__in=(MeetingStatus.DRAFT, MeetingStatus.PUBLISHED, MeetingStatus.LIVE),
            ).order_by("starts_at")
    if minutes.status == MinutesStatus.SIGNED:
        context["signature_holds"] = services.verify_signature(minutes)
        context.update(_copies(user, minutes))
    return context


def _copies(user: User, minutes: Minutes) -> dict[str, Any]:
    """The archive copy this reader downloads (their cut, at the current revision) and, for those
    who may read every item, the full record: each with the SHA-256 of its file."""
    revision = services.current_revision(minutes)
    renders = {r.cut: r for r in MinutesRender.objects.filter(minutes=minutes, revision=revision)}
    cut = services.cut_key(services.reader_cut(user, minutes))
    mine = renders.get(cut)
    full = next((r for r in renders.values() if r.full), None)
    return {"render": mine, "full_render": full if full is not None and full.cut == cut else None}


def _steps(minutes: Minutes) -> list[dict[str, Any]]:
    order = [s.value for s in MinutesStatus]
    at = order.index(minutes.status)
    return [
        {"label": label, "done": n < at or minutes.locked, "current": n == at}
        for n, label in enumerate(["Draft", "Circulated", "Approved", "Signed"])
    ]


# --- saving an item's minute -----------------------------------------------------------------


@login_required
@require_POST
def entry_save(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    entry = policy.get_or_404(
        user, Action.MANAGE, MinuteItem.objects.select_related("minutes__meeting", "item__meeting"), pk=pk
    )
    back = reverse("minutes", args=[entry.minutes.meeting_id])
    try:
        base_version = int(request.POST.get("version", ""))
    except ValueError:
        return _refused(request, back, "The form is missing the version it was edited from; reload the page.", 400)
    body = request.POST.get("body", "")
    decisions = request.POST.get("decisions")
    try:
        saved = services.minute_save(actor=user, entry=entry, body=body, decisions=decisions, base_version=base_version)
    except services.EditConflict as conflict:
        view = services.conflict_view(conflict.entry, body)
        theirs_decisions = "\n".join(d.text for d in conflict.entry.decisions.all())
        payload = {
            "conflict": True,
            "message": f"{view.by} saved this minute while you were editing. Merge the two texts, then save again.",
            "version": view.version,
            "mine": view.mine,
            "theirs": view.theirs,
            "mine_decisions": decisions or "",
            "theirs_decisions": theirs_decisions,
            "by": view.by,
            "at": timezone.localtime(view.at).strftime("%H:%M:%S"),
        }
        if _wants_json(request):
            return JsonResponse(payload, status=409)
        return render(request, "minutes/conflict.html", {**payload, "entry": conflict.entry, "back": back}, status=409)
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, back, _message(error), 409 if isinstance(error, ValidationError) else 403)
    if _wants_json(request):
        return JsonResponse(
            {
                "version": saved.version,
                "body": saved.body,
                "saved_at": timezone.localtime(saved.updated_at).strftime("%H:%M:%S"),
            }
        )
    messages.success(request, f"Saved the minute of item {saved.item.number}.")
    return HttpResponseRedirect(f"{back}#minute-{saved.item_id}")


# --- the workflow ----------------------------------------------------------------------------


def _workflow(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = _user(request)
    meeting, minutes = _minutes_of(request, pk)
    back = reverse("minutes", args=[meeting.pk])
    try:
        if step == "circulate":
            services.minutes_circulate(actor=user, minutes=minutes)
            done = "The minutes were circulated to the board for comment."
        elif step == "reopen":
            services.minutes_reopen(actor=user, minutes=minutes)
            done = "The minutes are a draft again."
        elif step == "approve":
            services.minutes_approve(actor=user, minutes=minutes, route=_approval_choice(request, minutes))
            done = "The approval is recorded. The chair can now sign the minutes."
        elif step == "sign":
            _second_factor_again(user, request.POST.get("code", ""))
            services.minutes_sign(actor=user, minutes=minutes)
            done = "Signed. The minutes are locked and archived as PDF."
        elif step == "comment":
            services.minutes_comment(actor=user, minutes=minutes, body=request.POST.get("body", ""))
            done = "Your comment was added."
        elif step == "amend":
            entry = _entry_choice(request, minutes)
            services.amendment_add(
                actor=user,
                minutes=minutes,
                entry=entry,
                text=request.POST.get("text", ""),
                reason=request.POST.get("reason", ""),
            )
            done = "The amendment is recorded and a new PDF revision made."
        else:  # pragma: no cover - routes name the steps
            raise Http404("No such page.")
    except PermissionDenied as error:
        return _refused(request, back, _message(error), 403)
    except ValidationError as error:
        return _refused(request, back, _message(error), 400 if step in ("comment", "amend", "approve", "sign") else 409)
    messages.success(request, done)
    return HttpResponseRedirect(back)


def _second_factor_again(user: User, code: str) -> None:
    """Signing is the chair's own act: it asks for a code from their authenticator (or a recovery
    code) again, whatever the session already proved. django-otp throttles wrong codes and never
    accepts the same code twice."""
    code = "".join(code.split())
    if not code:
        raise ValidationError("Enter the code from your authenticator app to sign.")
    if match_token(user, code) is None:
        raise ValidationError(
            "That code did not match, or it was used already: enter the next code your authenticator app shows."
        )


def _approval_choice(request: HttpRequest, minutes: Minutes) -> ApprovalRoute:
    raw = request.POST.get("route", "")
    try:
        return minutes.approval_routes.get(pk=int(raw))
    except (ValueError, ApprovalRoute.DoesNotExist):
        raise ValidationError(
            "Choose the meeting item or the written resolution that approved these minutes."
        ) from None


def _entry_choice(request: HttpRequest, minutes: Minutes) -> MinuteItem | None:
    raw = request.POST.get("entry", "")
    if not raw:
        return None
    try:
        return policy.visible(request.user, MinuteItem.objects.filter(minutes=minutes)).get(pk=int(raw))
    except (ValueError, MinuteItem.DoesNotExist):
        raise ValidationError("Choose an item of these minutes.") from None


@login_required
@require_POST
def approval_route_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretary puts these minutes to the board: on a later meeting's agenda, or as a
    written resolution drafted here and circulated from its own page."""
    user = _user(request)
    meeting, minutes = _minutes_of(request, pk)
    back = reverse("minutes", args=[meeting.pk])
    how = request.POST.get("how", "")
    try:
        if how == "meeting":
            later = _later_meeting(request, meeting)
            route = services.approval_route_item(actor=user, minutes=minutes, meeting=later)
            assert route.item is not None
            done = f"Added item {route.item.number} to the agenda of {later.title}."
        elif how == "resolution":
            route = services.approval_route_resolution(
                actor=user, minutes=minutes, deadline=timezone.now() + dt.timedelta(days=14)
            )
            messages.success(request, "A written resolution is drafted: check it, set its deadline and circulate it.")
            assert route.resolution is not None
            return HttpResponseRedirect(reverse("resolution_edit", args=[route.resolution.pk]))
        else:
            raise ValidationError("Say how the board will approve the minutes: at a meeting, or by written resolution.")
    except PermissionDenied as error:
        return _refused(request, back, _message(error), 403)
    except ValidationError as error:
        return _refused(request, back, _message(error), 400)
    messages.success(request, done)
    return HttpResponseRedirect(back)


def _later_meeting(request: HttpRequest, meeting: Meeting) -> Meeting:
    try:
        return policy.visible(request.user, Meeting.objects.filter(board_id=meeting.board_id)).get(
            pk=int(request.POST.get("meeting", ""))
        )
    except (ValueError, Meeting.DoesNotExist):
        raise ValidationError("Choose the later meeting whose agenda approves these minutes.") from None


@login_required
@require_POST
def minutes_circulate(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow(request, pk, "circulate")


@login_required
@require_POST
def minutes_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow(request, pk, "reopen")


@login_required
@require_POST
def minutes_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow(request, pk, "approve")


@login_required
@require_POST
def minutes_sign(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow(request, pk, "sign")


@login_required
@require_POST
def minutes_comment(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow(request, pk, "comment")


@login_required
@require_POST
def minutes_amend(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow(request, pk, "amend")


# --- the archive PDF -------------------------------------------------------------------------


@login_required
@require_GET
def minutes_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The reader's cut of the signed minutes at the latest revision (made once, then kept)."""
    user = _user(request)
    meeting, minutes = _minutes_of(request, pk)
    if minutes.status != MinutesStatus.SIGNED:
        raise Http404("No such page.")
    render_row = services.minutes_render(
        minutes=minutes, items=services.reader_cut(user, minutes), actor=user, reason="reader's copy"
    )
    if not policy.can(user, Action.VIEW, render_row):
        raise Http404("No such page.")
    audit.record(
        "minutes.downloaded",
        actor=user,
        obj=minutes,
        board_id=meeting.board_id,
        revision=render_row.revision,
        request=request,
    )
    response = FileResponse(
        render_row.file.open("rb"),
        content_type="application/pdf",
        filename=f"minutes-{meeting.pk}-r{render_row.revision}.pdf",
    )
    response["X-Content-SHA256"] = render_row.sha256
    return response


# --- actions ---------------------------------------------------------------------------------


@login_required
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    entry = policy.get_or_404(
        user, Action.MANAGE, MinuteItem.objects.select_related("minutes__meeting", "item__meeting"), pk=pk
    )
    back = f"{reverse('minutes', args=[entry.minutes.meeting_id])}#minute-{entry.item_id}"
    try:
        due = dt.date.fromisoformat(request.POST["due"]) if request.POST.get("due") else None
        owner_id = int(request.POST["owner"]) if request.POST.get("owner") else None
        client_id = uuid.UUID(request.POST["client_id"]) if request.POST.get("client_id") else None
    except ValueError:
        return _refused(request, back, "Give the due date as a date and choose the owner from the list.", 400)
    owner = User.objects.filter(pk=owner_id).first() if owner_id else None
    if owner_id and owner is None:
        return _refused(request, back, "The owner must be a member of this board.", 400)
    try:
        services.action_add(
            actor=user,
            entry=entry,
            description=request.POST.get("description", ""),
            owner=owner,
            due=due,
            client_id=client_id,
        )
    except ValidationError as error:
        return _refused(request, back, _message(error), 400)
    messages.success(request, "Action added.")
    return HttpResponseRedirect(back)


@login_required
@require_POST
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    action = policy.get_or_404(user, Action.PARTICIPATE, ActionItem.objects.select_related("entry__minutes"), pk=pk)
    back = request.POST.get("back") or reverse("actions")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("actions")
    try:
        services.action_update(
            actor=user, action=action, status=request.POST.get("status", ""), note=request.POST.get("note", "")
        )
    except ValidationError as error:
        return _refused(request, back, _message(error), 400)
    messages.success(request, f"Action updated: {ActionStatus(request.POST['status']).label.lower()}.")
    return HttpResponseRedirect(back)


@login_required
@require_POST
def action_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    action = policy.get_or_404(user, Action.MANAGE, ActionItem.objects.select_related("entry__minutes"), pk=pk)
    back = f"{reverse('minutes', args=[action.entry.minutes.meeting_id])}#minute-{action.entry.item_id}"
    try:
        services.action_remove(actor=user, action=action)
    except ValidationError as error:
        return _refused(request, back, _message(error), 409)
    messages.success(request, "Action removed.")
    return HttpResponseRedirect(back)


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a number.") from None


@login_required
@require_GET
def actions_tracker(request: HttpRequest) -> HttpResponse:
    """Open actions across meetings: mine first, then per board; overdue ones flagged."""
    user = _user(request)
    try:
        board_id = _int_param(request, "board")
        person = request.GET.get("person", "")
        owner_id = user.pk if person == "me" else _int_param(request, "person")
    except ValidationError as error:
        return _refused(request, reverse("actions"), _message(error), 400)
    boards = list(meeting_selectors.boards_for(user))
    board = next((b for b in boards if b.pk == board_id), None)
    if board_id is not None and board is None:
        raise Http404("No such page.")
    actions = list(selectors.open_actions(user, board=board, owner_id=owner_id))
    owners = {a.owner_id: a.owner for a in selectors.open_actions(user, board=board) if a.owner is not None}
    return render(
        request,
        "minutes/actions.html",
        {
            "boards": boards,
            "board": board,
            "person": person,
            "owner_id": owner_id,
            "owners": sorted(owners.values(), key=lambda u: (u.last_name, u.first_name)),
            "mine": [a for a in actions if a.owner_id == user.pk],
            "others": [a for a in actions if a.owner_id != user.pk],
            "statuses": ActionStatus.choices,
            "today": timezone.localdate(),
        },
    )


# --- the archive -----------------------------------------------------------------------------


@login_required
@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        board_id = _int_param(request, "board")
        year = _int_param(request, "year")
    except ValidationError as error:
        return _refused(request, reverse("archive"), _message(error), 400)
    if year is not None and not 1900 <= year <= 2200:
        return _refused(request, reverse("archive"), "Choose a year from the list.", 400)
    boards = list(meeting_selectors.boards_for(user))
    if board_id is not None and board_id not in {b.pk for b in boards}:
        raise Http404("No such page.")
    found = selectors.archive(user, board_id=board_id, year=year)
    return render(
        request,
        "minutes/archive.html",
        {"boards": boards, "board_id": board_id, "year": year, **found},
    )
