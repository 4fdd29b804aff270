"""The one place the public site asks for approved minutes. Optional: nothing is shown without them.

The minutes app (built separately) may provide ``minutes.public.approved_minutes(meeting)``,
returning ``None`` until the minutes of ``meeting`` are approved, and then a mapping::

    {
        "approved_on": datetime.date,          # when the board approved them
        "approved_at": datetime.datetime,      # optional: the moment the approval was recorded
        "sections": {item_id: "text", ...},    # the minute of each agenda item
        "pdf_url": "/public/…/minutes.pdf",    # optional: a public PDF of the approved minutes
    }

Whatever it returns, this hook keeps only the sections of items the public may see
(``policy.public_visible``): a Part B minute never reaches a public page, even by mistake.
Answers to public questions live on ``public.models.PublicQuestion``; the minutes pull them
with ``public.selectors.answered_questions(meeting)``.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

from boardroom import policy
from meetings.models import AgendaItem, Meeting

PROVIDER = "minutes.public"


@dataclass(frozen=True)
class PublicMinutes:
    approved_on: dt.date | None
    approved_at: dt.datetime | None = None
    sections: dict[int, str] = field(default_factory=dict)  # public item id -> text
    pdf_url: str = ""


def _provider() -> Any:
    if not apps.is_installed("minutes"):
        return None
    try:
        module = importlib.import_module(PROVIDER)
    except ImportError:
        return None
    return getattr(module, "approved_minutes", None)


def approved_minutes(meeting: Meeting) -> PublicMinutes | None:
    """The approved minutes of a public meeting, cut to its public items; ``None`` if there are none."""
    provide = _provider()
    if provide is None or not policy.can_public(meeting):
        return None
    found = provide(meeting)
    if not isinstance(found, Mapping):
        return None
    sections = found.get("sections") or {}
    public_ids = set(policy.public_visible(AgendaItem.objects.filter(meeting=meeting)).values_list("pk", flat=True))
    kept = {int(k): str(v) for k, v in sections.items() if str(k).isdigit() and int(k) in public_ids and v}
    url = str(found.get("pdf_url") or "")
    approved_at = found.get("approved_at")
    return PublicMinutes(
        approved_on=found.get("approved_on"),
        approved_at=approved_at if isinstance(approved_at, dt.datetime) else None,
        sections=kept,
        pdf_url=url if url.startswith("/public/") else "",
    )
