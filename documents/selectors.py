"""Reads of papers that already respect the policy and the state of each upload."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from boardroom import policy
from boardroom.policy import Action, AnyUser
from meetings.models import AgendaItem

from .models import PageText, Paper, PaperVersion


def papers_for(user: AnyUser, item: AgendaItem) -> QuerySet[Paper]:
    """The papers of ``item`` this user may see, in order.

    The policy keeps a paper without a ready version (still being checked, or refused) to those
    who manage the board; the builder shows each one's latest upload with :func:`latest_uploads`.
    """
    papers = policy.visible(user, Paper.objects.filter(item=item)).select_related("current_version")
    return papers.order_by("position", "pk")


def latest_uploads(user: AnyUser, item: AgendaItem) -> list[tuple[Paper, PaperVersion | None]]:
    """For the builder: each paper of ``item`` with its newest version (processing, ready or
    refused, with the refusal reason on it). Empty for users who may not manage the item."""
    if not policy.can(user, Action.MANAGE, item):
        return []
    newest = PaperVersion.objects.order_by("-number").defer("page_diff", "thumbnails")
    papers = (
        Paper.objects.filter(item=item)
        .select_related("current_version")
        .prefetch_related(Prefetch("versions", queryset=newest, to_attr="newest_first"))
        .order_by("position", "pk")
    )
    return [(paper, paper.newest_first[0] if paper.newest_first else None) for paper in papers]  # type: ignore[attr-defined]


def versions_for(user: AnyUser, paper: Paper) -> QuerySet[PaperVersion]:
    """Every version of ``paper`` for those who manage it (older versions stay reachable);
    the ready ones for those who may only see it."""
    versions = policy.visible(user, PaperVersion.objects.filter(paper=paper)).order_by("-number")
    if not policy.can(user, Action.MANAGE, paper):
        versions = versions.filter(status="ready")
    return versions


def page_texts(version: PaperVersion) -> list[str]:
    """The text of each page of a version (index 0 is page 1)."""
    return list(PageText.objects.filter(version=version).order_by("number").values_list("text", flat=True))
