"""The register pages, the secretary's matches and tags for a meeting, and the answers to prompts.

Thin edges: each view asks the policy (through ``selectors`` or ``policy.get_or_404``), calls one
service and redirects, or says plainly why it could not (a 4xx page with the reason).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from boardroom import policy
from boardroom.policy import Action
from meetings.models import AgendaItem, Board, Declaration, Meeting, Membership

from . import selectors, services
from .forms import InterestForm
from .models import Interest, ItemInterestTag
from .services import DECLARING_ROLES


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _refused(request: HttpRequest, error: Exception, back: str, status: int | None = None) -> HttpResponse:
    """A page that says why, with the way back: 403 for a refusal, 409 for a state that no
    longer allows it, 400 for bad input."""
    if isinstance(error, PermissionDenied):
        code, text = 403, str(error) or "Your role does not let you do that."
    else:
        assert isinstance(error, ValidationError)
        conflicts = {getattr(e, "code", None) for e in error.error_list} & {"ended"}
        code, text = (409 if conflicts else 400), " ".join(error.messages)
    return render(
        request,
        "interests/refused.html",
        {"message": text, "back": back, "status": status or code},
        status=status or code,
    )


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _register_url(board_id: int) -> str:
    return reverse("interests:register", args=[board_id])


def _members(board: Board) -> list[User]:
    seats = Membership.objects.current().filter(board=board, role__in=DECLARING_ROLES).select_related("user")
    return [s.user for s in seats]


@login_required
def register(request: HttpRequest, pk: int) -> HttpResponse:
    board = selectors.register_board(request.user, pk)
    user = _user(request)
    rows = selectors.register_of(user, board)
    mine = next((r for r in rows if r.seat.user_id == user.pk), None)
    return render(
        request,
        "interests/register.html",
        {
            "board": board,
            "rows": rows,
            "mine": mine,
            "manages": selectors.may_manage_register(user, board),
            "may_add_own": policy.can(user, Action.MANAGE, Interest(board=board, member=user)),
            "unregistered": selectors.declarations_not_on_register(user, board),
        },
    )


def _form_page(
    request: HttpRequest, board: Board, form: InterestForm, interest: Interest | None, status: int = 200
) -> HttpResponse:
    return render(request, "interests/form.html", {"board": board, "form": form, "interest": interest}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def interest_new(request: HttpRequest, pk: int) -> HttpResponse:
    board = selectors.register_board(request.user, pk)
    user = _user(request)
    manages = selectors.may_manage_register(user, board)
    if not manages and not policy.can(user, Action.MANAGE, Interest(board=board, member=user)):
        raise PermissionDenied("Only members of the board keep entries on its register.")
    members = _members(board) if manages else None
    initial = {"member": user.pk} if manages else None
    form = InterestForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            return _form_page(request, board, form, None, status=400)
        member = form.cleaned_data.get("member") or user
        try:
            interest = services.interest_register(
                actor=user,
                board=board,
                member=member,
                description=form.cleaned_data["description"],
                keywords=form.cleaned_data["keywords"],
                category=form.cleaned_data["category"],
            )
        except PermissionDenied as error:
            return _refused(request, error, _register_url(board.pk))
        except ValidationError as error:
            form.add_error(None, error)
            return _form_page(request, board, form, None, status=400)
        messages.success(request, f"Added to the register: “{interest.description}”.")
        return HttpResponseRedirect(_register_url(board.pk) + f"#member-{interest.member_id}")
    return _form_page(request, board, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def interest_edit(request: HttpRequest, pk: int) -> HttpResponse:
    interest = policy.get_or_404(request.user, Action.MANAGE, Interest.objects.select_related("board", "member"), pk=pk)
    board = interest.board
    if interest.ended_at is not None:
        return _refused(
            request,
            ValidationError("This entry has ended; add a new one instead.", code="ended"),
            _register_url(board.pk),
        )
    initial = {
        "description": interest.description,
        "category": interest.category,
        "keywords": "\n".join(interest.keywords or []),
    }
    form = InterestForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            return _form_page(request, board, form, interest, status=400)
        try:
            services.interest_update(
                actor=_user(request),
                interest=interest,
                description=form.cleaned_data["description"],
                keywords=form.cleaned_data["keywords"],
                category=form.cleaned_data["category"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return _form_page(request, board, form, interest, status=400)
        messages.success(request, "The entry is updated.")
        return HttpResponseRedirect(_register_url(board.pk) + f"#member-{interest.member_id}")
    return _form_page(request, board, form, interest)


@login_required
@require_POST
def interest_end(request: HttpRequest, pk: int) -> HttpResponse:
    interest = policy.get_or_404(request.user, Action.MANAGE, Interest.objects.select_related("board"), pk=pk)
    back = _register_url(interest.board_id)
    try:
        services.interest_end(actor=_user(request), interest=interest)
    except ValidationError as error:
        return _refused(request, error, back)
    messages.success(request, f"Ended: “{interest.description}”. It stays on the register as a past entry.")
    return HttpResponseRedirect(back + f"#member-{interest.member_id}")


@login_required
@require_POST
def from_declaration(request: HttpRequest, pk: int) -> HttpResponse:
    """One tap: a declaration the user made at a meeting becomes an entry of their register."""
    user = _user(request)
    meetings = policy.visible(user, Meeting.objects.all())
    # Declarations have no rule of their own: one's own, at a meeting one may see, is one's to carry.
    declaration = (
        Declaration.objects.filter(pk=pk, user=user, item__meeting__in=meetings)
        .select_related("item__meeting__board")
        .first()
    )
    if declaration is None:
        raise Http404("No such declaration.")
    back = _register_url(declaration.item.meeting.board_id)
    try:
        interest = services.interest_register_declaration(actor=user, declaration=declaration)
    except (PermissionDenied, ValidationError) as error:
        return _refused(request, error, back)
    messages.success(request, "Added to your register. Add the words an agenda would use, so future items are matched.")
    return HttpResponseRedirect(reverse("interests:edit", args=[interest.pk]))


# --- answers to the meeting page's prompts -------------------------------------------------------


def _prompt_objects(request: HttpRequest, pk: int, item_pk: int) -> tuple[Interest, AgendaItem]:
    interest = policy.get_or_404(request.user, Action.MANAGE, Interest.objects.select_related("board", "member"), pk=pk)
    item = policy.get_or_404(request.user, Action.VIEW, AgendaItem.objects.select_related("meeting__board"), pk=item_pk)
    return interest, item


def _meeting_url(item: AgendaItem) -> str:
    return reverse("meeting", args=[item.meeting_id])


@login_required
@require_POST
def declare(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    interest, item = _prompt_objects(request, pk, item_pk)
    try:
        services.interest_declare(actor=_user(request), interest=interest, item=item)
    except (PermissionDenied, ValidationError) as error:
        return _refused(request, error, _meeting_url(item))
    who = "Your" if interest.member_id == request.user.pk else f"{_name(interest.member)}'s"
    messages.success(
        request,
        f"{who} declaration on item {item.number} is recorded: “{interest.description}”. "
        "It is in the minutes, and the item is withheld from the member.",
    )
    return HttpResponseRedirect(_meeting_url(item) + "#interest-prompts")


@login_required
@require_POST
def not_relevant(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    interest, item = _prompt_objects(request, pk, item_pk)
    try:
        services.interest_dismiss(actor=_user(request), interest=interest, item=item)
    except (PermissionDenied, ValidationError) as error:
        return _refused(request, error, _meeting_url(item))
    messages.success(
        request, f"Noted: “{interest.description}” does not concern item {item.number}. You will not be asked again."
    )
    return HttpResponseRedirect(_meeting_url(item) + "#interest-prompts")


# --- the secretary's view of a meeting ------------------------------------------------------------


def _manage_meeting(request: HttpRequest, pk: int) -> Meeting:
    return policy.get_or_404(request.user, Action.MANAGE, Meeting.objects.select_related("board"), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_interests(request: HttpRequest, pk: int) -> HttpResponse:
    """For the secretary: which items may concern whose registered interests, and the tags."""
    meeting = _manage_meeting(request, pk)
    user = _user(request)
    back = reverse("interests:meeting", args=[meeting.pk])
    if request.method == "POST":
        try:
            item_pk = int(request.POST.get("item", ""))
            interest_pk = int(request.POST.get("interest", ""))
        except ValueError:
            return _refused(request, ValidationError("Choose an item and a registered interest to tag it with."), back)
        item = policy.get_or_404(
            user, Action.MANAGE, AgendaItem.objects.filter(meeting=meeting).select_related("meeting"), pk=item_pk
        )
        interest = policy.get_or_404(
            user, Action.VIEW, Interest.objects.filter(board=meeting.board_id).select_related("member"), pk=interest_pk
        )
        try:
            services.item_tag(actor=user, item=item, interest=interest)
        except (PermissionDenied, ValidationError) as error:
            return _refused(request, error, back)
        messages.success(
            request,
            f"Item {item.number} is tagged with “{interest.description}”: {_name(interest.member)} will be asked.",
        )
        return HttpResponseRedirect(back + f"#item-{item.pk}")
    items = list(policy.visible(user, AgendaItem.objects.filter(meeting=meeting)).order_by("sort_key"))
    interests = list(
        selectors.interests_of(user, meeting.board)
        .filter(ended_at__isnull=True)
        .order_by("member__last_name", "member__first_name", "pk")
    )
    tags: dict[int, list[ItemInterestTag]] = {}
    for tag in selectors.tags_of(user, meeting):
        tags.setdefault(tag.item_id, []).append(tag)
    for item in items:
        item.interest_tags_shown = tags.get(item.pk, [])  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "meeting": meeting,
        "board": meeting.board,
        "items": items,
        "interests": interests,
        "matches": selectors.meeting_matches(user, meeting),
    }
    return render(request, "interests/meeting.html", context)


@login_required
@require_POST
def untag(request: HttpRequest, pk: int, tag_pk: int) -> HttpResponse:
    meeting = _manage_meeting(request, pk)
    tag = policy.get_or_404(
        request.user,
        Action.MANAGE,
        ItemInterestTag.objects.filter(item__meeting=meeting).select_related("item__meeting", "interest"),
        pk=tag_pk,
    )
    services.item_untag(actor=_user(request), tag=tag)
    messages.success(request, f"The tag “{tag.interest.description}” is removed from item {tag.item.number}.")
    return HttpResponseRedirect(reverse("interests:meeting", args=[meeting.pk]) + f"#item-{tag.item_id}")
