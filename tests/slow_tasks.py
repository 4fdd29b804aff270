"""A task for the crash tests: it notes each start, waits for a "go" file, then notes that it
finished. A worker killed while it waits leaves it half-done, as a real crash would."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def note_when_allowed(folder: str) -> str:
    here = Path(folder)
    with (here / "started").open("a") as log:
        log.write(f"{os.getpid()}\n")
    while not (here / "go").exists():
        time.sleep(0.05)
    with (here / "finished").open("a") as log:
        log.write(f"{os.getpid()}\n")
    return "finished"
