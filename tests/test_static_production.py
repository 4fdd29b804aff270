"""Static files after `collectstatic`, as production serves them: hashed names sent immutable,
Brotli or gzip to browsers that take them, module imports rewritten to the hashed names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.templatetags.static import static
from django.test import Client
name = static("js/offline.js")
client = Client()
out = {"manifest": settings.STATIC_MANIFEST, "name": name}
for accept in ("br, gzip", "gzip", ""):
    response = client.get(name, HTTP_ACCEPT_ENCODING=accept)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    out[accept or "identity"] = {
        "status": response.status_code,
        "encoding": response.get("Content-Encoding", ""),
        "cache": response.get("Cache-Control", ""),
        "bytes": len(body),
    }
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("production-data")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "S3_"))}
    env.update(BOARDROOM_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="boardroom.settings")
    env.pop("BOARDROOM_DEBUG", None)
    # The vendored PDF.js and the admin's files are the slow part; the rule is the same for them.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0", "-i", "vendor", "-i", "admin"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=240,
    )
    return env


def test_hashed_static_files_are_served_immutable_and_compressed(collected: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=collected, check=True, capture_output=True, text=True, timeout=120
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["manifest"] is True
    assert seen["name"].startswith("/static/js/offline.") and seen["name"] != "/static/js/offline.js"
    assert seen["br, gzip"]["status"] == 200 and seen["br, gzip"]["encoding"] == "br"
    assert seen["gzip"]["encoding"] == "gzip"
    assert seen["identity"]["encoding"] == ""
    assert seen["br, gzip"]["bytes"] < seen["identity"]["bytes"]
    for variant in ("br, gzip", "gzip", "identity"):
        assert "immutable" in seen[variant]["cache"], seen[variant]


def test_module_imports_point_at_hashed_names(collected: dict[str, str]) -> None:
    folder = Path(collected["BOARDROOM_DATA_DIR"]) / "staticfiles" / "js"
    manifest = json.loads((folder.parent / "staticfiles.json").read_text())["paths"]
    hashed = (folder.parent / manifest["js/offline.js"]).read_text()
    assert f'from "./{Path(manifest["js/offline-store.js"]).name}"' in hashed
