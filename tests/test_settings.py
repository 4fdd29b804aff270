"""The run modes: with no environment variables Boardroom runs embedded (SQLite in WAL mode,
in-memory channel layer, files on disk, tasks in process); DATABASE_URL, REDIS_URL, S3_* and
BOARDROOM_TASKS switch each concern to its service.

Settings are read once per process, so the switching is proved by loading them afresh in a
child process with a controlled environment. The tests of the process's own mode skip in the
other mode.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages

from boardroom.settings.env import SERVICE_VARIABLES

BASE_DIR = Path(__file__).resolve().parent.parent


# Loads the settings, builds each configured component (nothing here opens a network
# connection) and prints what was chosen.
DESCRIBE = textwrap.dedent(
    """
    import json

    import django

    django.setup()

    from channels.layers import get_channel_layer
    from django.conf import settings
    from django.core.files.storage import storages
    from django_tasks import task_backends

    db = settings.DATABASES["default"]
    storage = storages["default"]
    layer = get_channel_layer()
    tasks = task_backends["default"]
    print(json.dumps({
        "db_engine": db["ENGINE"],
        "db_name": str(db["NAME"]),
        "db_host": db.get("HOST", ""),
        "db_port": db.get("PORT", ""),
        "db_user": db.get("USER", ""),
        "db_conn_max_age": db.get("CONN_MAX_AGE"),
        "layer": type(layer).__module__ + "." + type(layer).__name__,
        "layer_hosts": [str(h) for h in getattr(layer, "hosts", [])],
        "storage": type(storage).__module__ + "." + type(storage).__name__,
        "storage_bucket": getattr(storage, "bucket_name", None),
        "storage_endpoint": getattr(storage, "endpoint_url", None),
        "storage_region": getattr(storage, "region_name", None),
        "storage_prefix": getattr(storage, "location", None),
        "storage_querystring_auth": getattr(storage, "querystring_auth", None),
        "storage_file_overwrite": getattr(storage, "file_overwrite", None),
        "storage_acl": getattr(storage, "default_acl", "unset"),
        "tasks": type(tasks).__module__ + "." + type(tasks).__name__,
        "secure_cookies": settings.SESSION_COOKIE_SECURE,
        "debug": settings.DEBUG,
    }))
    """
)


def _child_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The current environment without any service variable, with its own data folder."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES and not k.startswith("BOARDROOM_")}
    env.update(
        DJANGO_SETTINGS_MODULE="boardroom.settings",
        BOARDROOM_DATA_DIR=str(tmp_path / "data"),
        BOARDROOM_SECRET_KEY="settings-test-key",
        PYTHONPATH=str(BASE_DIR),
    )
    env.update(overrides)
    return env


def run_python(code: str, tmp_path: Path, **env: str) -> Any:
    """Run ``code`` in a fresh interpreter and return the JSON it printed last."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=_child_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def describe(tmp_path: Path, **env: str) -> dict[str, Any]:
    return run_python(DESCRIBE, tmp_path, **env)


SERVICES_ENV = {
    "DATABASE_URL": "postgres://boardroom:secret@db.internal:5433/boardroom",
    "REDIS_URL": "redis://cache.internal:6380/2",
    "S3_ENDPOINT_URL": "http://objects.internal:9000",
    "S3_BUCKET": "papers-bucket",
    "S3_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "S3_SECRET_ACCESS_KEY": "example-secret",
    "S3_REGION": "eu-west-2",
    "S3_PREFIX": "boardroom",
}


# --- Loaded afresh: both modes ---------------------------------------------------------------


def test_no_environment_runs_everything_embedded(tmp_path):
    chosen = describe(tmp_path)

    assert chosen["db_engine"] == "django.db.backends.sqlite3"
    assert chosen["db_name"] == str((tmp_path / "data" / "boardroom.sqlite3").resolve())
    assert chosen["layer"] == "channels.layers.InMemoryChannelLayer"
    assert chosen["storage"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert chosen["tasks"] == "django_tasks.backends.immediate.ImmediateBackend"
    assert chosen["debug"] is False


def test_embedded_sqlite_connection_is_in_wal_mode(tmp_path):
    """A real connection to the file database, opened through Django, reports WAL, foreign keys
    on and a busy timeout, so readers carry on while a writer commits."""
    pragmas = run_python(
        textwrap.dedent(
            """
            import json

            import django

            django.setup()
            from django.db import connection

            with connection.cursor() as cursor:
                values = {}
                for pragma in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous"):
                    cursor.execute(f"PRAGMA {pragma}")
                    values[pragma] = cursor.fetchone()[0]
                cursor.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY)")
                cursor.execute("INSERT INTO probe DEFAULT VALUES")
            values["file"] = connection.settings_dict["NAME"]
            print(json.dumps(values))
            """
        ),
        tmp_path,
    )

    assert pragmas["journal_mode"] == "wal"
    assert pragmas["foreign_keys"] == 1
    assert pragmas["busy_timeout"] == 5000
    assert pragmas["synchronous"] == 1  # NORMAL
    database = Path(pragmas["file"])
    assert database.parent == (tmp_path / "data").resolve()
    # WAL mode is a property of the file: a plain sqlite3 connection sees it too.
    with sqlite3.connect(database) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert plain.execute("SELECT count(*) FROM probe").fetchone()[0] == 1


def test_service_variables_switch_every_concern_to_its_service(tmp_path):
    chosen = describe(tmp_path, **SERVICES_ENV)

    assert chosen["db_engine"] == "django.db.backends.postgresql"
    assert (chosen["db_host"], chosen["db_port"], chosen["db_name"], chosen["db_user"]) == (
        "db.internal",
        5433,
        "boardroom",
        "boardroom",
    )
    assert chosen["db_conn_max_age"] == 0  # pooled (README.md, "Database pool")
    assert chosen["layer"] == "channels_redis.core.RedisChannelLayer"
    assert "cache.internal" in chosen["layer_hosts"][0]
    assert chosen["storage"] == "boardroom.objectstore.S3Storage"
    assert chosen["storage_bucket"] == "papers-bucket"
    assert chosen["storage_endpoint"] == "http://objects.internal:9000"
    assert chosen["storage_region"] == "eu-west-2"
    assert chosen["storage_prefix"] == "boardroom"
    # Papers are private: no public ACL, signed URLs only, an upload never replaces another file.
    assert chosen["storage_acl"] is None
    assert chosen["storage_querystring_auth"] is True
    assert chosen["storage_file_overwrite"] is False
    # Tasks stay in process unless asked for separately.
    assert chosen["tasks"] == "django_tasks.backends.immediate.ImmediateBackend"


@pytest.mark.parametrize(
    ("variable", "value", "key", "expected"),
    [
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test", "db_engine", "django.db.backends.postgresql"),
        ("REDIS_URL", "redis://127.0.0.1:6379/0", "layer", "channels_redis.core.RedisChannelLayer"),
        ("S3_BUCKET", "only-the-bucket", "storage", "boardroom.objectstore.S3Storage"),
    ],
)
def test_each_service_variable_switches_only_its_own_concern(tmp_path, variable, value, key, expected):
    embedded = describe(tmp_path)
    chosen = describe(tmp_path, **{variable: value})

    assert chosen[key] == expected
    for other in ("db_engine", "layer", "storage", "tasks"):
        if other != key:
            assert chosen[other] == embedded[other], other


def test_boardroom_tasks_database_queues_tasks_in_the_database(tmp_path):
    chosen = describe(tmp_path, BOARDROOM_TASKS="database")

    assert chosen["tasks"] == "django_tasks_db.backend.DatabaseBackend"
    assert chosen["db_engine"] == "django.db.backends.sqlite3"


def test_https_makes_cookies_secure(tmp_path):
    assert describe(tmp_path)["secure_cookies"] is False
    assert describe(tmp_path, BOARDROOM_HTTPS="1")["secure_cookies"] is True


# --- This process's own mode ----------------------------------------------------------------

services_mode = bool(os.environ.get("DATABASE_URL"))
embedded_only = pytest.mark.skipif(services_mode, reason="embedded mode only: DATABASE_URL is set")
services_only = pytest.mark.skipif(
    not services_mode, reason="service mode only: run `make test-services` (DATABASE_URL is not set)"
)


@embedded_only
def test_this_run_is_embedded(db):
    from channels.layers import get_channel_layer
    from django.db import connection

    assert connection.vendor == "sqlite"
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert type(get_channel_layer()).__name__ == "InMemoryChannelLayer"
    assert isinstance(storages["default"], FileSystemStorage)


@services_only
def test_this_run_uses_postgresql(db):
    from django.db import connection

    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="service mode only: REDIS_URL is not set")
async def test_this_run_relays_through_redis():
    from channels.layers import get_channel_layer
    from channels_redis.core import RedisChannelLayer

    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    channel = await layer.new_channel()
    await layer.group_add("settings-test", channel)
    try:
        await layer.group_send("settings-test", {"type": "probe", "n": 7})
        assert await layer.receive(channel) == {"type": "probe", "n": 7}
    finally:
        await layer.group_discard("settings-test", channel)
