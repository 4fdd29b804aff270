"""/healthz says the process is alive; /readyz says whether it can serve: the database, the channel
layer (Redis) and the file storage each answer within a short timeout, or the answer is a 503 that
names the check that failed (README.md, "Health checks").

A service that is down is simulated the way an operator meets it: its address points at a port
nothing listens on, or the files folder cannot be made. Settings are read once per process, so
those cases run in a child process with their own environment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from boardroom.settings.env import SERVICE_VARIABLES

BASE_DIR = Path(__file__).resolve().parent.parent


PROBE = """
import json

import django

django.setup()

from django.test import Client

answer = Client().get("/readyz")
print(json.dumps({"status": answer.status_code, "body": answer.json()}))
"""


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def probe(tmp_path: Path, **env: str) -> dict[str, Any]:
    child_env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES and not k.startswith("BOARDROOM_")}
    child_env.update(
        DJANGO_SETTINGS_MODULE="boardroom.settings",
        BOARDROOM_DATA_DIR=str(tmp_path / "data"),
        BOARDROOM_SECRET_KEY="readyz-test-key",
        PYTHONPATH=str(BASE_DIR),
        S3_ACCESS_KEY_ID="testing",
        S3_SECRET_ACCESS_KEY="testing",
    )
    child_env.update(env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=child_env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_healthz_is_alive_without_touching_services(client: Client, db: None) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.content == b"ok"
    assert "no-cache" in answer["Cache-Control"]


def test_readyz_is_200_when_every_service_answers(client: Client, db: None) -> None:
    """In this run's own mode (embedded, or PostgreSQL + Redis + S3 under test-services)."""
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "storage"}
    assert all(check["ok"] for check in body["checks"].values()), body


def test_readyz_embedded_reports_each_check(tmp_path: Path) -> None:
    result = probe(tmp_path)
    assert result["status"] == 200
    checks = result["body"]["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["channel_layer"]["status"] == "in-memory"
    assert checks["storage"]["status"] == "ok"


@pytest.mark.parametrize(
    ("failing", "env"),
    [
        ("database", lambda port, tmp: {"DATABASE_URL": f"postgres://boardroom@127.0.0.1:{port}/boardroom"}),
        ("channel_layer", lambda port, tmp: {"REDIS_URL": f"redis://127.0.0.1:{port}/0"}),
        (
            "storage",
            lambda port, tmp: {"S3_BUCKET": "papers", "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}"},
        ),
    ],
)
def test_readyz_is_503_when_a_service_is_down(tmp_path: Path, failing: str, env: Any) -> None:
    """Each service in turn on a closed port: 503, that check failed, the others still pass."""
    result = probe(tmp_path, **env(closed_port(), tmp_path))
    assert result["status"] == 503, result
    body = result["body"]
    assert body["status"] == "unavailable"
    assert body["checks"][failing]["ok"] is False
    assert body["checks"][failing]["error"]
    for name, check in body["checks"].items():
        if name != failing:
            assert check["ok"] is True, (name, body)
    # Error classes only: the answer names no host or port.
    assert "127.0.0.1" not in json.dumps(body)


def test_readyz_is_503_when_the_files_folder_cannot_be_made(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "files").write_text("a file where the folder of papers should be")
    result = probe(tmp_path)
    assert result["status"] == 503, result
    assert result["body"]["checks"]["storage"]["ok"] is False
    assert result["body"]["checks"]["database"]["ok"] is True
