"""Running the ``adb`` binary: where it is, and a small injectable command runner.

The driver never calls :mod:`subprocess` itself; it hands argument lists to a :class:`Runner`. The real
one is :class:`SubprocessRunner`; tests give the driver a runner that serves recorded outputs and checks
the exact command lines (``tests/test_adb_driver.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from appaudit.device.driver import DeviceError


class CommandResult(Protocol):
    """What a runner returns; :class:`subprocess.CompletedProcess` with bytes output fits."""

    returncode: int
    stdout: bytes
    stderr: bytes


class Runner(Protocol):
    def run(self, args: Sequence[str], timeout: float) -> CommandResult:
        """Run ``args`` (no shell on the host), capture both streams, give up after ``timeout`` seconds."""
        ...


class SubprocessRunner:
    """Runs commands on the host with :func:`subprocess.run`; a timeout or a missing binary is a DeviceError."""

    def run(self, args: Sequence[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(list(args), capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise DeviceError(f"`{' '.join(args)}` did not finish within {timeout:g} s") from exc
        except OSError as exc:
            raise DeviceError(f"cannot run {args[0]!r}: {exc}") from exc


def find_adb() -> Path:
    """``adb`` from PATH, else ``$ANDROID_HOME``/``$ANDROID_SDK_ROOT``/platform-tools, else the adbutils copy.

    The `adbutils` package (not a dependency of appaudit) bundles an ``adb`` binary; when it happens to be
    installed its copy is used, so a user without the Android SDK still has a working driver.
    """
    found = shutil.which("adb")
    if found:
        return Path(found)
    for variable in ("ANDROID_HOME", "ANDROID_SDK_ROOT"):
        root = os.environ.get(variable)
        if root:
            for name in ("adb", "adb.exe"):
                candidate = Path(root) / "platform-tools" / name
                if candidate.is_file():
                    return candidate
    bundled = _adbutils_adb()
    if bundled is not None:
        return bundled
    raise DeviceError(
        "adb not found: install the Android SDK platform-tools and put `adb` on PATH, or set ANDROID_HOME "
        "(the directory that contains platform-tools/)"
    )


def _adbutils_adb() -> Path | None:
    try:
        import adbutils  # type: ignore[import-not-found]  # optional: only used when already installed
    except ImportError:
        return None
    locate = getattr(adbutils, "adb_path", None)
    if locate is None:
        return None
    try:
        path = Path(locate())
    except Exception:  # a broken optional package must not break the search
        return None
    return path if path.is_file() else None
