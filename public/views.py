"""The public site: pages anyone may read without signing in, and the secretary's screens for it.

Every public view finds its objects through ``policy.public_get_or_404`` / ``public_visible``
(missing and not public are the same 404) and always within the board named in the address.
Public pages never read the visitor's account, session or messages, so one cached copy suits
everybody: they are sent with ``Cache-Control: public`` and an ETag. The question form carries
a CSRF token and is never cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import conditional_page, require_http_methods, require_POST

from boardroom import policy
from boardroom.policy import Action
from documents.models import Paper
from documents.views import _pdf_response
from meetings.models import AgendaItem, Board, Meeting, MeetingStatus, Motion

from . import calendar, minutes_hook, papersaved, selectors, services, spam
from .forms import AnswerForm, MergeForm, PublicSettingsForm, QuestionForm, RejectForm
from .models import PublicQuestion, QuestionStatus

PUBLIC_MAX_AGE = 300  # seconds a browser or proxy may reuse a public page

View = Callable[..., HttpResponse]


def public_page(view: View) -> View:
    """Mark a successful public response cacheable by anyone (private for a signed-in visitor,
    whose response may carry a refreshed session cookie), and answer If-None-Match with 304."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and "Cache-Control" not in response:
            if request.user.is_authenticated:
                patch_cache_control(response, private=True, max_age=0)
            else:
                patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response

    return conditional_page(wrapped)  # type: ignore[no-any-return]


def absolute(path: str) -> str:
    """An absolute address from the configured site URL, never from the request's Host header
    (a cached page must not carry a forged host)."""
    return settings.BOARDROOM_SITE_URL + path


def _board(slug: str) -> Board:
    return policy.public_get_or_404(Board.objects.all(), slug=slug)


def _meeting(board: Board, pk: int) -> Meeting:
    meeting = policy.public_get_or_404(Meeting.objects.select_related("board"), pk=pk, board=board)
    return meeting


def _date_label(meeting: Meeting) -> str:
    """``Thursday 12 March 2026``, in the board's time zone (for titles and social cards)."""
    start = selectors.local_start(meeting)
    return f"{start:%A} {start.day} {start:%B %Y}"


def _status_label(meeting: Meeting) -> str:
    if meeting.status == MeetingStatus.LIVE:
        return "In progress"
    if meeting.status == MeetingStatus.PUBLISHED and meeting.starts_at >= timezone.now():
        return "Upcoming"
    return "Held"


# --- public pages -----------------------------------------------------------------------------


@public_page
def index(request: HttpRequest) -> HttpResponse:
    boards = list(selectors.public_boards())
    return render(request, "public/index.html", {"boards": boards, "canonical": absolute(reverse("public:index"))})


@public_page
def board_home(request: HttpRequest, board_slug: str) -> HttpResponse:
    board = _board(board_slug)
    upcoming, past = selectors.upcoming_and_past(board)
    saved = None
    if board.paper_saved_public:
        saved = [papersaved.paper_saved(board, year) for year in papersaved.years(board)[:3]]
    return render(
        request,
        "public/board.html",
        {
            "board": board,
            "next_meeting": upcoming[0] if upcoming else None,
            "upcoming": upcoming[1:],
            "past": past,
            "decisions": list(selectors.public_decisions(board)[:5]),
            "saved": saved,
            "canonical": absolute(reverse("public:board", args=[board.slug])),
        },
    )


def meeting_redirect(request: HttpRequest, board_slug: str, pk: int) -> HttpResponse:
    """``/public/<board>/meetings/<id>/``: the short form, sent on to the full address."""
    meeting = _meeting(_board(board_slug), pk)
    return HttpResponseRedirect(selectors.meeting_url(meeting), status=301)  # type: ignore[return-value]


@public_page
def meeting_detail(request: HttpRequest, board_slug: str, pk: int, slug: str) -> HttpResponse:
    board = _board(board_slug)
    meeting = _meeting(board, pk)
    canonical = selectors.meeting_url(meeting)
    if request.path != canonical:
        # A renamed meeting (or a mistyped slug): the id decides, the address is corrected.
        return HttpResponseRedirect(canonical, status=301)  # type: ignore[return-value]
    agenda = selectors.public_agenda(meeting)
    return render(
        request,
        "public/meeting.html",
        {
            "board": board,
            "meeting": meeting,
            "start": selectors.local_start(meeting),
            "start_label": _date_label(meeting),
            "status_label": _status_label(meeting),
            "agenda": agenda,
            "taking_questions": any(line.open_for_questions for line in agenda),
            "minutes": minutes_hook.approved_minutes(meeting),
            "canonical": absolute(canonical),
        },
    )


@public_page
def meeting_ics(request: HttpRequest, board_slug: str, pk: int) -> HttpResponse:
    meeting = _meeting(_board(board_slug), pk)
    return calendar.ics_response([meeting], meeting.board, f"{selectors.meeting_slug(meeting)}.ics")


@public_page
def board_ics(request: HttpRequest, board_slug: str) -> HttpResponse:
    """The board's public calendar, to subscribe to: meetings of the last year and all ahead."""
    board = _board(board_slug)
    since = timezone.now() - dt.timedelta(days=400)
    meetings = selectors.public_meetings(board).filter(starts_at__gte=since)
    return calendar.ics_response(meetings, board, f"{board.slug}-meetings.ics", attachment=False)


@public_page
def paper_download(request: HttpRequest, board_slug: str, pk: int, slug: str) -> HttpResponse:
    """A public paper's current PDF, served as members get it but cacheable by anyone."""
    board = _board(board_slug)
    paper = policy.public_get_or_404(
        Paper.objects.select_related("item__meeting", "current_version"), pk=pk, item__meeting__board=board
    )
    version = paper.current_version
    if version is None:  # pragma: no cover - the policy shows only papers with a current version
        raise Http404("This paper has no file yet.")
    # Public papers (only these) may be kept by any cache; a signed-in visitor's copy stays private.
    cache = "private, max-age=0" if request.user.is_authenticated else f"public, max-age={PUBLIC_MAX_AGE}"
    return _pdf_response(request, paper, version, cache_control=cache)  # type: ignore[return-value]


@public_page
def decisions(request: HttpRequest, board_slug: str) -> HttpResponse:
    board = _board(board_slug)
    return render(
        request,
        "public/decisions.html",
        {
            "board": board,
            "decisions": list(selectors.public_decisions(board)[:200]),
            "canonical": absolute(reverse("public:decisions", args=[board.slug])),
        },
    )


@public_page
def decision_detail(request: HttpRequest, board_slug: str, pk: int) -> HttpResponse:
    board = _board(board_slug)
    motion = policy.public_get_or_404(
        Motion.objects.select_related("item__meeting__board"), pk=pk, item__meeting__board=board
    )
    meeting = motion.item.meeting
    return render(
        request,
        "public/decision.html",
        {
            "board": board,
            "motion": motion,
            "meeting": meeting,
            "start": selectors.local_start(meeting),
            "start_label": _date_label(meeting),
            "counts": selectors.decision_counts(motion),
            "outcome": (motion.result or {}).get("outcome", ""),
            "canonical": absolute(selectors.decision_url(motion, board)),
        },
    )


# --- questions from the public ----------------------------------------------------------------


def _ask_context(board: Board, meeting: Meeting, item: AgendaItem, form: QuestionForm, **extra: Any) -> dict[str, Any]:
    return {
        "board": board,
        "meeting": meeting,
        "item": item,
        "start": selectors.local_start(meeting),
        "form": form,
        "meeting_url": selectors.meeting_url(meeting),
        **extra,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest, board_slug: str, pk: int, item_pk: int) -> HttpResponse:
    """A citizen's question or suggestion on one public item of an upcoming meeting."""
    board = _board(board_slug)
    meeting = _meeting(board, pk)
    item = policy.public_get_or_404(AgendaItem.objects.select_related("meeting__board"), pk=item_pk, meeting=meeting)
    if not selectors.questions_open(item):
        context = _ask_context(board, meeting, item, QuestionForm(), closed=True)
        return render(request, "public/ask.html", context, status=403)
    if request.method == "GET":
        form = QuestionForm(initial={"token": spam.form_token(item.pk)})
        return render(request, "public/ask.html", _ask_context(board, meeting, item, form))

    form = QuestionForm(request.POST)
    if form.filled_honeypot:
        problem = "Your message could not be accepted."
        return render(request, "public/ask.html", _ask_context(board, meeting, item, form, problem=problem), status=400)
    token = request.POST.get("token", "")
    problem = ""
    try:
        spam.check_token(token, item.pk)
    except spam.TokenProblem as refused:
        problem = refused.message
        token = spam.form_token(item.pk)  # a fresh one: the person may simply send again
    if problem or not form.is_valid():
        data = request.POST.copy()
        data["token"] = token
        form = QuestionForm(data)
        form.is_valid()
        return render(request, "public/ask.html", _ask_context(board, meeting, item, form, problem=problem), status=400)
    try:
        services.question_submit(
            item=item,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            text=form.cleaned_data["text"],
            kind=form.cleaned_data["kind"],
            sender_key=spam.sender_key(request),
        )
    except services.RateLimited as limited:
        minutes = max(1, round(limited.retry_after / 60))
        context = _ask_context(board, meeting, item, form, limited=minutes)
        response = render(request, "public/ask.html", context, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    except ValidationError as error:
        problem = " ".join(error.messages)
        return render(request, "public/ask.html", _ask_context(board, meeting, item, form, problem=problem), status=400)
    return HttpResponseRedirect(reverse("public:asked", args=[board.slug, meeting.pk, item.pk]), status=303)  # type: ignore[return-value]


@public_page
def asked(request: HttpRequest, board_slug: str, pk: int, item_pk: int) -> HttpResponse:
    board = _board(board_slug)
    meeting = _meeting(board, pk)
    item = policy.public_get_or_404(AgendaItem.objects.all(), pk=item_pk, meeting=meeting)
    return render(
        request,
        "public/asked.html",
        {"board": board, "meeting": meeting, "item": item, "meeting_url": selectors.meeting_url(meeting)},
    )


# --- the secretary's screens -----------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_http_methods(["GET", "POST"])
def public_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """The board's public site: on or off, Part B shown or hidden, questions, paper-saved rates."""
    board = policy.get_or_404(request.user, Action.MANAGE, Board.objects.all(), pk=pk)
    form = PublicSettingsForm(request.POST or None, instance=Board.objects.get(pk=board.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.fields}
        try:
            services.board_public_settings_update(actor=_user(request), board=board, **changes)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Public site settings saved.")
            return HttpResponseRedirect(reverse("public_settings", args=[board.pk]))
    status = 400 if request.method == "POST" else 200
    waiting = (
        policy.visible(request.user, Meeting.objects.filter(board=board))
        .exclude(status=MeetingStatus.DRAFT)
        .filter(items__public_questions__isnull=False)
        .distinct()
        .order_by("-starts_at")
    )
    pending = dict(
        PublicQuestion.objects.filter(item__meeting__board=board, status=QuestionStatus.PENDING)
        .values_list("item__meeting")
        .annotate(n=Count("pk"))
        .values_list("item__meeting", "n")
    )
    meetings = list(waiting[:20])
    for meeting in meetings:
        meeting.pending_questions = pending.get(meeting.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "public/settings.html",
        {
            "board": board,
            "form": form,
            "meetings": meetings,
            "public_url": reverse("public:board", args=[board.slug]),
        },
        status=status,
    )


@login_required
def paper_saved(request: HttpRequest, pk: int) -> HttpResponse:
    """The paper saved per year: for everyone who may see the board."""
    board = policy.get_or_404(request.user, Action.VIEW, Board.objects.all(), pk=pk)
    rows = [papersaved.paper_saved(board, year) for year in papersaved.years(board)]
    return render(
        request,
        "public/paper_saved.html",
        {"board": board, "rows": rows, "can_manage": policy.can(request.user, Action.MANAGE, board)},
    )


@login_required
def moderation(request: HttpRequest, pk: int) -> HttpResponse:
    """Questions from the public on one meeting, by item: approve, merge duplicates, reject, answer."""
    meeting = policy.get_or_404(request.user, Action.MANAGE, Meeting.objects.select_related("board"), pk=pk)
    questions = list(
        PublicQuestion.objects.filter(item__meeting=meeting)
        .select_related("item", "merged_into", "moderated_by", "answered_by")
        .order_by("item__sort_key", "submitted_at", "pk")
    )
    groups: dict[int, dict[str, Any]] = {}
    for question in questions:
        group = groups.setdefault(question.item_id, {"item": question.item, "questions": []})
        group["questions"].append(question)
    mergeable = [q for q in questions if q.status in (QuestionStatus.PENDING, QuestionStatus.APPROVED)]
    return render(
        request,
        "public/moderation.html",
        {
            "meeting": meeting,
            "board": meeting.board,
            "groups": list(groups.values()),
            "mergeable": mergeable,
            "pending": sum(1 for q in questions if q.status == QuestionStatus.PENDING),
            "public_url": selectors.meeting_url(meeting) if policy.can_public(meeting) else "",
        },
    )


MODERATION_ACTIONS = ("approve", "reject", "merge", "answer")


@login_required
@require_POST
def moderate(request: HttpRequest, pk: int, question_pk: int, action: str) -> HttpResponse:
    meeting = policy.get_or_404(request.user, Action.MANAGE, Meeting.objects.select_related("board"), pk=pk)
    question = (
        PublicQuestion.objects.filter(pk=question_pk, item__meeting=meeting).select_related("item__meeting").first()
    )
    if question is None or action not in MODERATION_ACTIONS:
        raise Http404("No such question.")
    actor = _user(request)
    back = reverse("public_moderation", args=[meeting.pk]) + f"#question-{question.pk}"
    try:
        if action == "approve":
            services.question_approve(actor=actor, question=question)
            messages.success(request, f"Published the question from {question.name}.")
        elif action == "reject":
            reject = RejectForm(request.POST)
            if not reject.is_valid():
                raise ValidationError("Say why it is rejected (for the record).")
            services.question_reject(actor=actor, question=question, reason=reject.cleaned_data["reason"])
            messages.success(request, f"Rejected the question from {question.name}.")
        elif action == "merge":
            merge = MergeForm(request.POST)
            target = None
            if merge.is_valid():
                target = (
                    PublicQuestion.objects.filter(pk=merge.cleaned_data["into"], item__meeting=meeting)
                    .select_related("item")
                    .first()
                )
            if target is None:
                raise ValidationError("Choose the question it duplicates.")
            services.question_merge(actor=actor, question=question, into=target)
            messages.success(request, f"Merged into the question from {target.name}.")
        else:
            answer = AnswerForm(request.POST)
            if not answer.is_valid():
                raise ValidationError("An answer is at most 5,000 characters.")
            services.question_answer(actor=actor, question=question, answer=answer.cleaned_data["answer"])
            messages.success(request, "Answer saved." if question.answer else "Answer removed.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return HttpResponseRedirect(back)
