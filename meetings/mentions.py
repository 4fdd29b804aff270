"""Who can be @mentioned in a comment on an agenda item: the people who may see the item.

The comment box asks this as the writer types ``@`` (static/js/live-comments.js). Only someone
who may see the item gets an answer (anyone else: 404, as for any hidden object), and the
answer lists only people who may see it too, so a mention never reaches someone who may not
read the comment (documents.services._mentioned applies the same rule when the comment is
stored). See docs/live-protocol.md, ``comment.created`` ``mentions``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from boardroom import policy
from boardroom.policy import Action

from .models import AgendaItem

MAX_SUGGESTIONS = 8


@login_required
@require_GET
def mention_suggestions(request: HttpRequest, pk: int) -> JsonResponse:
    """``[{username, name}]`` of people who may see item ``pk`` and match ``?q=`` (start of the
    username, first or last name), the asker left out; at most ``MAX_SUGGESTIONS``."""
    asker: User = request.user  # type: ignore[assignment]  # login_required
    item = policy.get_or_404(asker, Action.VIEW, AgendaItem.objects.select_related("meeting"), pk=pk)
    query = request.GET.get("q", "").strip().lstrip("@").lower()[:60]
    people = []
    for user in policy.audience(item).exclude(pk=asker.pk).order_by("first_name", "last_name", "username"):
        name = user.get_full_name() or user.get_username()
        words = [user.get_username().lower(), *name.lower().split()]
        if query and not any(word.startswith(query) for word in words):
            continue
        people.append({"username": user.get_username(), "name": name})
        if len(people) == MAX_SUGGESTIONS:
            break
    response = JsonResponse(people, safe=False)
    response["Cache-Control"] = "private, no-store"
    return response
