"""What a device can tell about itself and an installed app, beyond driving it.

:class:`DeviceInspector` is the optional companion of :class:`~appaudit.device.driver.DeviceDriver`:
both :class:`~appaudit.device.adb.AdbDriver` and :class:`~appaudit.device.simulated.SimulatedDevice`
implement it, so a device run can fill a device profile (the identifiers to look for in the traffic)
and record the app's permission state without knowing which device it drives. Every method is best
effort: ``None`` (or an empty tuple) means "could not be read here", never "absent".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class PermissionState:
    """One permission as ``dumpsys package`` prints it: ``android.permission.CAMERA: granted=false, flags=[...]``."""

    name: str
    granted: bool
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PackagePermissions:
    """The permission state of one installed app (user 0)."""

    package: str
    uid: int | None
    requested: tuple[str, ...]  # every permission the manifest asks for
    install: tuple[PermissionState, ...]  # normal/signature permissions, granted at install
    runtime: tuple[PermissionState, ...]  # dangerous permissions, granted (or not) by the user

    @property
    def granted_runtime(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.runtime if p.granted)


@dataclass(frozen=True)
class AppOp:
    """One line of ``appops get PACKAGE``: an operation, its mode, and when it was last used."""

    name: str  # "READ_CLIPBOARD", "COARSE_LOCATION", ...
    mode: str  # "allow" | "ignore" | "deny" | "default" | "foreground" | ...
    uid_mode: bool = False  # from the "Uid mode:" line (the mode set for the whole uid)
    last_access: str = ""  # as printed: "+2m3s ago" (Android 10) or "2024-03-12 10:11:12.345 (-2m3s)"
    last_reject: str = ""


@runtime_checkable
class DeviceInspector(Protocol):
    """Read-only facts about the device and an app, for the device profile and the evidence."""

    def getprop(self, name: str) -> str:
        """One system property ("" when unset)."""
        ...

    def app_uid(self, package: str) -> int | None: ...

    def android_id_for(self, package: str) -> str | None:
        """The Android ID *the app* sees (per signing key since Android 8), None when unreadable."""
        ...

    def imei(self) -> str | None: ...

    def package_permissions(self, package: str) -> PackagePermissions | None: ...

    def appops(self, package: str) -> tuple[AppOp, ...]: ...

    def list_packages(self) -> tuple[str, ...]: ...

    def screen_size(self) -> tuple[int, int] | None:
        """Width and height in pixels (the override size when one is set)."""
        ...
