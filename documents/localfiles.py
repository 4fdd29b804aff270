"""Stored files as local paths, for the libraries (pikepdf, pdfium) that want a file on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.files.storage import default_storage

CHUNK = 1024 * 1024


def local_path(name: str, folder: Path) -> Path:
    """The stored file ``name`` on local disk: the file itself with the embedded storage, else
    (S3) a copy made in ``folder``, which the caller cleans up."""
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:
        path = folder / Path(name).name
        with default_storage.open(name, "rb") as source, path.open("wb") as target:
            shutil.copyfileobj(source, target, CHUNK)
        return path
