"""The register's pieces on other apps' pages: the prompt on the meeting page, the matches on
the publish page and the link on the board page. Each asks the policy through the selectors."""

from __future__ import annotations

from typing import Any

from django import template

from meetings.models import Board, Meeting

from .. import selectors

register = template.Library()


@register.inclusion_tag("interests/_meeting_prompt.html", takes_context=True)
def interest_prompts(context: dict[str, Any], meeting: Meeting) -> dict[str, Any]:
    """ "Your registered interests may concern these items", for the person signed in. Nothing
    in the secretary's "see what they see" preview (it is someone else's page, and inert)."""
    request = context["request"]
    if context.get("view_as"):
        return {"prompts": []}
    items = context.get("items")
    return {
        "meeting": meeting,
        "prompts": selectors.prompts_for(request.user, meeting, list(items) if items is not None else None),
    }


@register.inclusion_tag("interests/_publish_matches.html", takes_context=True)
def interest_publish_matches(context: dict[str, Any], meeting: Meeting) -> dict[str, Any]:
    """Before publishing: the items that may concern a member's registered interest."""
    request = context["request"]
    return {
        "meeting": meeting,
        "shown": selectors.may_read_register(request.user, meeting.board),
        "matches": selectors.meeting_matches(request.user, meeting),
    }


@register.inclusion_tag("interests/_register_link.html", takes_context=True)
def register_link(context: dict[str, Any], board: Board) -> dict[str, Any]:
    return {"board": board, "shown": selectors.may_read_register(context["request"].user, board)}
