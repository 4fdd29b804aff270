"""System checks for running in production (README.md, "Running in production").

Production here means debug off with a DATABASE_URL: the embedded mode and ``make run`` keep
their defaults. ``manage.py`` commands (migrate, collectstatic, task_worker…) run these checks
and stop on an error; ASGI servers run no checks, so the same problems are logged at start
(``warn_at_start``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

logger = logging.getLogger("boardroom")


def production() -> bool:
    return not settings.DEBUG and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"


def _problems() -> list[CheckMessage]:
    if not production():
        return []
    found: list[CheckMessage] = []
    if not getattr(settings, "BOARDROOM_SITE_URL_SET", True):
        found.append(
            Error(
                "BOARDROOM_SITE_URL is not set: links in email, calendar files and feeds would point "
                f"at {settings.BOARDROOM_SITE_URL}.",
                hint="Set it to the address members use, e.g. BOARDROOM_SITE_URL=https://board.example.org",
                id="boardroom.E001",
            )
        )
    if settings.EMAIL_BACKEND == "boardroom.mail.UnsentBackend":
        found.append(
            Warning(
                "No SMTP server is configured: notices and sign-in mail are not sent.",
                hint="Set BOARDROOM_SMTP_HOST (and BOARDROOM_SMTP_USER, BOARDROOM_SMTP_PASSWORD).",
                id="boardroom.W001",
            )
        )
    return found


@register(Tags.compatibility)
def production_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return _problems()


def warn_at_start() -> None:
    for problem in _problems():
        logger.warning("%s (%s) %s", problem.msg, problem.id, problem.hint or "")
