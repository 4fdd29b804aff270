"""Archive PDFs are rendered in the background after the chair signs (or an amendment is made)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django_tasks import task

from boardroom import policy

from .models import Minutes, MinutesStatus


@task()
def render_minutes(minutes_id: int, actor_id: int | None = None, reason: str = "") -> str:
    """Render the full record and every cut its readers get. Returns the SHA-256 of the full render."""
    from . import services

    minutes = Minutes.objects.select_related("meeting").filter(pk=minutes_id).first()
    if minutes is None or minutes.status != MinutesStatus.SIGNED:
        return ""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    full = services.minutes_render(minutes=minutes, actor=actor, reason=reason)
    # Every reader's own cut (without the Part B or recused items they may not see), so each
    # person's page can show the fingerprint of the very file they will download.
    cuts = {tuple(services.reader_cut(reader, minutes)) for reader in policy.audience(minutes)}
    for items in sorted(cuts):
        if list(items) != sorted(full.items):
            services.minutes_render(minutes=minutes, items=list(items), actor=actor, reason=f"{reason}, reader's cut")
    return full.sha256
