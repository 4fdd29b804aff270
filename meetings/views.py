from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from boardroom import audit, policy
from boardroom.policy import Action
from documents import packs
from documents.models import Comment

from . import live, notices, selectors, services
from .forms import BoardRulesForm
from .models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Board,
    Meeting,
    MeetingStatus,
    Membership,
    Motion,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    boards = list(selectors.boards_for(request.user))
    roles = selectors.roles_for(request.user)
    for board in boards:
        board.my_membership = roles.get(board.pk)  # type: ignore[attr-defined]
    meetings = list(selectors.upcoming_meetings_for(request.user))
    assert isinstance(request.user, User)
    return render(
        request,
        "meetings/home.html",
        {
            "boards": boards,
            "meetings": meetings,
            "next_meeting": meetings[0] if meetings else None,
            "notices": notices.unread_for(request.user),
        },
    )


@login_required
def board_detail(request: HttpRequest, pk: int) -> HttpResponse:
    board = policy.get_or_404(request.user, Action.VIEW, Board.objects.all(), pk=pk)
    can_manage = policy.can(request.user, Action.MANAGE, board)
    rules_form = BoardRulesForm(initial={"chair_casting_vote": board.chair_casting_vote}) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only the chair or the secretary can change the board's rules.")
        rules_form = BoardRulesForm(request.POST)
        if rules_form.is_valid():
            assert isinstance(request.user, User)
            services.board_rules_update(
                actor=request.user, board=board, chair_casting_vote=rules_form.cleaned_data["chair_casting_vote"]
            )
            return redirect("board", pk=board.pk)
    meetings = list(selectors.meetings_of_board(request.user, board))
    # Soonest first for what is ahead; most recent first for what is behind.
    upcoming = [m for m in reversed(meetings) if m.is_upcoming]
    past = [m for m in meetings if not m.is_upcoming]
    return render(
        request,
        "meetings/board.html",
        {
            "board": board,
            "meetings": meetings,
            "upcoming": upcoming,
            "past": past,
            "can_manage": can_manage,
            "rules_form": rules_form,
        },
    )


def _live_page_context(user: User, meeting: Meeting, items: list[AgendaItem]) -> dict[str, Any]:
    """What the live bar, comments, votes and chair console need on first render.

    The page is a snapshot at ``meeting.last_seq`` (read before this): the socket resumes
    after that seq, so nothing committed meanwhile is lost (doubles are dropped by id).
    Every query here is constant: one per kind of object, never one per item.
    """
    by_id = {item.pk: item for item in items}
    for item in items:
        item.live_comments = []  # type: ignore[attr-defined]
        item.comment_threads = []  # type: ignore[attr-defined]
        item.closed_motions = []  # type: ignore[attr-defined]
    # Withdrawn comments are read too: a withdrawn first-level comment with replies stays as
    # "Comment withdrawn" above them (one level of replies, docs/live-protocol.md).
    comments = list(
        Comment.objects.filter(item_id__in=list(by_id))
        .select_related("author")
        .only(
            "pk",
            "item_id",
            "parent_id",
            "body",
            "created_at",
            "edited_at",
            "deleted_at",
            "author__first_name",
            "author__last_name",
            "author__username",
        )
        .order_by("created_at", "pk")
    )
    threads: dict[int, Comment] = {}
    for comment in comments:
        if comment.parent_id is None:
            comment.thread_replies = []  # type: ignore[attr-defined]
            threads[comment.pk] = comment
    for comment in comments:
        if comment.deleted_at is None:
            by_id[comment.item_id].live_comments.append(comment)  # type: ignore[attr-defined]
            parent = threads.get(comment.parent_id) if comment.parent_id else None
            if parent is not None:
                parent.thread_replies.append(comment)  # type: ignore[attr-defined]
    for comment in threads.values():
        if comment.deleted_at is None or comment.thread_replies:  # type: ignore[attr-defined]
            by_id[comment.item_id].comment_threads.append(comment)  # type: ignore[attr-defined]
    open_motion: Motion | None = None
    motions = Motion.objects.filter(item_id__in=list(by_id)).select_related("mover", "seconder")
    for motion in motions.order_by("opened_at", "pk"):
        if motion.status == Motion.Status.OPEN:
            open_motion = motion
            motion.item = by_id[motion.item_id]  # already read, with its meeting
            motion.item.meeting = meeting
        else:
            by_id[motion.item_id].closed_motions.append(motion)  # type: ignore[attr-defined]
    current = by_id.get(meeting.current_item_id) if meeting.current_item_id else None
    can_chair = policy.can(user, Action.CHAIR, meeting)
    can_manage = policy.can(user, Action.MANAGE, meeting)
    attendance: list[dict[str, Any]] = []
    quorum: dict[str, object] | None = None
    if can_manage and meeting.status != MeetingStatus.DRAFT:
        day = timezone.localdate(meeting.starts_at)
        marked = dict(Attendance.objects.filter(meeting=meeting).values_list("user_id", "status"))
        seats = (
            Membership.objects.current(on=day)
            .filter(board_id=meeting.board_id)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "user__username")
        )
        attendance = [
            {
                "id": seat.user_id,
                "name": seat.user.get_full_name() or seat.user.get_username(),
                "role": seat.get_role_display(),
                "status": marked.get(seat.user_id, ""),
            }
            for seat in seats
        ]
    # The same state the socket sends when it opens (docs/live-protocol.md), so the first paint
    # needs no socket. The open vote and the current item are the ones read above.
    state = live.build_state(user, meeting, by_id.keys(), current_item=current, open_motion=open_motion)
    if can_manage and meeting.status != MeetingStatus.DRAFT:
        quorum = state["quorum"]  # type: ignore[assignment]
    voting = services.voting_member_ids(meeting)
    # The chair's and secretary's pickers (mover, seconder, a declaration for another member,
    # who has not voted): the people seated for this meeting, from the attendance list above.
    people = [{"id": p["id"], "name": p["name"], "voting": p["id"] in voting} for p in attendance]
    recused = _recused_places(meeting, list(state["my_recusals"]))  # type: ignore[call-overload]
    return {
        "current_item": current,
        "current_hidden": meeting.current_item_id is not None and current is None,
        "open_motion": open_motion,
        "can_chair": can_chair,
        "may_participate": policy.can(user, Action.PARTICIPATE, meeting),
        "attendance": attendance,
        "attendance_choices": ATTENDANCE_BUTTONS,
        "quorum": quorum,
        "live_config": {
            "meeting": meeting.pk,
            "seq": meeting.last_seq,
            "user": user.pk,
            "status": meeting.status,
            "currentItem": meeting.current_item_id,
            "socket": f"/ws/meetings/{meeting.pk}/",
            "canChair": can_chair,
            "canManage": can_manage,
            "mayVote": user.pk in voting,
            "people": people if (can_chair or can_manage) else [],
            "recusedItems": recused,
            "vote": state["vote"],
            "quorum": quorum,
            "state": state,
        },
    }


def _recused_places(meeting: Meeting, item_ids: list[int]) -> list[dict[str, object]]:
    """Where the items a person declared on sat in the agenda, so their page says "You stepped out
    of item 6.3" there instead of the numbering jumping. Their own declaration: the number and
    title are theirs to see. No query for the (usual) person without a declaration."""
    if not item_ids:
        return []
    rows = AgendaItem.objects.filter(meeting=meeting).order_by("sort_key", "pk")
    hidden = set(item_ids)
    places: list[dict[str, object]] = []
    before: int | None = None
    for pk, parent_id, number, title in rows.values_list("pk", "parent_id", "number", "title"):
        if pk in hidden:
            places.append({"id": pk, "number": number, "title": title, "after": before})
        elif parent_id in hidden:
            hidden.add(pk)  # a declaration covers the item's sub-items, which go with it
        else:
            before = pk
    return places


# The secretary's attendance buttons, in the order they are used on the night.
ATTENDANCE_BUTTONS = [
    (AttendanceStatus.PRESENT, "Present"),
    (AttendanceStatus.APOLOGIES, "Apologies"),
    (AttendanceStatus.ABSENT, "Absent"),
    (AttendanceStatus.LATE, "Late"),
    (AttendanceStatus.LEFT_EARLY, "Left"),
]


def _pack_context(meeting: Meeting, items: list[AgendaItem]) -> dict[str, object]:
    """The reader's current pack, where each paper sits in it (once their copy is compiled), and
    each paper's reader link (one URL reversal for the page, not one per paper)."""
    pack = packs.current_pack(meeting)
    copy = packs.compiled_cut(pack, [item.pk for item in items]) if pack else None
    ranges = packs.page_ranges(copy)
    marker = 987654321
    before, after = reverse("paper_read", args=[marker]).split(str(marker))
    for item in items:
        for paper in getattr(item, "visible_papers", []):
            paper.pack_pages = ranges.get(paper.pk, "")
            paper.read_url = f"{before}{paper.pk}{after}"
    return {"pack": pack, "pack_copy": copy}


@login_required
@gzip_page
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = policy.get_or_404(request.user, Action.VIEW, Meeting.objects.select_related("board"), pk=pk)
    items = selectors.agenda_for(request.user, meeting)
    total_minutes = sum(item.duration_minutes for item in items)
    assert isinstance(request.user, User)  # login_required
    # Seeing the page reads the meeting's notices; a view with none unread writes nothing.
    if selectors.has_unread_notices(request.user, meeting):
        notices.mark_read(user=request.user, meeting=meeting)
    return render(
        request,
        "meetings/meeting.html",
        {
            "meeting": meeting,
            "board": meeting.board,
            "items": items,
            "total_minutes": total_minutes,
            "can_manage": policy.can(request.user, Action.MANAGE, meeting),
            **_pack_context(meeting, items),
            **_live_page_context(request.user, meeting, items),
        },
    )


@login_required
@require_GET
def meeting_view_as(request: HttpRequest, pk: int, user_pk: int | None = None) -> HttpResponse:
    """What one person of the board sees of this meeting, shown to its secretary or chair: the
    same page rendered through the policy as that person (for a draft, as it will be once
    published), read-only, and recorded in the audit log."""
    meeting = policy.get_or_404(request.user, Action.MANAGE, Meeting.objects.select_related("board"), pk=pk)
    if user_pk is None:
        try:
            user_pk = int(request.GET.get("person", ""))
        except ValueError:
            return redirect("agenda_builder", pk=meeting.pk)
        return redirect("meeting_view_as", pk=meeting.pk, user_pk=user_pk)
    seat = next((s for s in selectors.seated_people(meeting.board) if s.user_id == user_pk), None)
    if seat is None:
        raise Http404("Nobody with that seat on this board.")
    person = seat.user
    viewer: User = request.user  # type: ignore[assignment]
    if meeting.status == MeetingStatus.DRAFT:
        # As it will be once published: the items the policy will show them, with the papers
        # that are ready (a paper not ready is for the board's managers only).
        every = selectors.agenda_for(viewer, meeting)
        for item in every:
            item.meeting = meeting  # read once here, not once per item by the policy
        items = policy.visible_once_published(person, every)
        for item in items:
            item.visible_papers = [p for p in getattr(item, "visible_papers", []) if p.current_version_id]  # type: ignore[attr-defined]
    else:
        items = selectors.agenda_for(person, meeting)
    audit.record("meeting.viewed_as", actor=viewer, obj=meeting, board_id=meeting.board_id, person=person.pk)
    return render(
        request,
        "meetings/meeting.html",
        {
            "meeting": meeting,
            "board": meeting.board,
            "items": items,
            "total_minutes": sum(item.duration_minutes for item in items),
            "can_manage": False,
            "view_as": seat,
            "people": selectors.seated_people(meeting.board),
            **_pack_context(meeting, items),
            **_live_page_context(person, meeting, items),
        },
    )
