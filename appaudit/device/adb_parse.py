"""Parsers for the text adb and the device's shell tools print, across Android versions.

Pure functions of a string, so each is tested against recorded outputs (``fixtures/adb/<version>/``).
They never raise on unexpected text: they return what they could read (None or empty when nothing).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from appaudit.device.inspection import AppOp, PackagePermissions, PermissionState

# ----------------------------------------------------------------- uiautomator

DUMP_TRAILER = re.compile(r"UI hierch?ary dumped to: \S+\s*$")
IDLE_STATE_ERROR = "ERROR: could not get idle state."


def is_idle_state_error(output: str) -> bool:
    """``uiautomator dump`` gave up waiting for an idle screen (exit status 0 all the same)."""
    return IDLE_STATE_ERROR in output and "<hierarchy" not in output


def has_hierarchy(output: str) -> bool:
    return "<hierarchy" in output and "</hierarchy>" in output


# ----------------------------------------------------------------- adb devices, getprop

_PROP_LINE = re.compile(r"^\[(?P<name>[^\]]+)\]: \[(?P<value>.*)$")


def parse_getprop(text: str) -> dict[str, str]:
    """``getprop`` lines ``[name]: [value]``; a value may run over several lines until its closing ``]``."""
    props: dict[str, str] = {}
    name: str | None = None
    parts: list[str] = []
    for line in text.splitlines():
        if name is None:
            m = _PROP_LINE.match(line)
            if not m:
                continue
            name, rest = m["name"], m["value"]
        else:
            rest = line
        if rest.endswith("]"):
            parts.append(rest[:-1])
            props[name] = "\n".join(parts)
            name, parts = None, []
        else:
            parts.append(rest)
    return props


EMULATOR_HARDWARE = frozenset({"goldfish", "ranchu", "cutf_cvm", "vbox86"})


def looks_like_emulator(props: dict[str, str]) -> bool:
    """The qemu flags the emulator sets, or an emulator's hardware name."""
    if props.get("ro.kernel.qemu") == "1" or props.get("ro.boot.qemu") == "1":
        return True
    if props.get("ro.hardware", "") in EMULATOR_HARDWARE or props.get("ro.boot.hardware", "") in EMULATOR_HARDWARE:
        return True
    return "emulator" in props.get("ro.build.characteristics", "").split(",")


def parse_devices(text: str) -> dict[str, str]:
    """``adb devices``: serial → state ("device", "offline", "unauthorized", ...)."""
    devices: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith(("List of devices", "*")):
            continue
        fields = line.split()
        if len(fields) >= 2:
            devices[fields[0]] = fields[1]
    return devices


def parse_id_is_root(text: str) -> bool:
    """``id`` printed uid 0."""
    return re.search(r"\buid=0\(", text) is not None


# ----------------------------------------------------------------- focus

_WINDOW = re.compile(r"Window\{[0-9a-f]+ u\d+ (?P<title>[^}]*)\}")
_RECORD = re.compile(r"ActivityRecord\{[0-9a-f]+ u\d+ (?P<component>[\w.$]+/[\w.$]+)")
_PACKAGE = re.compile(r"^[A-Za-z][\w]*(\.[\w]+)+$")
# Window titles that name a package without a component (launch splash, crash and ANR dialogs).
_TITLE_PREFIXES = ("Splash Screen ", "Application Not Responding: ", "Application Error: ")


def parse_focus(text: str) -> str | None:
    """The focused package from ``dumpsys window`` lines (``mCurrentFocus=``, then ``mFocusedApp=``).

    Formats seen: ``mCurrentFocus=Window{5d3e8a9 u0 com.x/com.x.Main}`` (all versions), ``mCurrentFocus=null``
    while a window animates, ``Window{... u0 Splash Screen com.x}`` (Android 12+), ``Window{... u0
    NotificationShade}`` (a system window: no package); ``mFocusedApp=AppWindowToken{... ActivityRecord{... u0
    com.x/.Main t12}}`` (Android 10) and ``mFocusedApp=ActivityRecord{... u0 com.x/.Main t12}`` (11+).
    """
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith(("mCurrentFocus=", "mFocusedWindow=")):
            continue
        m = _WINDOW.search(line)
        if m:
            package = _package_of_title(m["title"].strip())
            if package:
                return package
    for line in text.splitlines():
        if "mFocusedApp=" in line:
            m = _RECORD.search(line)
            if m:
                return m["component"].split("/", 1)[0]
    return None


def _package_of_title(title: str) -> str | None:
    title = title.removesuffix(" EXITING").strip()
    if "/" in title:
        candidate = title.split("/", 1)[0]
        return candidate if _PACKAGE.match(candidate) else None
    for prefix in _TITLE_PREFIXES:
        if title.startswith(prefix):
            candidate = title[len(prefix) :].strip()
            return candidate if _PACKAGE.match(candidate) else None
    return None


# ----------------------------------------------------------------- packages


def parse_package_list(text: str) -> tuple[str, ...]:
    """``pm list packages`` lines ``package:com.x`` (``-U`` adds `` uid:10123``)."""
    names = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("package:"):
            names.append(line[len("package:") :].split()[0])
    return tuple(names)


def parse_resolved_activity(text: str) -> str | None:
    """``cmd package resolve-activity --brief``: the last line is the component (``com.x/.Main``)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or "No activity found" in text:
        return None
    last = lines[-1]
    return last if re.fullmatch(r"[\w.]+/[\w.$]+", last) else None


_PERM_LINE = re.compile(r"^(?P<name>[\w.]+): granted=(?P<granted>true|false)(?:, flags=\[\s*(?P<flags>[^\]]*)\])?")


def parse_package_permissions(text: str, package: str) -> PackagePermissions | None:
    """The ``Package [PKG]`` block of ``dumpsys package PKG``: uid, requested, install and runtime permissions.

    Android 10–14 share the layout; 13+ may append ``, restricted=true`` to requested permissions and print
    runtime permissions once per user (``User 0: ...`` then ``runtime permissions:``). Only user 0 is read.
    """
    block = _package_block(text, package)
    if block is None:
        return None
    uid = None
    requested: list[str] = []
    install: list[PermissionState] = []
    runtime: list[PermissionState] = []
    section: list | None = None
    section_indent = 0
    user = None
    for line in block:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        m = re.match(r"(?:userId|appId)=(\d+)", stripped)
        if m and uid is None:
            uid = int(m.group(1))
        if re.match(r"User (\d+):", stripped):
            user = int(stripped.split()[1].rstrip(":"))
            section = None
            continue
        if stripped in ("requested permissions:", "install permissions:", "runtime permissions:"):
            if stripped == "runtime permissions:" and user not in (None, 0):
                section = None
                continue
            section = {"requested permissions:": requested, "install permissions:": install}.get(stripped, runtime)
            section_indent = indent
            continue
        if section is None:
            continue
        if indent <= section_indent or not stripped:
            section = None
            continue
        if section is requested:
            requested.append(stripped.split(":", 1)[0].split(",", 1)[0].strip())
            continue
        pm = _PERM_LINE.match(stripped)
        if pm:
            flags = tuple(f for f in (pm["flags"] or "").replace(" ", "").split("|") if f)
            section.append(PermissionState(pm["name"], pm["granted"] == "true", flags))
    return PackagePermissions(package, uid, tuple(requested), tuple(install), tuple(runtime))


def _package_block(text: str, package: str) -> list[str] | None:
    lines = text.splitlines()
    header = f"Package [{package}]"
    for i, line in enumerate(lines):
        if line.strip().startswith(header):
            indent = len(line) - len(line.lstrip())
            block = []
            for nxt in lines[i + 1 :]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                    break
                block.append(nxt)
            return block
    return None


def parse_uid(text: str) -> int | None:
    """``userId=10123`` from ``dumpsys package PKG`` (``appId=`` on some builds)."""
    m = re.search(r"^\s*(?:userId|appId)=(\d+)", text, re.MULTILINE)
    return int(m.group(1)) if m else None


_OP_LINE = re.compile(r"^(?P<uid>Uid mode: )?(?P<name>[A-Z][A-Z0-9_]+): (?P<mode>[a-z]+)(?:; (?P<rest>.*))?$")


def parse_appops(text: str) -> tuple[AppOp, ...]:
    """``appops get PKG``: Android 10 prints ``OP: mode; time=+1m2s ago``; 11+ print the mode, then indented
    ``Access: [top-s] 2024-03-12 10:11:12.345 (-2m3s)`` / ``Reject:`` lines (13+ inside ``null=[ ... ]``)."""
    ops: list[AppOp] = []
    for line in text.splitlines():
        stripped = line.strip()
        m = _OP_LINE.match(stripped)
        if m and not line.startswith((" ", "\t")):
            rest = m["rest"] or ""
            access = re.search(r"(?<![a-zA-Z])time=(\S+ ago)", rest)
            reject = re.search(r"rejectTime=(\S+ ago)", rest)
            ops.append(
                AppOp(
                    m["name"],
                    m["mode"],
                    uid_mode=bool(m["uid"]),
                    last_access=access.group(1) if access else "",
                    last_reject=reject.group(1) if reject else "",
                )
            )
        elif ops:
            when = re.sub(r"^\[[^\]]*\]\s*", "", stripped.partition(":")[2].strip())
            if stripped.startswith("Access:") and not ops[-1].last_access:
                ops[-1] = replace(ops[-1], last_access=when)
            elif stripped.startswith("Reject:") and not ops[-1].last_reject:
                ops[-1] = replace(ops[-1], last_reject=when)
    return tuple(ops)


# ----------------------------------------------------------------- screen, identifiers

_SIZE = re.compile(r"(Physical|Override) size: (\d+)x(\d+)")


def parse_wm_size(text: str) -> tuple[int, int] | None:
    """``wm size``: the override size when one is set, else the physical size."""
    sizes = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in _SIZE.finditer(text)}
    return sizes.get("Override") or sizes.get("Physical")


_PARCEL_WORD = re.compile(r"(?<![0-9a-fx:])([0-9a-f]{8})(?![0-9a-f:])")


def parse_parcel_string(text: str) -> str | None:
    """The string in a ``service call`` reply: ``Result: Parcel(00000000 0000000f 00350033 ... '...')``.

    The reply is 32-bit words: the exception code (0 = none), the string length in UTF-16 units
    (``ffffffff`` = null), then the characters two per word, the lower half first. The quoted column is
    only a preview and is ignored.
    """
    if "Parcel(" not in text:
        return None
    words: list[int] = []
    for line in text[text.index("Parcel(") + len("Parcel(") :].splitlines():
        line = re.sub(r"'[^']*'", "", line)  # drop the ASCII preview
        line = re.sub(r"0x[0-9a-f]+:", "", line)  # and the offsets
        words.extend(int(w, 16) for w in _PARCEL_WORD.findall(line))
    if len(words) < 2 or words[0] != 0 or words[1] == 0xFFFFFFFF:
        return None
    length = words[1]
    chars: list[str] = []
    for word in words[2:]:
        chars.extend((chr(word & 0xFFFF), chr(word >> 16)))
    if len(chars) < length:
        return None
    return "".join(chars[:length])


def valid_imei(value: str | None) -> bool:
    """15 digits with a valid Luhn check digit."""
    if not value or not re.fullmatch(r"\d{15}", value):
        return False
    total = 0
    for i, ch in enumerate(reversed(value)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def parse_ssaid(xml_text: str, package: str) -> str | None:
    """The app's Android ID from ``settings_ssaid.xml`` (as text: ``abx2xml`` converts the binary form)."""
    start = xml_text.find("<settings")
    if start < 0:
        return None
    try:
        root = ET.fromstring(xml_text[start:])
    except ET.ParseError:
        return None
    for setting in root.iter("setting"):
        if setting.get("package") == package and setting.get("name") != "userkey":
            value = setting.get("value") or ""
            return value if re.fullmatch(r"[0-9a-f]{16}", value) else None
    return None
