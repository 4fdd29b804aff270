"""A bubblewrap sandbox for the programs that read uploads: LibreOffice and OCRmyPDF.

A converter run through :func:`wrap` sees the system read-only (``/usr`` and the few files
under ``/etc`` that libraries and fonts need), its own folder read-write, an empty private
``/tmp``, a fresh ``/proc`` and a minimal ``/dev``, and nothing else: not the home folders,
not the data folder with other papers, not ``/run`` or ``/var``. It has no network at all (a
new network namespace holds only a loopback device of its own), no capabilities, its own PID
and IPC namespaces and session (so it cannot reach the terminal), and it dies with the
process that started it.

bubblewrap (``bwrap``, the Debian package ``bubblewrap``) works as an unprivileged user
through user namespaces, which Debian enables; as root it works too. Where it cannot start
(not installed, or user namespaces are switched off, as in some containers), Office uploads are
refused unless the administrator sets ``BOARDROOM_CONVERTER_SANDBOX=off`` (see README.md,
"Agendas and papers"). This module imports nothing from Django.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

UNAVAILABLE = (
    "Office documents cannot be converted safely on this server at the moment (the converter's "
    "sandbox could not start): upload the paper as a PDF, or ask the administrator to check the "
    "bubblewrap installation."
)

# Read-only system paths the converters need. Only what exists on this machine is bound.
_SYSTEM = ("/usr", "/etc/alternatives", "/etc/fonts", "/etc/libreoffice", "/etc/ghostscript", "/etc/ImageMagick-6")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/passwd", "/etc/group")
_CACHES = ("/var/cache/fontconfig",)
# Top-level names that are symbolic links into /usr on merged-/usr systems (Debian 12 and later).
_TOP_LEVEL = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def bwrap() -> str | None:
    return shutil.which("bwrap")


def wrap(cmd: Sequence[str], folder: Path) -> list[str]:
    """``cmd`` run inside the sandbox, with ``folder`` (absolute) as its only writable place."""
    binary = bwrap()
    if binary is None:
        raise FileNotFoundError("bwrap")
    folder = folder.resolve()
    args = [
        binary,
        "--unshare-all",  # user (where possible), IPC, PID, network, UTS and cgroup namespaces
        "--unshare-net",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
    ]
    for path in _TOP_LEVEL:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in (*_SYSTEM, *_SYSTEM_FILES, *_CACHES):
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",  # noqa: S108 - a private, empty tmpfs inside the sandbox  # nosec B108
        "--bind",
        str(folder),
        str(folder),
        "--chdir",
        str(folder),
        "--",
        *cmd,
    ]
    return args


@functools.cache
def available() -> bool:
    """Whether the sandbox starts here (checked once per process with a trivial command)."""
    if bwrap() is None:
        return False
    try:
        with tempfile.TemporaryDirectory(prefix="boardroom-sandbox-") as probe:
            # A fixed argument list, never a shell (bandit B603).
            done = subprocess.run(  # noqa: S603  # nosec B603
                wrap(["true"], Path(probe)),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
