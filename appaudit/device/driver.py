"""The device driver interface: the few operations appaudit needs from a device.

Implementations: :class:`appaudit.device.adb.AdbDriver` (a real device or emulator over adb) and
:class:`appaudit.device.simulated.SimulatedDevice` (scenario files, for tests and the demo). Coordinates
are screen pixels. Errors are :class:`DeviceError` with a message a user can act on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from appaudit.errors import AppauditError, ExitCode
from appaudit.evidence.device import DeviceInfo


class DeviceError(AppauditError):
    """The device could not do what was asked (not connected, command failed, app not installed)."""

    exit_code = ExitCode.INPUT_ERROR


@runtime_checkable
class DeviceDriver(Protocol):
    serial: str

    def info(self) -> DeviceInfo:
        """Model, Android version and API level, ABI, emulator or not, root, how the CA was installed."""
        ...

    def dump_hierarchy(self) -> str:
        """The raw ``uiautomator dump`` output (XML, possibly with a trailer line or an ERROR line)."""
        ...

    def screenshot(self) -> bytes | None:
        """A PNG of the screen, or None when the device cannot take one."""
        ...

    def tap(self, x: int, y: int) -> None: ...

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None: ...

    def back(self) -> None: ...

    def home(self) -> None: ...

    def install(self, apk: Path) -> None: ...

    def is_installed(self, package: str) -> bool: ...

    def launch(self, package: str) -> None:
        """Start the app's launcher activity (cold start when it is stopped)."""
        ...

    def stop(self, package: str) -> None: ...

    def clear_data(self, package: str) -> None:
        """Wipe the app's data, so the next launch is a first run."""
        ...

    def current_package(self) -> str | None:
        """The package of the focused window, None when it cannot be told."""
        ...

    def set_proxy(self, host: str, port: int) -> None:
        """Route the device's HTTP(S) traffic to the capture proxy."""
        ...

    def clear_proxy(self) -> None: ...

    def open_url(self, url: str) -> None:
        """Open ``url`` as the device's browser would (used as the HTTPS interception probe)."""
        ...

    def install_ca(self, cert_pem: Path) -> str:
        """Make the proxy's CA trusted system-wide; returns how ("system-remount", "tmpfs", "apex", ...)."""
        ...

    def shell(self, *args: str) -> str:
        """Run a shell command on the device and return its standard output."""
        ...
