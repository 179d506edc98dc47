"""Contract tests of the adb driver against recorded command outputs (fixtures/adb/<version>/<command>.txt).

The recordings are reconstructions of each Android version's output format, not captures (there is no
device here). A fake runner serves them keyed by the exact command line and fails on any command it was
not told about, so each test also pins down the adb command lines the driver issues.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from appaudit.device import adb_parse
from appaudit.device.adb import AdbDriver
from appaudit.device.driver import DeviceDriver, DeviceError
from appaudit.device.inspection import DeviceInspector
from appaudit.device.runner import find_adb

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "adb"
SERIAL = "emulator-5554"
PKG = "com.appaudit.fixture.compliant"
ADB = ["adb", "-s", SERIAL]
GREP_FOCUS = "dumpsys window | grep -E 'mCurrentFocus|mFocusedApp'"
HEADER = re.compile(r"^# appaudit recording, a reconstruction: .+ on Android \d+ .+not captured from a device\.$")


@dataclass
class Result:
    returncode: int
    stdout: bytes
    stderr: bytes = b""


def recording(version: str, name: str) -> Result:
    """A recorded output: the header says it is a reconstruction, and gives a non-zero exit and the stream."""
    lines = (RECORDINGS / version / f"{name}.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    assert HEADER.match(lines[0].rstrip("\n")), lines[0]
    returncode, stream = 0, "stdout"
    body = lines[1:]
    if body and body[0].startswith("# exit:"):
        m = re.match(r"# exit: (\d+); stream: (\w+)", body[0])
        assert m, body[0]
        returncode, stream = int(m[1]), m[2]
        body = body[1:]
    data = "".join(body).encode()
    return Result(returncode, data, b"") if stream == "stdout" else Result(returncode, b"", data)


def text(out: str, code: int = 0) -> Result:
    return Result(code, out.encode())


class FakeAdb:
    """Serves outputs by exact command line (what follows ``adb -s SERIAL``); records every call."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, ...], list[Result]] = {}
        self.calls: list[list[str]] = []

    def on(self, *command: str, result: Result, times: int = 1) -> FakeAdb:
        self.answers.setdefault(command, []).extend([result] * times)
        return self

    def run(self, args: Sequence[str], timeout: float) -> Result:
        args = list(args)
        self.calls.append(args)
        assert timeout > 0
        key = tuple(args[3:]) if args[:3] == ADB else tuple(args)
        queue = self.answers.get(key)
        if not queue:
            raise AssertionError(f"unexpected adb command: {args}")
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def commands(self) -> list[list[str]]:
        return [c[3:] if c[:3] == ADB else c for c in self.calls]


def driver(fake: FakeAdb, sleeps: list[float] | None = None) -> AdbDriver:
    return AdbDriver(SERIAL, adb="adb", runner=fake, sleep=(sleeps.append if sleeps is not None else lambda s: None))


def rooted_by_adb_root(fake: FakeAdb, version: str) -> FakeAdb:
    """id (shell) → adb root → wait-for-device → id (root)."""
    fake.on("shell", "id", result=recording(version, "id"))
    fake.on("shell", "id", result=recording(version, "id-root"))
    fake.on("root", result=recording(version, "adb-root"))
    return fake.on("wait-for-device", result=text(""))


def google_play_image(fake: FakeAdb) -> FakeAdb:
    fake.on("shell", "id", result=recording("android-14", "id"))
    fake.on("root", result=recording("android-14", "adb-root-production"))
    fake.on("shell", "su", "0", "id", result=recording("android-14", "su-missing"))
    return fake.on("shell", "su", "-c", "id", result=recording("android-14", "su-c-missing"))


# ----------------------------------------------------------------- recordings and protocol


def test_every_recording_says_it_is_a_reconstruction() -> None:
    files = sorted(RECORDINGS.glob("android-*/*.txt"))
    assert {p.parent.name for p in files} >= {"android-10", "android-13", "android-14"}
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert HEADER.match(first), path


def test_the_driver_implements_both_protocols() -> None:
    d = driver(FakeAdb())
    assert isinstance(d, DeviceDriver)
    assert isinstance(d, DeviceInspector)


# ----------------------------------------------------------------- info and root


@pytest.mark.parametrize(
    ("version", "model", "release", "api", "abi"),
    [
        ("android-10", "Android SDK built for x86", "10", 29, "x86"),
        ("android-13", "sdk_gphone64_x86_64", "13", 33, "x86_64"),
        ("android-14", "sdk_gphone64_x86_64", "14", 34, "x86_64"),
    ],
)
def test_info_from_getprop_and_root_via_adb_root(version: str, model: str, release: str, api: int, abi: str) -> None:
    fake = rooted_by_adb_root(FakeAdb().on("shell", "getprop", result=recording(version, "getprop")), version)
    info = driver(fake).info()
    assert (info.model, info.android_release, info.api_level, info.abi) == (model, release, api, abi)
    assert info.emulator is True and info.rooted is True and info.driver == "adb" and info.ca_install == "none"
    assert fake.commands() == [["shell", "getprop"], ["shell", "id"], ["root"], ["wait-for-device"], ["shell", "id"]]


def test_a_google_play_image_is_not_rooted() -> None:
    fake = google_play_image(FakeAdb().on("shell", "getprop", result=recording("android-14", "getprop")))
    d = driver(fake)
    assert d.info().rooted is False
    assert d.root_access() is None
    assert fake.commands()[-2:] == [["shell", "su", "0", "id"], ["shell", "su", "-c", "id"]]


def test_emulator_detection_reads_the_qemu_flags_and_hardware() -> None:
    assert adb_parse.looks_like_emulator({"ro.kernel.qemu": "1"})
    assert adb_parse.looks_like_emulator({"ro.boot.qemu": "1"})
    assert adb_parse.looks_like_emulator({"ro.hardware": "goldfish"})
    assert not adb_parse.looks_like_emulator({"ro.hardware": "qcom", "ro.build.characteristics": "nosdcard"})


def test_getprop_values_may_span_lines() -> None:
    props = adb_parse.parse_getprop("[a]: [one]\n[b]: [first\nsecond]\n[c]: []\n")
    assert props == {"a": "one", "b": "first\nsecond", "c": ""}


def test_only_device_picks_the_single_ready_serial() -> None:
    fake = FakeAdb().on("adb", "devices", result=text("List of devices attached\nemulator-5554\tdevice\n\n"))
    assert AdbDriver.only_device(adb="adb", runner=fake).serial == SERIAL
    fake = FakeAdb().on(
        "adb", "devices", result=text("List of devices attached\nemulator-5554\tdevice\nR58M\tunauthorized\n")
    )
    assert AdbDriver.only_device(adb="adb", runner=fake).serial == SERIAL
    fake = FakeAdb().on("adb", "devices", result=text("List of devices attached\n\n"))
    with pytest.raises(DeviceError, match="exactly one"):
        AdbDriver.only_device(adb="adb", runner=fake)


def test_adb_errors_become_actionable_device_errors() -> None:
    fake = FakeAdb().on("shell", "input", "tap", "1", "2", result=Result(1, b"", b"error: device offline\n"))
    with pytest.raises(DeviceError, match="offline"):
        driver(fake).tap(1, 2)
    fake = FakeAdb().on("shell", "input", "tap", "1", "2", result=Result(1, b"", b"error: device unauthorized.\n"))
    with pytest.raises(DeviceError, match="USB debugging"):
        driver(fake).tap(1, 2)


# ----------------------------------------------------------------- screen


def test_dump_returns_the_raw_output_with_its_trailer() -> None:
    fake = FakeAdb().on(
        "exec-out", "uiautomator", "dump", "/dev/tty", result=recording("android-14", "uiautomator-dump")
    )
    out = driver(fake).dump_hierarchy()
    assert out.startswith("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">")
    assert out.endswith("</hierarchy>UI hierchary dumped to: /dev/tty\n")
    assert fake.commands() == [["exec-out", "uiautomator", "dump", "/dev/tty"]]


@pytest.mark.parametrize("version", ["android-10", "android-13", "android-14"])
def test_dump_retries_the_idle_state_error_twice_then_returns_it(version: str) -> None:
    fake = FakeAdb().on(
        "exec-out", "uiautomator", "dump", "/dev/tty", result=recording(version, "uiautomator-dump-idle")
    )
    sleeps: list[float] = []
    out = driver(fake, sleeps).dump_hierarchy()
    assert out.strip() == "ERROR: could not get idle state."
    assert len(fake.calls) == 3 and len(sleeps) == 2


def test_dump_after_one_idle_state_error() -> None:
    fake = FakeAdb()
    fake.on("exec-out", "uiautomator", "dump", "/dev/tty", result=recording("android-14", "uiautomator-dump-idle"))
    fake.on("exec-out", "uiautomator", "dump", "/dev/tty", result=recording("android-14", "uiautomator-dump"))
    assert "</hierarchy>" in driver(fake).dump_hierarchy()
    assert len(fake.calls) == 2


def test_dump_falls_back_to_a_file_when_dev_tty_cannot_be_written() -> None:
    fake = FakeAdb()
    fake.on("exec-out", "uiautomator", "dump", "/dev/tty", result=recording("android-13", "uiautomator-dump-no-tty"))
    fake.on("shell", "rm", "-f", "/sdcard/window_dump.xml", result=text(""))
    fake.on(
        "shell",
        "uiautomator",
        "dump",
        "/sdcard/window_dump.xml",
        result=recording("android-13", "uiautomator-dump-file"),
    )
    fake.on("exec-out", "cat", "/sdcard/window_dump.xml", result=recording("android-13", "cat-window-dump"))
    out = driver(fake).dump_hierarchy()
    assert out.startswith("<?xml") and out.endswith("</hierarchy>")
    assert fake.commands() == [
        ["exec-out", "uiautomator", "dump", "/dev/tty"],
        ["shell", "rm", "-f", "/sdcard/window_dump.xml"],
        ["shell", "uiautomator", "dump", "/sdcard/window_dump.xml"],
        ["exec-out", "cat", "/sdcard/window_dump.xml"],
    ]


def test_screenshot_is_png_or_none() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    fake = FakeAdb().on("exec-out", "screencap", "-p", result=Result(0, png))
    assert driver(fake).screenshot() == png
    fake = FakeAdb().on("exec-out", "screencap", "-p", result=Result(0, b"WARNING: multiple displays\n"))
    assert driver(fake).screenshot() is None


@pytest.mark.parametrize(("version", "size"), [("android-10", (1080, 1920)), ("android-14", (720, 1600))])
def test_screen_size_prefers_the_override(version: str, size: tuple[int, int]) -> None:
    fake = FakeAdb().on("shell", "wm", "size", result=recording(version, "wm-size"))
    assert driver(fake).screen_size() == size


@pytest.mark.parametrize(
    ("version", "name", "package"),
    [
        ("android-10", "dumpsys-window", PKG),
        ("android-10", "dumpsys-window-launcher", "com.android.launcher3"),
        ("android-13", "dumpsys-window", PKG),
        ("android-13", "dumpsys-window-splash", PKG),
        ("android-14", "dumpsys-window", PKG),
        ("android-14", "dumpsys-window-permission", "com.google.android.permissioncontroller"),
        ("android-14", "dumpsys-window-shade", PKG),
        ("android-14", "dumpsys-window-launcher", "com.google.android.apps.nexuslauncher"),
    ],
)
def test_current_package_across_focus_formats(version: str, name: str, package: str) -> None:
    fake = FakeAdb().on("shell", GREP_FOCUS, result=recording(version, name))
    assert driver(fake).current_package() == package
    assert fake.commands() == [["shell", GREP_FOCUS]]


def test_current_package_is_none_when_nothing_has_focus() -> None:
    fake = FakeAdb().on("shell", GREP_FOCUS, result=text("  mCurrentFocus=null\n", 0))
    assert driver(fake).current_package() is None


# ----------------------------------------------------------------- input and apps


def test_input_command_lines() -> None:
    fake = FakeAdb()
    for command in (
        ("shell", "input", "tap", "540", "1200"),
        ("shell", "input", "swipe", "540", "1800", "540", "720", "300"),
        ("shell", "input", "keyevent", "4"),
        ("shell", "input", "keyevent", "3"),
    ):
        fake.on(*command, result=text(""))
    d = driver(fake)
    d.tap(540, 1200)
    d.swipe(540, 1800, 540, 720)
    d.back()
    d.home()
    assert [c[:3] for c in fake.calls] == [ADB] * 4
    assert fake.commands() == [
        ["shell", "input", "tap", "540", "1200"],
        ["shell", "input", "swipe", "540", "1800", "540", "720", "300"],
        ["shell", "input", "keyevent", "4"],
        ["shell", "input", "keyevent", "3"],
    ]


def test_stop_and_clear_data_command_lines() -> None:
    fake = FakeAdb().on("shell", "am", "force-stop", "com.x", result=text(""))
    fake.on("shell", "pm", "clear", "com.x", result=recording("android-14", "pm-clear"))
    d = driver(fake)
    d.stop("com.x")
    d.clear_data("com.x")
    assert fake.calls == [
        ["adb", "-s", "emulator-5554", "shell", "am", "force-stop", "com.x"],
        ["adb", "-s", "emulator-5554", "shell", "pm", "clear", "com.x"],
    ]


def test_clear_data_failure_is_a_device_error() -> None:
    fake = FakeAdb().on(
        "shell", "pm", "clear", "com.example.missing", result=recording("android-10", "pm-clear-failed")
    )
    with pytest.raises(DeviceError, match=r"pm clear com\.example\.missing"):
        driver(fake).clear_data("com.example.missing")


@pytest.mark.parametrize("version", ["android-10", "android-13", "android-14"])
def test_is_installed_needs_an_exact_name(version: str) -> None:
    fake = FakeAdb().on("shell", "pm", "list", "packages", PKG, result=recording(version, "pm-list-packages-filtered"))
    fake.on(
        "shell",
        "pm",
        "list",
        "packages",
        "com.appaudit.fixture",
        result=recording(version, "pm-list-packages-filtered"),
    )
    d = driver(fake)
    assert d.is_installed(PKG)
    assert not d.is_installed("com.appaudit.fixture")  # a prefix of installed names is not installed


@pytest.mark.parametrize("version", ["android-10", "android-13", "android-14"])
def test_list_packages_includes_canaries(version: str) -> None:
    fake = FakeAdb().on("shell", "pm", "list", "packages", result=recording(version, "pm-list-packages"))
    packages = driver(fake).list_packages()
    assert "com.appaudit.canary.alpha" in packages and PKG in packages and "android" in packages


def test_launch_resolves_the_launcher_activity() -> None:
    version = "android-14"
    resolve = ("shell", "cmd", "package", "resolve-activity", "--brief", "-c", "android.intent.category.LAUNCHER", PKG)
    start = ("shell", "am", "start", "-a", "android.intent.action.MAIN", "-c", "android.intent.category.LAUNCHER")
    fake = FakeAdb().on("shell", "pm", "list", "packages", PKG, result=recording(version, "pm-list-packages-filtered"))
    fake.on(*resolve, result=recording(version, "resolve-activity"))
    fake.on(*start, "-n", f"{PKG}/.MainActivity", result=recording(version, "am-start"))
    driver(fake).launch(PKG)
    assert fake.commands()[-1] == [*start, "-n", f"{PKG}/.MainActivity"]


def test_launch_falls_back_to_monkey() -> None:
    resolve = ("shell", "cmd", "package", "resolve-activity", "--brief", "-c", "android.intent.category.LAUNCHER", PKG)
    monkey = ("shell", "monkey", "-p", PKG, "-c", "android.intent.category.LAUNCHER", "1")
    fake = FakeAdb().on("shell", "pm", "list", "packages", PKG, result=text(f"package:{PKG}\n"))
    fake.on(*resolve, result=text("No activity found\n"))
    fake.on(*monkey, result=text("  bash arg: -p\nEvents injected: 1\n## Network stats: elapsed time=12ms\n"))
    driver(fake).launch(PKG)
    assert fake.commands()[-1] == list(monkey)


def test_launch_of_a_missing_app_is_a_device_error() -> None:
    fake = FakeAdb().on("shell", "pm", "list", "packages", "com.x", result=text(""))
    with pytest.raises(DeviceError, match="not installed"):
        driver(fake).launch("com.x")


def test_install_replaces_but_never_grants_all_permissions(tmp_path: Path) -> None:
    apk = tmp_path / "compliant.apk"
    apk.write_bytes(b"PK")
    fake = FakeAdb().on("install", "-r", str(apk), result=recording("android-14", "install"))
    driver(fake).install(apk)
    assert fake.calls == [["adb", "-s", SERIAL, "install", "-r", str(apk)]]
    assert "-g" not in fake.calls[0]
    fake = FakeAdb().on("install", "-r", str(apk), result=text("Failure [INSTALL_FAILED_NO_MATCHING_ABIS]\n", 1))
    with pytest.raises(DeviceError, match="INSTALL_FAILED_NO_MATCHING_ABIS"):
        driver(fake).install(apk)


def test_proxy_command_lines() -> None:
    fake = FakeAdb().on("shell", "settings", "put", "global", "http_proxy", "10.0.2.2:8080", result=text(""))
    fake.on("shell", "settings", "put", "global", "http_proxy", ":0", result=text(""))
    d = driver(fake)
    d.set_proxy("10.0.2.2", 8080)
    d.clear_proxy()
    assert fake.commands() == [
        ["shell", "settings", "put", "global", "http_proxy", "10.0.2.2:8080"],
        ["shell", "settings", "put", "global", "http_proxy", ":0"],
    ]


def test_probe_and_location_command_lines() -> None:
    url = "https://probe.appaudit.invalid/interception-check/abc"
    fake = FakeAdb().on(
        "shell", "am", "start", "-a", "android.intent.action.VIEW", "-d", url, result=text("Starting\n")
    )
    fake.on("emu", "geo", "fix", "116.4074", "39.9042", result=text("OK\n"))
    d = driver(fake)
    d.open_url(url)
    assert d.seed_location(39.9042, 116.4074) is True  # adb emu takes longitude first
    assert fake.commands()[-1] == ["emu", "geo", "fix", "116.4074", "39.9042"]


def test_location_seeding_fails_softly_on_a_phone() -> None:
    fake = FakeAdb().on("emu", "geo", "fix", "116.4074", "39.9042", result=text("error: no emulator detected\n", 1))
    assert driver(fake).seed_location(39.9042, 116.4074) is False


def test_shell_quotes_words_and_passes_a_single_command_line() -> None:
    fake = FakeAdb().on("shell", "echo", "'a b'", result=text("a b\n"))
    fake.on("shell", "getprop ro.build.version.sdk", result=text("34\n"))
    d = driver(fake)
    assert d.shell("echo", "a b") == "a b\n"
    assert d.shell("getprop ro.build.version.sdk") == "34\n"
    fake.on("shell", "false", "''", result=text("", 1))
    with pytest.raises(DeviceError):
        d.shell("false", "")


# ----------------------------------------------------------------- app facts


@pytest.mark.parametrize(("version", "uid"), [("android-10", 10134), ("android-13", 10191), ("android-14", 10191)])
def test_permission_state_and_uid(version: str, uid: int) -> None:
    fake = FakeAdb().on("shell", "dumpsys", "package", PKG, result=recording(version, "dumpsys-package"))
    d = driver(fake)
    perms = d.package_permissions(PKG)
    assert perms is not None and perms.uid == uid and d.app_uid(PKG) == uid
    assert "android.permission.READ_PHONE_STATE" in perms.requested
    assert [p.name for p in perms.install] == ["android.permission.INTERNET", "android.permission.ACCESS_NETWORK_STATE"]
    assert set(perms.granted_runtime) == {
        "android.permission.ACCESS_FINE_LOCATION",
        "android.permission.ACCESS_COARSE_LOCATION",
    }
    phone = next(p for p in perms.runtime if p.name == "android.permission.READ_PHONE_STATE")
    assert phone.granted is False and "USER_SET" in phone.flags
    if version != "android-10":
        assert "android.permission.READ_CALL_LOG" in perms.requested  # listed with ": restricted=true"
    fake.on("shell", "dumpsys", "package", "com.other", result=text("Unable to find package: com.other\n"))
    assert d.package_permissions("com.other") is None


@pytest.mark.parametrize("version", ["android-10", "android-13", "android-14"])
def test_appops(version: str) -> None:
    fake = FakeAdb().on("shell", "appops", "get", PKG, result=recording(version, "appops-get"))
    ops = {(op.name, op.uid_mode): op for op in driver(fake).appops(PKG)}
    clip = ops[("READ_CLIPBOARD", False)]
    assert clip.mode == "allow" and clip.last_access
    if version == "android-10":
        assert clip.last_access == "+2m5s12ms ago"
        assert ops[("TOAST_WINDOW", False)].last_reject == "+3m1s ago"
    else:
        assert clip.last_access.startswith("2024-03-12 ") and "[" not in clip.last_access
        assert ops[("COARSE_LOCATION", True)].mode == "foreground"
        assert ops[("READ_DEVICE_IDENTIFIERS", False)].mode == "deny"
        assert ops[("READ_DEVICE_IDENTIFIERS", False)].last_reject.startswith("2024-03-12")


@pytest.mark.parametrize(("version", "imei"), [("android-10", "358240051111110"), ("android-13", "358240051111110")])
def test_imei_from_the_parcel(version: str, imei: str) -> None:
    call = ("shell", "service", "call", "iphonesubinfo", "1", "s16", "com.android.shell")
    fake = FakeAdb().on(*call, result=recording(version, "service-call-iphonesubinfo-1"))
    assert driver(fake).imei() == imei


def test_imei_is_none_when_the_call_is_refused() -> None:
    fake = FakeAdb()
    fake.on(
        "shell",
        "service",
        "call",
        "iphonesubinfo",
        "1",
        "s16",
        "com.android.shell",
        result=recording("android-14", "service-call-iphonesubinfo-1"),
    )
    fake.on(
        "shell",
        "service",
        "call",
        "iphonesubinfo",
        "1",
        result=recording("android-14", "service-call-iphonesubinfo-1-bare"),
    )
    assert driver(fake).imei() is None
    assert len(fake.calls) == 2


def test_parcel_null_string() -> None:
    assert adb_parse.parse_parcel_string("Result: Parcel(00000000 ffffffff   '........')") is None
    assert adb_parse.parse_parcel_string("no parcel") is None


SSAID_SCRIPT = (
    "abx2xml /data/system/users/0/settings_ssaid.xml - 2>/dev/null || cat /data/system/users/0/settings_ssaid.xml"
)


@pytest.mark.parametrize("version", ["android-10", "android-14"])
def test_android_id_of_the_app_is_read_as_root_from_ssaid(version: str) -> None:
    fake = FakeAdb().on("shell", "getprop", result=recording(version, "getprop"))
    rooted_by_adb_root(fake, version)
    fake.on("shell", SSAID_SCRIPT, result=recording(version, "settings-ssaid"))
    d = driver(fake)
    assert d.android_id_for(PKG) == "3f4e8c2a91b7d605"
    assert d.android_id_for("com.not.there") is None
    assert ["shell", "settings", "get", "secure", "android_id"] not in fake.commands()  # the shell's value is wrong


def test_android_id_needs_root() -> None:
    fake = google_play_image(FakeAdb().on("shell", "getprop", result=recording("android-14", "getprop")))
    assert driver(fake).android_id_for(PKG) is None


# ----------------------------------------------------------------- the system CA


@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "mitmproxy"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mitmproxy"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("ca") / "mitmproxy-ca-cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def android_name(pem: Path) -> str:
    from appaudit.traffic.ca import android_system_ca_name

    return android_system_ca_name(x509.load_pem_x509_certificate(pem.read_bytes()))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_ca_file_name_matches_openssl_subject_hash_old(ca_pem: Path) -> None:
    out = subprocess.run(
        ["openssl", "x509", "-subject_hash_old", "-noout", "-in", str(ca_pem)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert android_name(ca_pem) == f"{out.stdout.strip()}.0"


def test_install_ca_on_android_14_uses_the_apex_method(ca_pem: Path) -> None:
    name = android_name(ca_pem)
    fake = rooted_by_adb_root(FakeAdb(), "android-14")
    fake.on("shell", "ls", "/apex/com.android.conscrypt/cacerts", result=recording("android-14", "ls-apex-cacerts"))
    fake.on("push", str(ca_pem), f"/data/local/tmp/{name}", result=text("1 file pushed.\n"))
    d = driver(fake)
    scripts: list[str] = []
    fake.run = _capture_scripts(fake, scripts, text(f"/apex/com.android.conscrypt/cacerts/{name}\n"))  # type: ignore[method-assign]
    assert d.install_ca(ca_pem) == "apex"
    assert d.ca_install == "apex"
    (script,) = scripts
    assert "mount -t tmpfs tmpfs /system/etc/security/cacerts" in script
    assert f"cp /data/local/tmp/{name} /data/local/tmp/appaudit-cacerts/{name}" in script
    assert "mount --bind /system/etc/security/cacerts /apex/com.android.conscrypt/cacerts" in script
    assert "nsenter --mount=/proc/$z/ns/mnt -- /system/bin/mount --bind" in script
    assert "nsenter --mount=/proc/$pid/ns/mnt" in script
    assert script.rstrip().endswith(f"ls /apex/com.android.conscrypt/cacerts/{name}")


def test_install_ca_on_a_writable_system_uses_remount(ca_pem: Path) -> None:
    name = android_name(ca_pem)
    fake = rooted_by_adb_root(FakeAdb(), "android-13")
    fake.on("shell", "ls", "/apex/com.android.conscrypt/cacerts", result=recording("android-13", "ls-apex-cacerts"))
    fake.on("remount", result=recording("android-13", "remount"))
    fake.on("push", str(ca_pem), f"/system/etc/security/cacerts/{name}", result=text("1 file pushed.\n"))
    scripts: list[str] = []
    fake.run = _capture_scripts(fake, scripts, text(f"/system/etc/security/cacerts/{name}\n"))  # type: ignore[method-assign]
    assert driver(fake).install_ca(ca_pem) == "system-remount"
    assert scripts == [
        f"set -e\nchown root:root /system/etc/security/cacerts/{name}\nchmod 644 /system/etc/security/cacerts/{name}\n"
        f"chcon u:object_r:system_file:s0 /system/etc/security/cacerts/{name}\nls /system/etc/security/cacerts/{name}\n"
    ]


def test_install_ca_falls_back_to_tmpfs_when_remount_needs_a_reboot(ca_pem: Path) -> None:
    name = android_name(ca_pem)
    fake = rooted_by_adb_root(FakeAdb(), "android-10")
    fake.on("shell", "ls", "/apex/com.android.conscrypt/cacerts", result=recording("android-10", "ls-apex-cacerts"))
    fake.on("remount", result=recording("android-10", "remount-verity"))
    fake.on("push", str(ca_pem), f"/data/local/tmp/{name}", result=text("1 file pushed.\n"))
    scripts: list[str] = []
    fake.run = _capture_scripts(fake, scripts, text(f"/system/etc/security/cacerts/{name}\n"))  # type: ignore[method-assign]
    assert driver(fake).install_ca(ca_pem) == "tmpfs"
    (script,) = scripts
    assert "cp /system/etc/security/cacerts/* /data/local/tmp/appaudit-cacerts/" in script
    assert "nsenter" not in script and "/apex/" not in script


def test_install_ca_with_su_wraps_the_script(ca_pem: Path) -> None:
    name = android_name(ca_pem)
    fake = FakeAdb().on("shell", "id", result=recording("android-13", "id"))
    fake.on("root", result=recording("android-14", "adb-root-production"))
    fake.on("shell", "su", "0", "id", result=recording("android-13", "id-root"))
    fake.on("shell", "ls", "/apex/com.android.conscrypt/cacerts", result=recording("android-13", "ls-apex-cacerts"))
    fake.on("push", str(ca_pem), f"/data/local/tmp/{name}", result=text("1 file pushed.\n"))
    calls: list[list[str]] = []
    original = fake.run

    def run(args: Sequence[str], timeout: float) -> Result:
        if list(args[3:6]) == ["shell", "su", "0"] and len(args) > 7:
            calls.append(list(args))
            return text("ok\n")
        return original(args, timeout)

    fake.run = run  # type: ignore[method-assign]
    assert driver(fake).install_ca(ca_pem) == "tmpfs"  # no remount without adbd as root
    (call,) = calls
    assert call[3:8] == ["shell", "su", "0", "sh", "-c"] and call[8].startswith("'set -e")


def test_install_ca_on_a_google_play_image_explains_what_to_use(ca_pem: Path) -> None:
    fake = google_play_image(FakeAdb())
    with pytest.raises(DeviceError, match="google_apis") as info:
        driver(fake).install_ca(ca_pem)
    assert "production builds" in str(info.value)


def _capture_scripts(fake: FakeAdb, scripts: list[str], answer: Result):  # type: ignore[no-untyped-def]
    """Answer root scripts (``adb shell 'set -e ...'``) with ``answer`` and keep them for inspection."""
    original = fake.run

    def run(args: Sequence[str], timeout: float) -> Result:
        if len(args) == 5 and args[3] == "shell" and args[4].startswith("set -e"):
            scripts.append(args[4])
            return answer
        return original(args, timeout)

    return run


# ----------------------------------------------------------------- finding adb


def test_find_adb_prefers_path_then_android_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = tmp_path / "bin"
    on_path.mkdir()
    (on_path / "adb").write_text("#!/bin/sh\n")
    (on_path / "adb").chmod(0o755)
    monkeypatch.setenv("PATH", str(on_path))
    assert find_adb() == on_path / "adb"
    sdk = tmp_path / "sdk" / "platform-tools"
    sdk.mkdir(parents=True)
    (sdk / "adb").write_text("")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("ANDROID_HOME", str(tmp_path / "sdk"))
    assert find_adb() == sdk / "adb"
    monkeypatch.delenv("ANDROID_HOME")
    monkeypatch.delenv("ANDROID_SDK_ROOT", raising=False)
    monkeypatch.setitem(__import__("sys").modules, "adbutils", None)  # not installed
    with pytest.raises(DeviceError, match="platform-tools"):
        find_adb()
