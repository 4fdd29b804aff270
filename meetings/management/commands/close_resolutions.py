"""``manage.py close_resolutions``: decide written resolutions whose deadline has passed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from meetings.services.resolutions import resolutions_close_due


class Command(BaseCommand):
    help = (
        "Decide every written resolution whose deadline has passed (it lapses unless enough members "
        "voted for it). Run it every few minutes from cron; running it twice, or alongside a page "
        "that closes one on read, decides each resolution once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        closed = resolutions_close_due()
        for resolution in closed:
            self.stdout.write(f"  {resolution.board.name}: resolution {resolution.pk} {resolution.status}")
        self.stdout.write(f"Closed {len(closed)} resolution{'s' if len(closed) != 1 else ''}.")
