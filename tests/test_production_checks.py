"""Production refuses to start without the address it is reached at, and mail never lands in the
logs (README.md, "Mail and site URL").

Production here is debug off with a DATABASE_URL. ``manage.py check`` runs in a child process with
its own environment (settings are read once per process); nothing connects to the database.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {"DATABASE_URL": "postgres://boardroom@127.0.0.1:9/boardroom", "BOARDROOM_DEBUG": "0"}


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    child = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOARDROOM_", "DATABASE_URL", "REDIS_URL", "S3_")) and k != "DJANGO_SETTINGS_MODULE"
    }
    child.update(BOARDROOM_DATA_DIR=str(tmp_path / "data"), BOARDROOM_SECRET_KEY="checks-test-key", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=child, capture_output=True, text=True, timeout=120
    )


def test_production_without_a_site_url_is_an_error(tmp_path: Path) -> None:
    done = manage(tmp_path, "check", **PRODUCTION)
    assert done.returncode != 0
    assert "boardroom.E001" in done.stderr
    assert "BOARDROOM_SITE_URL" in done.stderr


def test_production_with_a_site_url_passes_and_warns_about_missing_smtp(tmp_path: Path) -> None:
    done = manage(tmp_path, "check", BOARDROOM_SITE_URL="https://board.example.org", **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert "boardroom.E001" not in done.stdout + done.stderr
    assert "boardroom.W001" in done.stdout + done.stderr
    configured = manage(
        tmp_path,
        "check",
        BOARDROOM_SITE_URL="https://board.example.org",
        BOARDROOM_SMTP_HOST="smtp.example.org",
        **PRODUCTION,
    )
    assert configured.returncode == 0, configured.stderr
    assert "boardroom.W001" not in configured.stdout + configured.stderr


@pytest.mark.parametrize("env", [{"BOARDROOM_DEBUG": "1", "DATABASE_URL": PRODUCTION["DATABASE_URL"]}, {}])
def test_debug_and_the_embedded_mode_keep_the_default_site_url(tmp_path: Path, env: dict[str, str]) -> None:
    done = manage(tmp_path, "check", **env)
    assert done.returncode == 0, done.stderr
    assert "boardroom.E001" not in done.stdout + done.stderr


DESCRIBE_MAIL = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.EMAIL_BACKEND, getattr(s, 'EMAIL_PORT', None), getattr(s, 'EMAIL_USE_SSL', None), "
    "getattr(s, 'EMAIL_USE_TLS', None)]))"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BOARDROOM_DEBUG": "1"}, ["django.core.mail.backends.console.EmailBackend", 25, False, False]),
        ({}, ["boardroom.mail.UnsentBackend", 25, False, False]),
        (
            {"BOARDROOM_SMTP_HOST": "smtp.example.org"},
            ["django.core.mail.backends.smtp.EmailBackend", 587, False, True],
        ),
        (
            {"BOARDROOM_SMTP_HOST": "smtp.example.org", "BOARDROOM_SMTP_SSL": "1"},
            ["django.core.mail.backends.smtp.EmailBackend", 465, True, False],
        ),
    ],
)
def test_mail_goes_to_smtp_and_the_console_only_in_debug(tmp_path: Path, env: dict[str, str], expected: Any) -> None:
    child = {k: v for k, v in os.environ.items() if not k.startswith("BOARDROOM_")}
    child.update(
        DJANGO_SETTINGS_MODULE="boardroom.settings",
        BOARDROOM_DATA_DIR=str(tmp_path / "data"),
        BOARDROOM_SECRET_KEY="mail-test-key",
        PYTHONPATH=str(BASE_DIR),
        **env,
    )
    done = subprocess.run(
        [sys.executable, "-c", DESCRIBE_MAIL], cwd=BASE_DIR, env=child, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected


def test_unsent_mail_is_logged_without_addresses_or_subject(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.EMAIL_BACKEND = "boardroom.mail.UnsentBackend"
    with caplog.at_level(logging.INFO):
        sent = mail.send_mail("Papers for the Finance meeting", "body", None, ["aisha@example.org", "tom@example.org"])
    assert sent == 0
    logged = caplog.text
    assert "Mail not sent (2 recipient(s))" in logged
    assert "example.org" not in logged and "Finance" not in logged
