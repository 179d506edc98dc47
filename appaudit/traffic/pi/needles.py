"""The byte strings a device's known values can appear as, and one compiled search for all of them.

Each profile value yields *plain forms* (the value as given, plus the variants apps really send):

* IMEI: also the 14-digit form without the Luhn check digit ("imei14").
* Hex and UUID identifiers (Android ID, GAID, OAID, MEID, serial): lower and upper case; UUIDs also
  without dashes ("nodash", "nodash:upper").
* MACs: ":" / "-" / no separator, lower and upper case ("mac:colon-lower" ... "mac:plain-upper").
* Chinese mobile numbers: national 11 digits, "86…", "+86…", "+86 …", "+86-…", "0086…"
  ("phone:national", "phone:86", ...); other numbers also without their "+" ("phone:digits").
* Accounts: also lower case.

and every plain form is also hashed: md5, sha1 and sha256 as lower- and upper-case hex and as raw
digest bytes ("md5", "md5:upper", "md5:binary", ...). The labels are appended to the detection's
encoding chain, hash first: ("json:$.d", "md5", "mac:plain-upper") reads "the md5 hex of the MAC
written without separators in upper case". Needles shorter than MIN_NEEDLE_LENGTH are dropped; two
forms with the same bytes keep the first (the simplest) label.

All needles go into one regular expression shaped as a trie (needles sharing a prefix share the
pattern for it), so a search costs about one pass over the bytes whatever the number of needles; it
reports, at every start position, the longest needle there; a match inside a longer match of the
same value (the national number inside "+86…") is dropped, and only the first occurrence of each needle
in a piece is kept (one detection per value, place and chain is all a report needs).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from appaudit.traffic.pi.limits import MIN_NEEDLE_LENGTH
from appaudit.traffic.profile import DeviceProfile, ProfileValue

_HASHES = ("md5", "sha1", "sha256")
_UUID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
_CN_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_CASE_FOLDED_KEYS = frozenset({"android_id", "gaid", "oaid", "meid", "serial"})


@dataclass(frozen=True)
class Needle:
    """One byte string to look for, and what finding it means."""

    data: bytes
    value_name: str  # "imei[0]", "wifi_mac", "canary:contact_1"
    pi_type: str
    forms: tuple[str, ...] = ()  # labels appended to the encoding chain, e.g. ("md5", "mac:plain-upper")


@dataclass(frozen=True)
class NeedleMatch:
    start: int
    end: int
    needle: Needle


def profile_needles(profile: DeviceProfile) -> list[Needle]:
    """Every needle of every string value of the profile (locations are matched numerically)."""
    needles: list[Needle] = []
    seen: set[bytes] = set()
    for value in profile.values():
        for label, text in plain_forms(value):
            for needle in _with_hashes(value, label, text):
                if len(needle.data) >= MIN_NEEDLE_LENGTH and needle.data not in seen:
                    seen.add(needle.data)
                    needles.append(needle)
    return needles


def plain_forms(value: ProfileValue) -> list[tuple[str | None, str]]:
    """(label, text) pairs: the value as given (label None) and its variants, without duplicates."""
    raw = value.value
    forms: list[tuple[str | None, str]] = [(None, raw)]
    if value.key == "imei":
        forms.append(("imei14", raw[:14]))
    elif value.key in ("wifi_mac", "bluetooth_mac"):
        forms.extend(_mac_forms(raw))
    elif value.key == "phone_number":
        forms.extend(_phone_forms(raw))
    elif value.key == "accounts":
        forms.append(("lower", raw.lower()))
    if value.key in _CASE_FOLDED_KEYS:
        forms += [("lower", raw.lower()), ("upper", raw.upper())]
        if _UUID.fullmatch(raw):
            plain = raw.replace("-", "")
            forms += [("nodash", plain.lower()), ("nodash:upper", plain.upper())]
    unique: dict[str, str | None] = {}
    for label, text in forms:
        unique.setdefault(text, label)
    return [(label, text) for text, label in unique.items()]


def _mac_forms(raw: str) -> Iterator[tuple[str, str]]:
    octets = re.findall(r"[0-9A-Fa-f]{2}", raw)
    for separator, name in ((":", "colon"), ("-", "dash"), ("", "plain")):
        joined = separator.join(octets)
        yield f"mac:{name}-lower", joined.lower()
        yield f"mac:{name}-upper", joined.upper()


def _phone_forms(raw: str) -> Iterator[tuple[str, str]]:
    match = _CN_MOBILE.fullmatch(raw)
    if match:
        national = match.group(1)
        yield "phone:national", national
        yield "phone:86", "86" + national
        yield "phone:+86", "+86" + national
        yield "phone:+86-space", "+86 " + national
        yield "phone:+86-dash", "+86-" + national
        yield "phone:0086", "0086" + national
    elif raw.startswith("+"):
        yield "phone:digits", raw[1:]


def _with_hashes(value: ProfileValue, label: str | None, text: str) -> Iterator[Needle]:
    suffix = (label,) if label else ()
    encoded = text.encode("utf-8")
    yield Needle(encoded, value.name, value.pi_type, suffix)
    for name in _HASHES:
        digest = hashlib.new(name, encoded)
        hex_digest = digest.hexdigest()
        yield Needle(hex_digest.encode(), value.name, value.pi_type, (name, *suffix))
        yield Needle(hex_digest.upper().encode(), value.name, value.pi_type, (f"{name}:upper", *suffix))
        yield Needle(digest.digest(), value.name, value.pi_type, (f"{name}:binary", *suffix))


class NeedleSearch:
    """All needles compiled into trie-shaped regular expressions: one for text needles, one for raw digests.

    Raw digest bytes cannot sit in a text piece (they are not printable UTF-8), and their first bytes
    spread over the whole byte range, which makes the pattern's first branch wide and the search slow;
    so text pieces are searched with the text needles only.
    """

    def __init__(self, needles: Iterable[Needle]) -> None:
        self._by_data = {n.data: n for n in needles}
        text = [data for data, n in self._by_data.items() if not _raw_digest(n)]
        binary = [data for data, n in self._by_data.items() if _raw_digest(n)]
        self._text = compile_trie(text) if text else None
        self._binary = compile_trie(binary) if binary else None

    def __bool__(self) -> bool:
        return bool(self._by_data)

    def __contains__(self, data: object) -> bool:
        """Whether ``data`` is exactly one of the needles (a known value in some form)."""
        return data in self._by_data

    def find(self, data: bytes, *, raw_digests: bool = True) -> list[NeedleMatch]:
        """The first occurrence of each needle in ``data``, not counting occurrences inside a longer match
        of the same value ("13912345678" inside "+8613912345678"). ``raw_digests=False`` skips the raw
        digest needles (for text and media pieces). Linear in the number of occurrences."""
        first: dict[bytes, NeedleMatch] = {}
        for regex in (self._text, self._binary if raw_digests else None):
            if regex is None:
                continue
            reach: dict[str, int] = {}  # value name → furthest end of its matches so far
            pos = 0
            search = regex.search
            # Matches come in increasing start order; a match ending before an earlier match of the same
            # value reaches is inside it (and shorter, having started later).
            while (found := search(data, pos)) is not None:
                needle = self._by_data[found.group()]
                start, end = found.span()
                if reach.get(needle.value_name, -1) < end:
                    reach[needle.value_name] = end
                    if needle.data not in first:
                        first[needle.data] = NeedleMatch(start, end, needle)
                pos = start + 1
        return sorted(first.values(), key=lambda m: m.start)


def _raw_digest(needle: Needle) -> bool:
    return bool(needle.forms) and needle.forms[0].endswith(":binary")


def compile_trie(needles: Iterable[bytes]) -> re.Pattern[bytes]:
    """One regex matching any of ``needles``, preferring the longest at a position."""
    trie: dict[int, dict] = {}
    for needle in needles:
        node = trie
        for byte in needle:
            node = node.setdefault(byte, {})
        node[-1] = {}  # end of a needle
    return re.compile(_trie_pattern(trie), re.DOTALL)


def _trie_pattern(node: dict[int, dict]) -> bytes:
    ends_here = -1 in node
    branches = [re.escape(bytes([byte])) + _trie_pattern(child) for byte, child in sorted(node.items()) if byte >= 0]
    if not branches:
        return b""
    body = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
    # Greedy "?": the longer needle is tried first, the shorter one is the fallback.
    return b"(?:" + body + b")?" if ends_here else body
