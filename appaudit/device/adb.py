"""The real device: an Android emulator or phone driven through the ``adb`` binary.

Every operation is one or a few ``adb -s SERIAL ...`` commands run by an injectable :class:`Runner`, each
with a timeout. What the driver does to the device, and why:

* **Install** with ``adb install -r`` and *without* ``-g``: ``-g`` grants every runtime permission at
  install time, which would hide exactly the permission dialogs the audit must see.
* **Proxy** with ``settings put global http_proxy HOST:PORT`` (cleared with ``:0``). From an emulator the
  host's loopback is ``10.0.2.2``. Apps that ignore the global proxy (Flutter, Unity, native code, QUIC)
  are better caught by starting the emulator with ``emulator -avd X -http-proxy http://HOST:PORT``.
* **System CA** with root; the method is chosen by looking at the device (:mod:`appaudit.device.adb_ca`).
* **Screens** with ``uiautomator dump`` to ``/dev/tty`` (one round trip); the raw text is returned,
  trailer line included, for the caller to parse.
* **Android ID**: since Android 8 each app signing key sees its own value. ``settings get secure
  android_id`` in the shell is the *shell's* value, not the app's, so :meth:`AdbDriver.android_id_for`
  reads the app's entry in ``/data/system/users/0/settings_ssaid.xml`` as root instead (the entry exists
  once the app has asked for its ID).

Nothing here was run against a device on this machine: the command lines and the parsers are tested
against reconstructed recordings of each Android version's output (``fixtures/adb/``).
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography import x509

from appaudit.device import adb_ca
from appaudit.device import adb_parse as parse
from appaudit.device.driver import DeviceError
from appaudit.device.inspection import AppOp, PackagePermissions
from appaudit.device.runner import CommandResult, Runner, SubprocessRunner, find_adb
from appaudit.evidence.device import DeviceInfo
from appaudit.traffic.ca import android_system_ca_name

DEFAULT_TIMEOUT = 30.0
INSTALL_TIMEOUT = 300.0
DUMP_TIMEOUT = 30.0  # uiautomator waits up to ~10 s for an idle screen before it gives up
DUMP_RETRIES = 2  # extra attempts on "could not get idle state" (the caller decides beyond that)
DUMP_RETRY_PAUSE = 0.5
FILE_DUMP = "/sdcard/window_dump.xml"  # the fallback when /dev/tty cannot be written
SSAID_FILE = "/data/system/users/0/settings_ssaid.xml"
KEYCODE_HOME, KEYCODE_BACK = 3, 4
LAUNCHER_CATEGORY = "android.intent.category.LAUNCHER"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# adb's own error lines (stderr, exit 1) and what the user can do about them.
_ADB_HINTS = (
    ("unauthorized", "accept the USB debugging prompt on the device (or restart the emulator)"),
    ("offline", "the device is offline: wait for it to boot, or `adb kill-server` and reconnect"),
    ("not found", "no such device: check `adb devices` and the serial"),
    ("no devices/emulators found", "no device connected: start the emulator or plug the phone in"),
    ("more than one device", "several devices are connected: pass the serial"),
)

ROOT_ADBD, ROOT_SU, ROOT_SU_C = "adbd", "su", "su-c"  # how root commands are run


class AdbDriver:
    """:class:`~appaudit.device.driver.DeviceDriver` and :class:`~appaudit.device.inspection.DeviceInspector`
    over adb.

    ``runner`` and ``sleep`` are injectable for tests; ``adb`` defaults to :func:`find_adb`. Root is probed
    lazily (by :meth:`info` or :meth:`install_ca`): ``id`` first, then ``adb root`` (which restarts adbd
    as root on a userdebug image such as the emulator's ``google_apis``), then ``su``.
    """

    def __init__(
        self,
        serial: str,
        *,
        adb: str | Path | None = None,
        runner: Runner | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.serial = serial
        self.adb = str(adb) if adb is not None else str(find_adb())
        self.runner: Runner = runner or SubprocessRunner()
        self.timeout = timeout
        self._sleep = sleep
        self._props: dict[str, str] | None = None
        self._root: str | None = None
        self._root_probed = False
        self._root_why = ""
        self.ca_install = "none"

    @classmethod
    def only_device(cls, *, adb: str | Path | None = None, runner: Runner | None = None) -> AdbDriver:
        """The single device ``adb devices`` lists as ready; a DeviceError when there are none or several."""
        adb_bin = str(adb) if adb is not None else str(find_adb())
        run = runner or SubprocessRunner()
        result = run.run([adb_bin, "devices"], DEFAULT_TIMEOUT)
        devices = parse.parse_devices(_text(result.stdout))
        ready = [serial for serial, state in devices.items() if state == "device"]
        if len(ready) != 1:
            listing = ", ".join(f"{s} ({st})" for s, st in devices.items()) or "none"
            raise DeviceError(f"expected exactly one ready device, adb lists: {listing}; pass the serial")
        return cls(ready[0], adb=adb_bin, runner=run)

    # ----------------------------------------------------------------- running commands

    def _adb(self, *args: str, timeout: float | None = None, check: bool = True) -> CommandResult:
        """``adb -s SERIAL args...``; adb's own failures (offline, unauthorized) become DeviceError."""
        command = [self.adb, "-s", self.serial, *args]
        result = self.runner.run(command, timeout or self.timeout)
        if check and result.returncode != 0:
            raise self._error(command, result)
        return result

    def _error(self, command: Sequence[str], result: CommandResult) -> DeviceError:
        message = (_text(result.stderr) or _text(result.stdout)).strip()
        for needle, hint in _ADB_HINTS:
            if needle in message and message.startswith(("error:", "adb: error")):
                return DeviceError(f"{self.serial}: {hint} (adb said: {message})")
        shown = " ".join(command[3:])
        return DeviceError(f"`{shown}` failed on {self.serial} (exit {result.returncode}): {message[:300]}")

    def _sh(self, *args: str, timeout: float | None = None, check: bool = True) -> str:
        """``adb shell`` with one word per argument (quoted for the device's shell); standard output as text."""
        return _text(self._adb("shell", *(shlex.quote(a) for a in args), timeout=timeout, check=check).stdout)

    def shell(self, *args: str) -> str:
        """Run a command on the device; standard output. One argument is a command line for the device's
        shell (pipes allowed); several are words, each quoted. A non-zero exit is a DeviceError."""
        if len(args) == 1:
            return _text(self._adb("shell", args[0]).stdout)
        return self._sh(*args)

    # ----------------------------------------------------------------- facts

    def getprops(self) -> dict[str, str]:
        """All system properties (one ``getprop`` call, cached)."""
        if self._props is None:
            self._props = parse.parse_getprop(self._sh("getprop"))
        return self._props

    def getprop(self, name: str) -> str:
        return self.getprops().get(name, "")

    def info(self) -> DeviceInfo:
        props = self.getprops()
        sdk = props.get("ro.build.version.sdk", "")
        return DeviceInfo(
            serial=self.serial,
            driver="adb",
            model=props.get("ro.product.model", ""),
            android_release=props.get("ro.build.version.release", ""),
            api_level=int(sdk) if sdk.isdigit() else None,
            abi=props.get("ro.product.cpu.abi", ""),
            emulator=parse.looks_like_emulator(props),
            rooted=self.root_access() is not None,
            ca_install=self.ca_install,
        )

    def root_access(self) -> str | None:
        """How root commands run here: "adbd" (adbd is root), "su" (``su 0 sh -c``), "su-c" (``su -c``), or None."""
        if not self._root_probed:
            self._root, self._root_probed = self._probe_root(), True
        return self._root

    def _probe_root(self) -> str | None:
        if parse.parse_id_is_root(self._sh("id", check=False)):
            return ROOT_ADBD
        restart = self._adb("root", check=False, timeout=20)
        said = (_text(restart.stdout) + _text(restart.stderr)).strip()
        if restart.returncode == 0 and "cannot run as root" not in said:
            self._adb("wait-for-device", timeout=60)
            if parse.parse_id_is_root(self._sh("id", check=False)):
                return ROOT_ADBD
        for mode, words in ((ROOT_SU, ("su", "0", "id")), (ROOT_SU_C, ("su", "-c", "id"))):
            if parse.parse_id_is_root(self._sh(*words, check=False)):
                return mode
        self._root_why = f"adb root: {said or 'refused'}; su: not available"
        return None

    def _root_shell(self, script: str, *, check: bool = True, timeout: float | None = None) -> CommandResult:
        """Run ``script`` with the device's shell as root."""
        mode = self.root_access()
        if mode is None:
            raise DeviceError(adb_ca.NOT_ROOTABLE.format(serial=self.serial, why=self._root_why))
        if mode == ROOT_ADBD:
            return self._adb("shell", script, check=check, timeout=timeout)
        prefix = ["su", "0", "sh", "-c"] if mode == ROOT_SU else ["su", "-c"]
        return self._adb("shell", *prefix, shlex.quote(script), check=check, timeout=timeout)

    # ----------------------------------------------------------------- screen

    def dump_hierarchy(self) -> str:
        """``uiautomator dump /dev/tty`` output, raw (XML then the "UI hierchary dumped to" trailer).

        "ERROR: could not get idle state." (animated screens, exit 0) is retried twice, then returned as is.
        Devices that cannot write ``/dev/tty`` get a dump to :data:`FILE_DUMP` read back with ``cat``.
        """
        output = ""
        for attempt in range(DUMP_RETRIES + 1):
            result = self._adb("exec-out", "uiautomator", "dump", "/dev/tty", check=False, timeout=DUMP_TIMEOUT)
            output = _text(result.stdout) + _text(result.stderr)
            if parse.has_hierarchy(output):
                return _text(result.stdout)
            if not parse.is_idle_state_error(output):
                return self._dump_via_file()
            if attempt < DUMP_RETRIES:
                self._sleep(DUMP_RETRY_PAUSE)
        return output

    def _dump_via_file(self) -> str:
        self._sh("rm", "-f", FILE_DUMP, check=False)  # never serve a stale dump
        said = self._sh("uiautomator", "dump", FILE_DUMP, check=False, timeout=DUMP_TIMEOUT)
        if parse.is_idle_state_error(said):
            return said
        return _text(self._adb("exec-out", "cat", FILE_DUMP, check=False).stdout)

    def screenshot(self) -> bytes | None:
        result = self._adb("exec-out", "screencap", "-p", check=False)
        data = bytes(result.stdout)
        return data if result.returncode == 0 and data.startswith(PNG_SIGNATURE) else None

    def screen_size(self) -> tuple[int, int] | None:
        return parse.parse_wm_size(self._sh("wm", "size", check=False))

    # ----------------------------------------------------------------- input

    def tap(self, x: int, y: int) -> None:
        self._sh("input", "tap", str(x), str(y))

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        self._sh("input", "swipe", str(x1), str(y1), str(x2), str(y2), str(duration_ms))

    def back(self) -> None:
        self._sh("input", "keyevent", str(KEYCODE_BACK))

    def home(self) -> None:
        self._sh("input", "keyevent", str(KEYCODE_HOME))

    # ----------------------------------------------------------------- apps

    def install(self, apk: Path) -> None:
        """``adb install -r`` (replace, keep data). Never ``-g``: granting every permission up front would hide
        the permission dialogs the audit must observe."""
        result = self._adb("install", "-r", str(apk), check=False, timeout=INSTALL_TIMEOUT)
        said = (_text(result.stdout) + _text(result.stderr)).strip()
        if result.returncode != 0 or "Success" not in said:
            raise DeviceError(f"installing {apk.name} on {self.serial} failed: {said[-300:]}")

    def is_installed(self, package: str) -> bool:
        return package in self.list_packages(package)

    def list_packages(self, name_filter: str = "") -> tuple[str, ...]:
        """``pm list packages [FILTER]`` (the filter is a substring match, hence the exact check in callers)."""
        words = ("pm", "list", "packages", name_filter) if name_filter else ("pm", "list", "packages")
        return parse.parse_package_list(self._sh(*words, check=False))

    def launch(self, package: str) -> None:
        """Start the launcher activity: resolved with ``cmd package resolve-activity``, else via ``monkey``."""
        if not self.is_installed(package):
            raise DeviceError(f"{package} is not installed on {self.serial}")
        resolved = self._sh(
            "cmd", "package", "resolve-activity", "--brief", "-c", LAUNCHER_CATEGORY, package, check=False
        )
        component = parse.parse_resolved_activity(resolved)
        if component is not None:
            started = self._adb(
                "shell",
                "am",
                "start",
                "-a",
                "android.intent.action.MAIN",
                "-c",
                LAUNCHER_CATEGORY,
                "-n",
                component,
                check=False,
            )
            if started.returncode == 0 and "Error" not in _text(started.stdout) + _text(started.stderr):
                return
        said = self._sh("monkey", "-p", package, "-c", LAUNCHER_CATEGORY, "1", check=False)
        if "Events injected: 1" not in said:
            raise DeviceError(f"could not launch {package} on {self.serial}: {said.strip()[-300:]}")

    def stop(self, package: str) -> None:
        self._sh("am", "force-stop", package)

    def clear_data(self, package: str) -> None:
        said = self._sh("pm", "clear", package, check=False)
        if "Success" not in said:
            raise DeviceError(f"`pm clear {package}` failed on {self.serial}: {said.strip() or 'no output'}")

    def current_package(self) -> str | None:
        """The focused window's package (a permission dialog is ``com.google.android.permissioncontroller``)."""
        result = self._adb("shell", "dumpsys window | grep -E 'mCurrentFocus|mFocusedApp'", check=False)
        return parse.parse_focus(_text(result.stdout))

    def app_uid(self, package: str) -> int | None:
        return parse.parse_uid(self._sh("dumpsys", "package", package, check=False))

    def package_permissions(self, package: str) -> PackagePermissions | None:
        return parse.parse_package_permissions(self._sh("dumpsys", "package", package, check=False), package)

    def appops(self, package: str) -> tuple[AppOp, ...]:
        return parse.parse_appops(self._sh("appops", "get", package, check=False))

    # ----------------------------------------------------------------- identifiers

    def android_id_for(self, package: str) -> str | None:
        """The Android ID ``package`` sees. Before Android 8 every app sees the shell's value; from 8 on it
        is per signing key and read (as root) from the app's entry in ``settings_ssaid.xml``, which is binary
        XML from Android 12 on (``abx2xml`` turns it back into text). None when no root or no entry yet."""
        sdk = self.getprop("ro.build.version.sdk")
        if sdk.isdigit() and int(sdk) < 26:
            value = self._sh("settings", "get", "secure", "android_id", check=False).strip()
            return value or None
        if self.root_access() is None:
            return None
        script = f"abx2xml {SSAID_FILE} - 2>/dev/null || cat {SSAID_FILE}"
        result = self._root_shell(script, check=False)
        return parse.parse_ssaid(_text(result.stdout), package)

    def imei(self) -> str | None:
        """Best effort: ``service call iphonesubinfo 1`` (getDeviceId; its arguments differ by version, so the
        call is tried with the calling package and without). None unless a valid 15-digit IMEI comes back."""
        for words in (
            ("service", "call", "iphonesubinfo", "1", "s16", "com.android.shell"),
            ("service", "call", "iphonesubinfo", "1"),
        ):
            value = parse.parse_parcel_string(self._sh(*words, check=False))
            if parse.valid_imei(value):
                return value
        return None

    # ----------------------------------------------------------------- proxy and CA

    def set_proxy(self, host: str, port: int) -> None:
        """Global HTTP proxy; from an emulator the host is ``10.0.2.2``."""
        self._sh("settings", "put", "global", "http_proxy", f"{host}:{port}")

    def clear_proxy(self) -> None:
        self._sh("settings", "put", "global", "http_proxy", ":0")

    def seed_location(self, lat: float, lon: float) -> bool:
        """Fix the emulator's GPS at a known point (``adb emu geo fix LON LAT``), so the location can be found
        in the traffic; False on a phone (no emulator console) or when the console refuses."""
        try:
            result = self._adb("emu", "geo", "fix", str(lon), str(lat), timeout=15, check=False)
        except DeviceError:
            return False
        return result.returncode == 0 and "KO" not in _text(result.stdout)

    def open_url(self, url: str) -> None:
        """Open ``url`` in the device's default browser (the interception probe: its HTTPS request must be
        decrypted by the proxy, which proves the system CA is trusted and the proxy is in the path)."""
        self._sh("am", "start", "-a", "android.intent.action.VIEW", "-d", url)

    def install_ca(self, cert_pem: Path) -> str:
        """Make ``cert_pem`` a system CA; returns "apex", "system-remount" or "tmpfs" (see adb_ca)."""
        cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
        name = android_system_ca_name(cert)
        if self.root_access() is None:
            raise DeviceError(adb_ca.NOT_ROOTABLE.format(serial=self.serial, why=self._root_why))
        if self._adb("shell", "ls", adb_ca.APEX_CACERTS, check=False).returncode == 0:
            method, script = "apex", adb_ca.apex_script(name)
        elif self._remount():
            self._adb("push", str(cert_pem), f"{adb_ca.SYSTEM_CACERTS}/{name}")
            method, script = "system-remount", adb_ca.remount_fix_script(name)
        else:
            method, script = "tmpfs", adb_ca.tmpfs_script(name)
        if method != "system-remount":
            self._adb("push", str(cert_pem), f"{adb_ca.PUSH_DIR}/{name}")
        result = self._root_shell(script, check=False, timeout=120)
        if result.returncode != 0:
            said = (_text(result.stderr) or _text(result.stdout)).strip()
            raise DeviceError(f"installing the CA ({method}) on {self.serial} failed: {said[-400:]}")
        self.ca_install = method
        return method

    def _remount(self) -> bool:
        """``adb remount`` works only with adbd as root on a ``-writable-system`` emulator."""
        if self.root_access() != ROOT_ADBD:
            return False
        result = self._adb("remount", check=False, timeout=60)
        said = (_text(result.stdout) + _text(result.stderr)).lower()
        return result.returncode == 0 and "remount succeeded" in said and "reboot" not in said


def _text(data: bytes | str) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
