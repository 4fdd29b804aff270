"""Run every bench: ``python -m bench [--quick] [name ...]`` from the repository root.

Each ``bench/<name>.py`` (files starting with ``_`` are helpers) runs in its own process as
``python -m bench.<name>``, with ``--quick`` when asked and the bench takes it (a bench without a
quick mode is skipped in a quick run, never run at full length). Prints every bench's output as
it comes, then the ``BENCH`` lines together. Exits non-zero when a bench crashed or overran its
time; a target that is not met is printed, not failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time

from bench import ROOT, child_env, load_average, module_command

BENCH_DIR = ROOT / "bench"


def discover() -> list[str]:
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))


def takes_quick(name: str) -> bool:
    return "--quick" in (BENCH_DIR / f"{name}.py").read_text(encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each bench's short run (CI's lint stage)")
    parser.add_argument("--timeout", type=float, default=0, help="seconds per bench (default: 240 quick, none)")
    parser.add_argument("names", nargs="*", help="only these benches (default: all)")
    args = parser.parse_args()
    names = args.names or discover()
    unknown = [n for n in names if not (BENCH_DIR / f"{n}.py").exists() or n.startswith("_")]
    if unknown:
        parser.error(f"no such bench: {', '.join(unknown)} (have: {', '.join(discover())})")
    timeout = args.timeout or (240 if args.quick else None)

    print(f"bench runner: {len(names)} benches{' (quick)' if args.quick else ''}; {load_average()}", flush=True)
    failed: list[str] = []
    lines: list[str] = []
    started_all = time.monotonic()
    for name in names:
        if args.quick and not takes_quick(name):
            print(f"=== bench.{name}: skipped (no --quick mode)", flush=True)
            continue
        command = module_command(name, *(["--quick"] if args.quick else []))
        print(f"=== {' '.join(['python', *command[1:]])}", flush=True)
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        overran = threading.Event()

        def stop(process: subprocess.Popen[str] = process, overran: threading.Event = overran) -> None:
            overran.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the bench and the servers it started

        watchdog = threading.Timer(timeout, stop) if timeout else None
        if watchdog:
            watchdog.start()
        seen: list[str] = []
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if re.match(r"BENCH \S+ ", line):
                seen.append(line.rstrip())
        code = process.wait()
        if watchdog:
            watchdog.cancel()
        if overran.is_set():
            print(f"!!! bench.{name} overran {timeout:.0f} s", flush=True)
            code = code or -1
        elapsed = time.monotonic() - started
        if code != 0:
            failed.append(name)
            print(f"!!! bench.{name} failed (exit {code}) after {elapsed:.0f} s", flush=True)
        else:
            print(f"=== bench.{name}: done in {elapsed:.0f} s", flush=True)
        lines += seen or [f"(bench.{name} printed no BENCH line)"]

    print(f"\n=== summary ({time.monotonic() - started_all:.0f} s; {load_average()})")
    for line in lines:
        print(line)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
