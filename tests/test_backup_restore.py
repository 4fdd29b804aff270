"""The backup and restore procedure of README.md ("Backup and restore"), carried out for real.

A board with papers and an audit trail is backed up (the database dumped, the
stored files copied), restored into a fresh database and a fresh bucket or folder, and a Boardroom
process pointed at the restored copy verifies the audit chain (``manage.py audit_verify``) and
reads every stored file of every paper, whose SHA-256 must match what was stored before.

- Under scripts/test-services.sh: ``pg_dump --format=custom`` and ``pg_restore`` into a new
  PostgreSQL database; every object copied into a new bucket of the S3 server.
- Embedded: SQLite's online backup (what ``sqlite3 boardroom.sqlite3 ".backup FILE"`` does) and a
  copy of the files folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from boardroom.models import AuditEvent
from documents.models import PaperVersion
from tests.conftest import BoardWorld

BASE_DIR = Path(__file__).resolve().parent.parent

HASHES = """
import hashlib, json

import django

django.setup()

from documents.models import PackCopy, PaperVersion

from django.core.files.storage import default_storage

found = {}
for version in PaperVersion.objects.all():
    for key in version.stored_keys():
        with default_storage.open(key, "rb") as handle:
            found[key] = hashlib.sha256(handle.read()).hexdigest()
print(json.dumps(found))
"""


def stored_hashes() -> dict[str, str]:
    """SHA-256 of every stored file of every paper version: rendition, original, thumbnails."""
    found = {}
    for version in PaperVersion.objects.all():
        for key in version.stored_keys():
            with default_storage.open(key, "rb") as handle:
                found[key] = hashlib.sha256(handle.read()).hexdigest()
        if version.file.name:
            assert found[version.file.name] == version.sha256
    return found


def restored_env(**env: str) -> dict[str, str]:
    child = {k: v for k, v in os.environ.items() if not k.startswith(("BOARDROOM_DATA_DIR", "DATABASE_URL", "S3_"))}
    child.update(
        DJANGO_SETTINGS_MODULE="boardroom.settings",
        PYTHONPATH=str(BASE_DIR),
        # The restored site needs the same secret key (sessions, and the audit seal when no
        # BOARDROOM_AUDIT_KEY is set): README.md says to keep it with the backup.
        BOARDROOM_SECRET_KEY=settings.SECRET_KEY,
        BOARDROOM_SITE_URL="https://board.example.org",
        **env,
    )
    child.pop("BOARDROOM_TASKS", None)
    return child


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300)  # nosec B603
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def verify_restored(env: dict[str, str], before: dict[str, str], audit_entries: int) -> None:
    verified = run([sys.executable, "manage.py", "audit_verify"], env)
    assert f"Audit chain intact: {audit_entries} entries verified" in verified
    after = json.loads(run([sys.executable, "-c", HASHES], env).strip().splitlines()[-1])
    assert after == before


@pytest.fixture
def papers(live_world: BoardWorld) -> BoardWorld:
    """The world's board, committed: papers with renditions, originals and thumbnails, and an audit trail."""
    assert PaperVersion.objects.exclude(file="").exists()
    return live_world


def _pg_params() -> dict[str, str]:
    conf = connection.settings_dict
    return {
        "PGHOST": str(conf.get("HOST") or "127.0.0.1"),
        "PGPORT": str(conf.get("PORT") or 5432),
        "PGUSER": str(conf.get("USER") or "postgres"),
        "PGPASSWORD": str(conf.get("PASSWORD") or ""),
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL and S3 run under scripts/test-services.sh")
def test_pg_dump_and_a_bucket_copy_restore_into_a_fresh_database_and_bucket(papers: BoardWorld, tmp_path: Path) -> None:
    before = stored_hashes()
    entries = AuditEvent.objects.count()
    assert before and entries

    # Back up: the database with pg_dump, the bucket object by object (aws s3 sync / rclone do this).
    pg_env = {**os.environ, **_pg_params()}
    dump = tmp_path / "boardroom.dump"
    name = str(connection.settings_dict["NAME"])
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", name], env=pg_env, check=True)
    storage: Any = default_storage
    s3 = storage.connection.meta.client
    source = storage.bucket_name
    target = f"restore-{uuid.uuid4().hex[:12]}"
    restored_db = f"{name}_restore_{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=target)
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=source):
            for item in page.get("Contents", []):
                s3.copy_object(Bucket=target, Key=item["Key"], CopySource={"Bucket": source, "Key": item["Key"]})

        # Restore into a database and a bucket that never held anything.
        subprocess.run(["createdb", restored_db], env=pg_env, check=True)
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_db}", str(dump)],
            env=pg_env,
            check=True,
        )
        params = _pg_params()
        url = (
            f"postgres://{params['PGUSER']}:{params['PGPASSWORD']}@{params['PGHOST']}:{params['PGPORT']}/{restored_db}"
        )
        env = restored_env(
            DATABASE_URL=url,
            S3_BUCKET=target,
            S3_ENDPOINT_URL=os.environ["S3_ENDPOINT_URL"],
            S3_ACCESS_KEY_ID=os.environ.get("S3_ACCESS_KEY_ID", ""),
            S3_SECRET_ACCESS_KEY=os.environ.get("S3_SECRET_ACCESS_KEY", ""),
            S3_REGION=os.environ.get("S3_REGION", "us-east-1"),
        )
        verify_restored(env, before, entries)
    finally:
        subprocess.run(["dropdb", "--if-exists", restored_db], env=pg_env, check=False)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=target):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=target, Key=item["Key"])
        s3.delete_bucket(Bucket=target)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded procedure (SQLite and a folder)")
def test_sqlite_backup_and_a_folder_copy_restore_into_a_fresh_data_folder(papers: BoardWorld, tmp_path: Path) -> None:
    before = stored_hashes()
    entries = AuditEvent.objects.count()
    assert before and entries

    restored = tmp_path / "restored"
    restored.mkdir()
    with (
        sqlite3.connect(str(connection.settings_dict["NAME"])) as live,
        sqlite3.connect(restored / "boardroom.sqlite3") as copy,
    ):
        live.backup(copy)
    shutil.copytree(Path(default_storage.location), restored / "files")  # type: ignore[attr-defined]

    verify_restored(restored_env(BOARDROOM_DATA_DIR=str(restored)), before, entries)
