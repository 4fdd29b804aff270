"""Reads for the public site. Every queryset here is already narrowed by ``policy.public_visible``."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from boardroom import policy
from documents.models import Paper
from meetings.models import AgendaItem, Board, Meeting, MeetingStatus, Motion

from .models import PublicQuestion

# --- stable, human addresses ------------------------------------------------------------------


def local_start(meeting: Meeting) -> dt.datetime:
    return meeting.starts_at.astimezone(zoneinfo.ZoneInfo(meeting.board.time_zone))


def meeting_slug(meeting: Meeting) -> str:
    """``2026-03-12-trustees-meeting-41``: the date in the board's time zone and the title.

    The number before it in the address (the meeting's id) is what is looked up, so a renamed
    meeting keeps working links: an old slug redirects to the current one."""
    return f"{local_start(meeting):%Y-%m-%d}-{slugify(meeting.title)[:60]}".rstrip("-")


def meeting_url(meeting: Meeting) -> str:
    return reverse("public:meeting", args=[meeting.board.slug, meeting.pk, meeting_slug(meeting)])


def paper_url(paper: Paper, board: Board) -> str:
    return reverse("public:paper", args=[board.slug, paper.pk, slugify(paper.title)[:60] or "paper"])


def decision_url(motion: Motion, board: Board) -> str:
    return reverse("public:decision", args=[board.slug, motion.pk])


# --- boards and meetings ----------------------------------------------------------------------


def public_boards() -> QuerySet[Board]:
    return policy.public_visible(Board.objects.all()).order_by("name")


def public_meetings(board: Board) -> QuerySet[Meeting]:
    return policy.public_visible(Meeting.objects.filter(board=board)).select_related("board").order_by("starts_at")


def upcoming_and_past(board: Board) -> tuple[list[Meeting], list[Meeting]]:
    """Meetings still to come (soonest first) and those held (most recent first)."""
    meetings = list(public_meetings(board))
    now = timezone.now()
    upcoming = [m for m in meetings if m.starts_at >= now and m.status in (MeetingStatus.PUBLISHED, MeetingStatus.LIVE)]
    past = [m for m in reversed(meetings) if m not in upcoming]
    return upcoming, past


def questions_open(item: AgendaItem) -> bool:
    """Does this item take questions now? Public, the board invites them, and the meeting is ahead."""
    meeting = item.meeting
    return (
        meeting.board.public_questions
        and meeting.status == MeetingStatus.PUBLISHED
        and meeting.starts_at > timezone.now()
        and policy.can_public(item)
    )


@dataclass
class PublicItem:
    """One line of the public agenda. An exempt (Part B) line carries its number and title only."""

    item: AgendaItem
    exempt: bool = False
    papers: list[Paper] = field(default_factory=list)
    questions: list[PublicQuestion] = field(default_factory=list)
    decisions: list[Motion] = field(default_factory=list)
    open_for_questions: bool = False


def public_agenda(meeting: Meeting) -> list[PublicItem]:
    """The agenda as the public sees it, in order, with papers, published questions and decisions.

    Five queries whatever the length of the agenda."""
    papers = policy.public_visible(Paper.objects.all()).select_related("current_version").order_by("position", "pk")
    questions = policy.public_visible(PublicQuestion.objects.all()).order_by("submitted_at", "pk")
    motions = policy.public_visible(Motion.objects.all()).order_by("opened_at", "pk")
    items = list(
        policy.public_visible(AgendaItem.objects.filter(meeting=meeting))
        .select_related("presenter")
        .prefetch_related(
            Prefetch("papers", queryset=papers, to_attr="public_papers"),
            Prefetch("public_questions", queryset=questions, to_attr="published_questions"),
            Prefetch("motions", queryset=motions, to_attr="decisions"),
        )
    )
    taking = (
        meeting.board.public_questions
        and meeting.status == MeetingStatus.PUBLISHED
        and meeting.starts_at > timezone.now()
    )
    lines = [
        PublicItem(
            item=item,
            papers=item.public_papers,  # type: ignore[attr-defined]
            questions=item.published_questions,  # type: ignore[attr-defined]
            decisions=item.decisions,  # type: ignore[attr-defined]
            open_for_questions=taking,
        )
        for item in items
    ]
    exempt = list(policy.public_exempt_items(meeting).only("pk", "number", "sort_key", "title", "parent_id"))
    lines += [PublicItem(item=item, exempt=True) for item in exempt]
    lines.sort(key=lambda line: line.item.sort_key)
    return lines


def answered_questions(meeting: Meeting) -> list[PublicQuestion]:
    """Published questions of ``meeting`` that have an answer, in agenda order.

    For the minutes: each carries ``item`` (number, title), ``name``, ``kind``, ``text``,
    ``answer``, ``answered_by`` and ``answered_at``. Never includes the sender's email."""
    return list(
        policy.public_visible(PublicQuestion.objects.filter(item__meeting=meeting))
        .exclude(answer="")
        .select_related("item", "answered_by")
        .defer("email", "sender_key")
        .order_by("item__sort_key", "submitted_at", "pk")
    )


def public_decisions(board: Board) -> QuerySet[Motion]:
    """Closed votes on public items of the board, newest first."""
    return (
        policy.public_visible(Motion.objects.filter(item__meeting__board=board))
        .select_related("item__meeting__board")
        .order_by("-closed_at", "-pk")
    )


def recent_papers(board: Board, limit: int = 30) -> QuerySet[Paper]:
    return (
        policy.public_visible(Paper.objects.filter(item__meeting__board=board))
        .select_related("current_version", "item__meeting__board")
        .order_by("-current_version__processed_at", "-pk")[:limit]
    )


def decision_counts(motion: Motion) -> list[tuple[str, int]]:
    """The counts per option, in ballot order. Who voted how is never shown publicly."""
    counts = (motion.result or {}).get("counts", {})
    return [(option, int(counts.get(option, 0))) for option in motion.options]
