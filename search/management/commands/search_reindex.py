"""Rebuild the whole search index (after a restore, or to catch up if tasks were lost)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from search import indexing


class Command(BaseCommand):
    help = "Rebuild the search index of paper pages, minutes, decisions and actions."

    def handle(self, *args: Any, **options: Any) -> None:
        total = indexing.reindex_all()
        self.stdout.write(f"Indexed {total} entries.")
