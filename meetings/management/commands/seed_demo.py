"""``manage.py seed_demo``: a realistic demo charity board, with people, meetings and papers."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from meetings import demo


class Command(BaseCommand):
    help = (
        "Create the demo organisation Riverside Community Trust: two boards, eight people, four meetings "
        "with agendas and generated PDF papers. Safe to run again: it only adds what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--papers",
            choices=["all", "few"],
            default="all",
            help="'few' generates two papers a meeting (for tests); default: all",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        self.stdout.write("Seeding Riverside Community Trust…")
        report = demo.seed(papers=options["papers"], log=self.stdout.write)
        elapsed = time.perf_counter() - started
        if report.created:
            made = ", ".join(f"{count} {kind}" for kind, count in report.created.items())
            self.stdout.write(self.style.SUCCESS(f"Created {made} in {elapsed:.1f} s."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Nothing to add: the demo was already complete ({elapsed:.1f} s)."))
        self.stdout.write("")
        self.stdout.write(self._table(("Username", "Name", "Role(s)"), report.rows))
        self.stdout.write("")
        self.stdout.write(f"Password for every demo login: {demo.PASSWORD}")
        self.stdout.write(f"Open {demo.URL} and sign in.")
        self.stdout.write(
            "Chairs, secretaries and administrators (margaret, david, priya, admin) set up two-step sign-in "
            "with an authenticator app the first time they sign in; members go straight in."
        )

    @staticmethod
    def _table(header: tuple[str, ...], rows: list[tuple[str, str, str]]) -> str:
        widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)).rstrip(),
            "  ".join("-" * width for width in widths),
        ]
        lines += [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
        return "\n".join(lines)
