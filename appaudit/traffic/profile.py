"""The test device's known values (its *profile*), which the PI detector looks for in captured traffic.

A profile is a JSON object; every key is optional, but at least one value must be given. ``null`` means
"not known" (same as leaving the key out); an empty string or list is an error, because it would
silently search for nothing.

=================  ======================================================  ====================
key                value                                                   PI type
=================  ======================================================  ====================
``imei``           list of 15-digit IMEIs (dual-SIM phones have two)       ``imei``
``meid``           14 hex digits (CDMA), or its 18-digit decimal form      ``imei``
``imsi``           14 or 15 digits                                         ``imsi``
``iccid``          18 to 22 digits (SIM serial number)                     ``iccid``
``android_id``     8 to 16 hex digits (Settings.Secure.ANDROID_ID)         ``android_id``
``gaid``           Google advertising id, a UUID                           ``gaid``
``oaid``           MSA/CAICT anonymous device id (UUID, 16-64 hex, ...)    ``oaid``
``serial``         hardware serial number (Build.getSerial())              ``serial``
``wifi_mac``       six octets, ``:`` or ``-`` separated or plain           ``mac_wlan``
``bluetooth_mac``  six octets, as ``wifi_mac``                             ``mac_bluetooth``
``phone_number``   ``+8613800138000``, ``13800138000``, ``+15555215554``   ``phone_number``
``locations``      list of ``[latitude, longitude]`` in decimal degrees    ``location_precise``
``packages``       list of canary package names installed on the device    ``installed_apps``
``accounts``       list of account names / e-mail addresses on the device  ``accounts``
``custom``         object: name → canary string, or name →                 ``canary_other``, or
                   ``{"value": str, "pi_type": str}``                      the given ``pi_type``
``description``    free text about the device (not searched)               —
=================  ======================================================  ====================

Custom canaries (a planted contact name, a calendar title, a clipboard text...) are PI of type
``canary_other`` unless the entry names a type of ``appaudit/data/pi_types.yaml``, e.g.
``"contact_1": {"value": "Zhang Canary", "pi_type": "contacts"}``; the detector reports them as
``canary:<name>``. List entries are reported as ``imei[0]``, ``locations[1]``, ...

Values that would match anything are rejected as absurd: all-zero identifiers (what Android reports
when an id is unavailable or ad tracking is limited), the ``02:00:00:00:00:00`` MAC Android hands to
apps since 6.0, ``unknown`` serials, the (0, 0) location, and strings shorter than 6 bytes in UTF-8
(the detector drops needles that short; a profile must not promise a search it will not do).
Every problem raises :class:`~appaudit.errors.InputError` with one line naming the file and the key.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from appaudit.errors import InputError

MIN_VALUE_LENGTH = 6  # the PI detector's shortest needle

# Profile key → appaudit PI taxonomy id (appaudit/data/pi_types.yaml).
PI_TYPE_OF_KEY: Mapping[str, str] = MappingProxyType(
    {
        "imei": "imei",
        "meid": "imei",  # the taxonomy's imei type is "IMEI/MEID"
        "imsi": "imsi",
        "iccid": "iccid",
        "android_id": "android_id",
        "gaid": "gaid",
        "oaid": "oaid",
        "serial": "serial",
        "wifi_mac": "mac_wlan",
        "bluetooth_mac": "mac_bluetooth",
        "phone_number": "phone_number",
        "locations": "location_precise",
        "packages": "installed_apps",
        "accounts": "accounts",
    }
)
CUSTOM_PI_TYPE = "canary_other"
CANARY_PREFIX = "canary:"


@dataclass(frozen=True)
class DeviceProfile:
    """Known values of the test device. Build it with :func:`load_profile` (which validates)."""

    imei: tuple[str, ...] = ()
    meid: str | None = None
    imsi: str | None = None
    iccid: str | None = None
    android_id: str | None = None
    gaid: str | None = None
    oaid: str | None = None
    serial: str | None = None
    wifi_mac: str | None = None
    bluetooth_mac: str | None = None
    phone_number: str | None = None
    locations: tuple[tuple[float, float], ...] = ()
    packages: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    custom: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    custom_pi_types: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    description: str = ""

    def keys(self) -> tuple[str, ...]:
        """The profile keys that hold a value (for the capture record: what PI matching looked for)."""
        present = [key for key in PI_TYPE_OF_KEY if getattr(self, key)]
        if self.custom:
            present.append("custom")
        return tuple(present)

    def values(self) -> Iterator[ProfileValue]:
        """Every string value with its reported name and PI type (locations are numeric: see ``locations``)."""
        for key, pi_type in PI_TYPE_OF_KEY.items():
            if key == "locations":
                continue
            value = getattr(self, key)
            if isinstance(value, tuple):
                for index, item in enumerate(value):
                    yield ProfileValue(f"{key}[{index}]", key, pi_type, item)
            elif value:
                yield ProfileValue(key, key, pi_type, value)
        for name, value in self.custom.items():
            yield ProfileValue(CANARY_PREFIX + name, "custom", self.custom_pi_types.get(name, CUSTOM_PI_TYPE), value)


@dataclass(frozen=True)
class ProfileValue:
    """One known value: ``name`` is what detections report ("imei[0]", "wifi_mac", "canary:contact_1")."""

    name: str
    key: str  # the profile key it came from
    pi_type: str
    value: str


# --------------------------------------------------------------------------- loading

_ALL_ZERO = re.compile(r"[0\W_]+")
_MAC = re.compile(r"[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")
_CUSTOM_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_FAKE_MACS = frozenset({"020000000000", "000000000000", "ffffffffffff"})

# key → (regex the value must match in full, what to tell the user)
_FORMATS: Mapping[str, tuple[re.Pattern[str], str]] = {
    "imei": (re.compile(r"\d{15}"), "15 digits"),
    "meid": (re.compile(r"[0-9A-Fa-f]{14}|\d{18}"), "14 hex digits or 18 decimal digits"),
    "imsi": (re.compile(r"\d{14,15}"), "14 or 15 digits"),
    "iccid": (re.compile(r"\d{18,22}"), "18 to 22 digits"),
    "android_id": (re.compile(r"[0-9A-Fa-f]{8,16}"), "8 to 16 hex digits"),
    "gaid": (_UUID, "a UUID (8-4-4-4-12 hex digits)"),
    "oaid": (re.compile(r"[0-9A-Za-z-]{6,100}"), "6 to 100 letters, digits or dashes"),
    "serial": (re.compile(r"[0-9A-Za-z._-]{6,64}"), "6 to 64 letters, digits, '.', '_' or '-'"),
    "wifi_mac": (_MAC, "six hex octets, e.g. 02:15:b2:00:00:00"),
    "bluetooth_mac": (_MAC, "six hex octets, e.g. 3c:5a:b4:01:02:03"),
    "phone_number": (re.compile(r"\+?\d{6,15}"), "6 to 15 digits, optionally with a leading '+'"),
}
_LIST_FORMATS: Mapping[str, tuple[re.Pattern[str], str]] = {
    "imei": _FORMATS["imei"],
    "packages": (_PACKAGE, "a package name such as com.example.app"),
    "accounts": (re.compile(r"\S(?:.*\S)?"), "a non-blank account name"),
}
_KNOWN_KEYS = frozenset(PI_TYPE_OF_KEY) | {"custom", "description"}


def load_profile(path: Path) -> DeviceProfile:
    """Read and validate a device profile JSON file; raises InputError naming the key on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read device profile: {exc}") from exc
    return parse_profile(text, str(path))


def parse_profile(text: str, source: str = "device profile") -> DeviceProfile:
    """Validate the JSON text of a device profile (see the module docstring for the keys)."""
    try:
        doc = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{source}: not valid JSON: {_one_line(exc)}") from exc
    if not isinstance(doc, dict):
        raise InputError(f"{source}: a device profile must be a JSON object")
    unknown = sorted(set(doc) - _KNOWN_KEYS)
    if unknown:
        raise InputError(
            f"{source}: unknown key(s) {', '.join(map(repr, unknown))} (known: {', '.join(sorted(_KNOWN_KEYS))})"
        )
    checker = _Checker(source)
    values: dict[str, Any] = {}
    for key, raw in doc.items():
        if raw is None:
            continue
        if key == "description":
            values[key] = checker.string(key, raw, allow_short=True)
        elif key == "locations":
            values[key] = checker.locations(raw)
        elif key == "custom":
            values["custom"], values["custom_pi_types"] = checker.custom(raw)
        elif key in _LIST_FORMATS:
            values[key] = checker.string_list(key, raw)
        else:
            values[key] = checker.identifier(key, raw)
    if not any(k != "description" for k in values):
        raise InputError(f"{source}: the device profile holds no value to look for")
    return DeviceProfile(**values)


class _Checker:
    """Validates one value at a time; every error names the source and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, key: str, message: str) -> InputError:
        return InputError(f"{self.source}: '{key}': {message}")

    def string(self, key: str, raw: object, *, allow_short: bool = False) -> str:
        if not isinstance(raw, str):
            raise self.error(key, f"must be a string, got {_type_name(raw)}")
        if not raw.strip():
            raise self.error(key, "must not be empty")
        if raw != raw.strip():
            raise self.error(key, "must not start or end with whitespace")
        if not allow_short and len(raw.encode("utf-8")) < MIN_VALUE_LENGTH:
            raise self.error(key, f"{raw!r} is shorter than {MIN_VALUE_LENGTH} bytes: too short to search for")
        return raw

    def identifier(self, key: str, raw: object) -> str:
        value = self.string(key, raw, allow_short=True)
        pattern, expected = _FORMATS[key]
        if not pattern.fullmatch(value):
            raise self.error(key, f"{_shown(value)} is not {expected}")
        self._not_absurd(key, value)
        return value

    def _not_absurd(self, key: str, value: str) -> None:
        if _ALL_ZERO.fullmatch(value):
            raise self.error(key, f"{_shown(value)} is all zeros: Android's placeholder for an unavailable id")
        if key.endswith("_mac") and re.sub(r"[:-]", "", value).lower() in _FAKE_MACS:
            raise self.error(key, f"{_shown(value)} is a placeholder MAC (Android returns 02:00:00:00:00:00 to apps)")
        if key == "serial" and value.lower() == "unknown":
            raise self.error(key, "'unknown' is Android's placeholder for an unreadable serial")
        if key == "phone_number" and len(value.lstrip("+")) < MIN_VALUE_LENGTH:
            raise self.error(key, f"{_shown(value)} is too short to search for")

    def string_list(self, key: str, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list):
            raise self.error(key, f"must be a list of strings, got {_type_name(raw)}")
        if not raw:
            raise self.error(key, "must not be an empty list (leave the key out instead)")
        pattern, expected = _LIST_FORMATS[key]
        items: list[str] = []
        for index, item in enumerate(raw):
            label = f"{key}[{index}]"
            value = self.string(label, item)
            if not pattern.fullmatch(value):
                raise self.error(label, f"{_shown(value)} is not {expected}")
            if key == "imei":
                self._not_absurd(label, value)
            if value in items:
                raise self.error(label, f"{_shown(value)} is listed twice")
            items.append(value)
        return tuple(items)

    def locations(self, raw: object) -> tuple[tuple[float, float], ...]:
        if not isinstance(raw, list) or not raw:
            raise self.error("locations", "must be a non-empty list of [latitude, longitude] pairs")
        pairs: list[tuple[float, float]] = []
        for index, item in enumerate(raw):
            label = f"locations[{index}]"
            if not isinstance(item, list) or len(item) != 2 or not all(_is_number(v) for v in item):
                raise self.error(label, "must be a [latitude, longitude] pair of numbers")
            lat, lon = float(item[0]), float(item[1])
            if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
                raise self.error(label, f"latitude {item[0]!r} is outside -90..90")
            if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
                raise self.error(label, f"longitude {item[1]!r} is outside -180..180")
            if abs(lat) < 0.01 and abs(lon) < 0.01:
                raise self.error(label, "(0, 0) is the 'no fix' placeholder, not a device location")
            pairs.append((lat, lon))
        return tuple(pairs)

    def custom(self, raw: object) -> tuple[Mapping[str, str], Mapping[str, str]]:
        if not isinstance(raw, dict) or not raw:
            raise self.error("custom", "must be a non-empty object of name → canary string")
        from appaudit.knowledge.pi_types import load_pi_taxonomy  # only needed when a custom type is named

        values: dict[str, str] = {}
        pi_types: dict[str, str] = {}
        for name, entry in raw.items():
            label = f"custom.{name}"
            if not _CUSTOM_NAME.fullmatch(name):
                raise self.error(label, "names use letters, digits, '.', '_' or '-' (at most 64)")
            if isinstance(entry, dict):
                extra = sorted(set(entry) - {"value", "pi_type"})
                if extra:
                    raise self.error(label, f"unknown key(s) {', '.join(map(repr, extra))} (known: pi_type, value)")
                values[name] = self.string(label + ".value", entry.get("value"))
                pi_type = self.string(label + ".pi_type", entry.get("pi_type"), allow_short=True)
                if pi_type not in load_pi_taxonomy():
                    raise self.error(label + ".pi_type", f"{pi_type!r} is not a PI type of pi_types.yaml")
                pi_types[name] = pi_type
            else:
                values[name] = self.string(label, entry)
        return MappingProxyType(values), MappingProxyType(pi_types)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _type_name(value: object) -> str:
    return {dict: "an object", list: "a list", bool: "a boolean", str: "a string"}.get(type(value), "a number")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")
