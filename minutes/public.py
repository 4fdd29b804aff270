"""What the public site may show of a meeting's minutes: approved (or signed) minutes only, as
plain text per agenda item. ``public.minutes_hook`` keeps only items the public may see, so a
Part B minute never reaches a public page even if it were handed over here."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from meetings.models import Meeting

from .models import Minutes, MinutesStatus
from .text import html_to_text


def approved_minutes(meeting: Meeting) -> dict[str, Any] | None:
    minutes = (
        Minutes.objects.filter(meeting=meeting, status__in=(MinutesStatus.APPROVED, MinutesStatus.SIGNED))
        .prefetch_related("entries")
        .first()
    )
    if minutes is None or minutes.approved_at is None:
        return None
    sections = {entry.item_id: html_to_text(entry.body) for entry in minutes.entries.all() if entry.body.strip()}
    return {
        "approved_on": timezone.localdate(minutes.approved_at),
        "approved_at": minutes.approved_at,
        "sections": sections,
    }
