"""Benchmarks (not tests): each prints the work it did, its baseline's work beside it, and one
``BENCH <name> ratio=<v> target=<v> met|not-met`` line.

Run them as modules from the repository root (``python -m bench.pack``, or every one of them
with ``python -m bench``): bench/ is then never on ``sys.path`` itself, so ``bench/search.py``
cannot hide the ``search`` app. A bench started as a file re-runs itself as a module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_command(name: str, *args: str) -> list[str]:
    """The command that runs ``bench/<name>.py`` as a module of this package."""
    return [sys.executable, "-m", f"bench.{name}", *args]


def child_env(drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """This process's environment with the repository root first on PYTHONPATH (a child started
    with ``-m bench.<name>`` or ``manage.py`` then imports the apps, never a bench file)."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.update(extra)
    return env


def load_average() -> str:
    """The 1/5/15-minute load averages, printed beside every verdict: the machine is shared."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load n/a"
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def verdict(name: str, ratio: float, target: float, met: bool | None = None) -> bool:
    """Print the one machine-readable line of a bench (ratio ≤ target unless ``met`` says)."""
    ok = ratio <= target if met is None else met
    print(f"{name}: {load_average()}")
    print(f"BENCH {name} ratio={ratio:.2f} target={target:g} {'met' if ok else 'not-met'}")
    sys.stdout.flush()
    return ok
