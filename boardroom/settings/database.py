"""Database: SQLite in WAL mode by default, PostgreSQL (psycopg 3) when DATABASE_URL is set."""

import os
import tempfile
from pathlib import Path

import dj_database_url

from .env import DATA_DIR, env_int, env_str

_url = env_str("DATABASE_URL")

if _url:
    DATABASES = {
        "default": dj_database_url.parse(
            _url, conn_max_age=env_int("BOARDROOM_DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "boardroom.sqlite3"),
            "OPTIONS": {
                # WAL lets readers carry on while one writer commits; IMMEDIATE takes the
                # write lock at BEGIN so two writers queue instead of failing mid-transaction.
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Tests use a file too (not Django's in-memory default) so that several threads and
            # processes share it with the same locking as production; one per test process.
            "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"boardroom-test-{os.getpid()}.sqlite3")},
        }
    }
