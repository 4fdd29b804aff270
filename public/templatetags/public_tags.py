"""Addresses on the public site, for templates."""

from __future__ import annotations

from django import template

from documents.models import Paper
from meetings.models import Board, Meeting, Motion

from .. import selectors

register = template.Library()


@register.simple_tag
def public_meeting_url(meeting: Meeting) -> str:
    return selectors.meeting_url(meeting)


@register.simple_tag
def public_paper_url(paper: Paper, board: Board) -> str:
    return selectors.paper_url(paper, board)


@register.simple_tag
def public_decision_url(motion: Motion, board: Board) -> str:
    return selectors.decision_url(motion, board)
