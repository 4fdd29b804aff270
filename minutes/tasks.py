"""Archive PDFs are rendered in the background after the chair signs (or an amendment is made)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django_tasks import task

from .models import MinuteItem, Minutes, MinutesStatus


@task()
def render_minutes(minutes_id: int, actor_id: int | None = None, reason: str = "") -> str:
    """Render the full record and, where the minutes hold Part B, the Part A cut members without
    Part B read. Returns the SHA-256 of the full render."""
    from . import services

    minutes = Minutes.objects.select_related("meeting").filter(pk=minutes_id).first()
    if minutes is None or minutes.status != MinutesStatus.SIGNED:
        return ""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    full = services.minutes_render(minutes=minutes, actor=actor, reason=reason)
    # What a member without Part B reads (the policy's rule for confidential items).
    part_a = list(
        MinuteItem.objects.filter(minutes=minutes, item__confidential=False).values_list("item_id", flat=True)
    )
    if len(part_a) != len(full.items):
        services.minutes_render(minutes=minutes, items=part_a, actor=actor, reason=f"{reason}, Part A")
    return full.sha256
