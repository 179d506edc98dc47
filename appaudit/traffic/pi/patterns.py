"""Pattern detectors: PI-shaped values found without knowing the device (detector "pattern").

==================  ==================  ===========================================================  ==========
name                PI type             shape                                                        confidence
==================  ==================  ===========================================================  ==========
``imei_luhn``       imei                15 digits passing the Luhn check, ≥ 3 distinct digits,       medium
                                        under an IMEI/device-id key (required)
``cn_mobile``       phone_number        1[3-9] + 9 digits, optional +86/0086/86, under a phone key   medium
                                        (required)
``cn_resident_id``  id_card             18 characters: known province code, prefecture 01-70 or 90,  medium with
                                        a real birth date (1900..today), ISO 7064 MOD 11-2 check     a key, else
                                                                                                     low
``coordinates``     location_precise    a latitude and a longitude with ≥ 4 decimals, in range:      medium
                                        sibling values under lat/lng keys, ``lat=…`` and ``lng=…``
                                        within 64 bytes of text, or a "lat,lon" string               low without
                                                                                                     a key
``package_list``    installed_apps      ≥ 3 distinct lower-case package names (com.x.y, first        medium
                                        segment a known root) in one JSON array/object, protobuf
                                        repeated field, repeated form field, or delimited string
==================  ==================  ===========================================================  ==========

Digits glued to letters are not candidates ("a358240051111110b" is part of a hex string). Keyword
lists and code tables are data: ``appaudit/data/pi_patterns.yaml`` (normalisation rules there).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from appaudit.evidence.common import Confidence
from appaudit.knowledge.loader import Entry, check_sources, read_packaged_yaml, section
from appaudit.traffic.pi.limits import (
    LOCATION_PAIR_GAP,
    MAX_PATTERN_CANDIDATES,
    MIN_COORDINATE_DECIMALS,
    MIN_PACKAGE_LIST,
)
from appaudit.traffic.pi.tree import Node

DATA_FILE = "pi_patterns.yaml"
CONTEXTS = ("imei", "phone", "resident_id", "latitude", "longitude", "coordinates")

IMEI_LUHN, CN_MOBILE, CN_RESIDENT_ID, COORDINATES, PACKAGE_LIST = (
    "imei_luhn",
    "cn_mobile",
    "cn_resident_id",
    "coordinates",
    "package_list",
)

# Cheap first passes (they start with a character class, which the regex engine scans for quickly):
# the full detectors, with their look-arounds, run only on pieces these find something in.
_RUN_OF_11 = re.compile(rb"1[3-9]\d{9}")
_RUN_OF_15 = re.compile(rb"\d{15}")
_RUN_OF_17 = re.compile(rb"\d{17}")
_FOUR_DECIMALS = re.compile(rb"\d\.\d{%d}" % MIN_COORDINATE_DECIMALS)
_IMEI = re.compile(rb"(?<![0-9A-Za-z])[0-9]{15}(?![0-9A-Za-z])")
_MOBILE = re.compile(rb"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9]{9}(?![0-9A-Za-z])")
_RESIDENT_ID = re.compile(rb"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
_DECIMAL = rb"-?\d{1,3}\.\d{%d,}" % MIN_COORDINATE_DECIMALS
_PAIR = re.compile(rb"(?<![\d.])(" + _DECIMAL + rb")\s*[,;|]\s*(" + _DECIMAL + rb")(?![\d.])")
_KEYED_DECIMAL = re.compile(rb"([A-Za-z_][A-Za-z0-9_]{0,30})\\?[\"']?\s*[:=]\s*\\?[\"']?(" + _DECIMAL + rb")(?![\d.])")
_WHOLE_DECIMAL = re.compile(_DECIMAL)
_KEY_BEFORE = re.compile(rb"([A-Za-z_][A-Za-z0-9_.\-]{0,40})\\?[\"']?\s*[:=]\s*\\?[\"']?$")
_PACKAGE = re.compile(rb"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
_PACKAGE_TOKEN = re.compile(rb"[^\s,;|\[\]\"']+")
_GENERIC_TLDS = frozenset({b"com", b"net", b"org", b"cn", b"edu", b"gov", b"io", b"info", b"biz"})
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_INDEX = re.compile(r"\[\d+\]")
_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class PatternData:
    """The keyword lists and tables of ``pi_patterns.yaml``, normalised."""

    context_keys: Mapping[str, frozenset[str]]
    package_roots: frozenset[bytes]
    provinces: frozenset[str]


@dataclass(frozen=True)
class PatternHit:
    """A PI-shaped value in one piece: [start, end) of the piece's bytes."""

    name: str
    pi_type: str
    confidence: Confidence
    start: int
    end: int
    note: str | None = None  # replaces the excerpt when the evidence spans several pieces


@functools.cache
def load_pattern_data() -> PatternData:
    source, doc = read_packaged_yaml(DATA_FILE)
    return build_pattern_data(source, doc)


def build_pattern_data(source: str, doc: Mapping[str, Any]) -> PatternData:
    """Validate a parsed ``pi_patterns.yaml``."""
    declared = section(source, doc, "sources", dict)
    contexts = section(source, doc, "context_keys", dict)
    keys: dict[str, frozenset[str]] = {}
    for name in CONTEXTS:
        entry = Entry(source, f"context_keys.{name}", contexts.get(name))
        entry.only({"keys", "sources"})
        check_sources(entry, entry.texts("sources"), declared)
        keys[name] = frozenset(normalise_key(k) for k in entry.texts("keys"))
    extra = sorted(set(contexts) - set(CONTEXTS))
    if extra:
        raise Entry(source, "context_keys", {}).error(f"unknown context(s) {', '.join(extra)}")
    tables: dict[str, frozenset[str]] = {}
    for name in ("package_roots", "resident_id_provinces"):
        entry = Entry(source, name, doc.get(name))
        entry.only({"values", "sources"})
        check_sources(entry, entry.texts("sources"), declared)
        tables[name] = frozenset(entry.texts("values"))
    return PatternData(
        context_keys=keys,
        package_roots=frozenset(r.encode() for r in tables["package_roots"]),
        provinces=tables["resident_id_provinces"],
    )


# --------------------------------------------------------------------------- keys


def normalise_key(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower()).rstrip("0123456789")


@functools.lru_cache(maxsize=8192)
def key_matches(key: str | None, keywords: frozenset[str]) -> bool:
    """Whether a field name means one of ``keywords`` (rules in pi_patterns.yaml); cached: names repeat."""
    if not key:
        return False
    whole = normalise_key(key)
    if not whole:
        return False
    if whole in keywords or any(normalise_key(word) in keywords for word in _WORDS.findall(key)):
        return True
    return any(len(k) >= 4 and (whole.startswith(k) or whole.endswith(k)) for k in keywords)


def key_before(data: bytes, start: int) -> str | None:
    """The ``key`` of ``key=``, ``"key":`` or ``key:`` written just before ``start`` in free text."""
    match = _KEY_BEFORE.search(data, max(0, start - 48), start)
    return match.group(1).decode("ascii") if match else None


# --------------------------------------------------------------------------- one piece


Skip = Callable[[str, int, int], bool]  # (pi_type, start, end) → already explained by the profile


def piece_hits(node: Node, data_tables: PatternData, skip: Skip) -> tuple[list[PatternHit], bool]:
    """The first hit of each detector inside one text piece, passing over hits ``skip`` explains; and
    whether a detector gave up after MAX_PATTERN_CANDIDATES explained hits.

    One hit per detector is all a report needs (the same pattern at the same place and chain is one
    detection), and stopping there keeps a hostile piece with a million candidates cheap.
    """
    data = node.data
    context = _Context(node, data_tables)
    candidates: list[Iterator[PatternHit]] = []
    if _RUN_OF_15.search(data):
        candidates.append(_imei_hits(data, context))
    if _RUN_OF_11.search(data):
        candidates.append(_mobile_hits(data, context))
    if _RUN_OF_17.search(data):
        candidates.append(_resident_id_hits(data, context, data_tables))
    if _FOUR_DECIMALS.search(data):
        candidates += [_pair_string_hits(data, context), _keyed_text_hits(data, context)]
    hits: list[PatternHit] = []
    gave_up = False
    for detector in candidates:
        for count, hit in enumerate(detector):
            if count >= MAX_PATTERN_CANDIDATES:
                gave_up = True
                break
            if not skip(hit.pi_type, hit.start, hit.end):
                hits.append(hit)
                break
    if b"." in data:
        package_list = _package_string_hit(data, data_tables)
        if package_list is not None:
            hits.append(package_list)
    return hits, gave_up


class _Context:
    """Answers "is this match under a key meaning X?" from the piece's key or the text before the match."""

    def __init__(self, node: Node, data_tables: PatternData) -> None:
        self.node = node
        self.keys = data_tables.context_keys

    def means(self, context: str, start: int) -> bool:
        keywords = self.keys[context]
        return key_matches(self.node.key, keywords) or key_matches(key_before(self.node.data, start), keywords)


def _imei_hits(data: bytes, context: _Context) -> Iterator[PatternHit]:
    for match in _IMEI.finditer(data):
        digits = match.group()
        if len(set(digits)) >= 3 and luhn_valid(digits) and context.means("imei", match.start()):
            yield PatternHit(IMEI_LUHN, "imei", Confidence.MEDIUM, match.start(), match.end())


def _mobile_hits(data: bytes, context: _Context) -> Iterator[PatternHit]:
    for match in _MOBILE.finditer(data):
        if context.means("phone", match.start()):
            yield PatternHit(CN_MOBILE, "phone_number", Confidence.MEDIUM, match.start(), match.end())


def _resident_id_hits(data: bytes, context: _Context, data_tables: PatternData) -> Iterator[PatternHit]:
    for match in _RESIDENT_ID.finditer(data):
        if resident_id_valid(match.group().decode("ascii"), data_tables.provinces):
            keyed = context.means("resident_id", match.start())
            confidence = Confidence.MEDIUM if keyed else Confidence.LOW
            yield PatternHit(CN_RESIDENT_ID, "id_card", confidence, match.start(), match.end())


def _pair_string_hits(data: bytes, context: _Context) -> Iterator[PatternHit]:
    """ "39.904211,116.407395": low confidence, medium under a location key."""
    for match in _PAIR.finditer(data):
        if _plausible_pair(float(match.group(1)), float(match.group(2))):
            keyed = any(context.means(c, match.start()) for c in ("coordinates", "latitude", "longitude"))
            confidence = Confidence.MEDIUM if keyed else Confidence.LOW
            yield PatternHit(COORDINATES, "location_precise", confidence, match.start(), match.end())


def _keyed_text_hits(data: bytes, context: _Context) -> Iterator[PatternHit]:
    """``lat=…`` and ``lng=…`` (any order) within LOCATION_PAIR_GAP bytes of free text."""
    keys = context.keys
    numbers = [
        (m.start(), m.end(2), m.group(1).decode("ascii"), float(m.group(2))) for m in _KEYED_DECIMAL.finditer(data)
    ]
    for position, (start, end, key, value) in enumerate(numbers):
        is_lat = key_matches(key, keys["latitude"]) and abs(value) <= 90.0
        is_lon = key_matches(key, keys["longitude"]) and abs(value) <= 180.0
        if not (is_lat or is_lon):
            continue
        for other_start, other_end, other_key, other in numbers[position + 1 : position + 8]:
            if other_start - end > LOCATION_PAIR_GAP:
                break
            wanted = keys["longitude"] if is_lat else keys["latitude"]
            lat, lon = (value, other) if is_lat else (other, value)
            if key_matches(other_key, wanted) and abs(lat) <= 90.0 and _plausible_pair(lat, lon):
                yield PatternHit(COORDINATES, "location_precise", Confidence.MEDIUM, start, other_end)
                break


def _plausible_pair(first: float, second: float) -> bool:
    """Latitude then longitude (or longitude then latitude, as GeoJSON writes it), not (0, 0)."""
    if abs(first) < 0.01 and abs(second) < 0.01:
        return False
    return (abs(first) <= 90.0 and abs(second) <= 180.0) or (abs(first) <= 180.0 and abs(second) <= 90.0)


def _package_string_hit(data: bytes, data_tables: PatternData) -> PatternHit | None:
    """A delimited string of package names: "com.a.b,com.c.d;com.e.f"."""
    names: dict[bytes, tuple[int, int]] = {}
    for match in _PACKAGE_TOKEN.finditer(data):
        if package_shaped(match.group(), data_tables.package_roots):
            names.setdefault(match.group(), match.span())
    if len(names) < MIN_PACKAGE_LIST:
        return None
    start, end = next(iter(names.values()))
    return PatternHit(PACKAGE_LIST, "installed_apps", Confidence.MEDIUM, start, end, _package_note(list(names)))


def package_shaped(text: bytes, roots: frozenset[bytes]) -> bool:
    """A lower-case dotted name starting with a known root and not ending like a host name."""
    if len(text) > 255 or not _PACKAGE.fullmatch(text):
        return False
    segments = text.split(b".")
    return segments[0] in roots and segments[-1] not in _GENERIC_TLDS


def _package_note(names: list[bytes]) -> str:
    shown = ", ".join(n.decode("ascii") for n in names[:4])
    more = f" (+{len(names) - 4} more)" if len(names) > 4 else ""
    return f"{len(names)} package names: {shown}{more}"


# --------------------------------------------------------------------------- several pieces


def group_hits(pieces: list[Node], data_tables: PatternData) -> list[tuple[int, PatternHit]]:
    """Hits that need several sibling pieces: keyed coordinate pairs and installed-app lists."""
    hits: list[tuple[int, PatternHit]] = []
    by_container: dict[tuple[str, ...], list[int]] = defaultdict(list)
    by_list: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, node in enumerate(pieces):
        if node.container is not None:
            by_container[node.container].append(index)
            by_list[(*node.container[:-1], _INDEX.sub("[*]", node.container[-1]))].append(index)
    for members in by_container.values():
        hit = _keyed_pair(pieces, members, data_tables)
        if hit is not None:
            hits.append(hit)
    for members in by_list.values():
        hit = _package_list(pieces, members, data_tables)
        if hit is not None:
            hits.append(hit)
    return hits


def _keyed_pair(pieces: list[Node], members: list[int], data_tables: PatternData) -> tuple[int, PatternHit] | None:
    """The first latitude-keyed and the first longitude-keyed value of one container, if they pair up."""
    keys = data_tables.context_keys
    lat_index = next((i for i in members if _coordinate_value(pieces[i], keys["latitude"], 90.0) is not None), None)
    lon_index = next((i for i in members if _coordinate_value(pieces[i], keys["longitude"], 180.0) is not None), None)
    if lat_index is None or lon_index is None or lat_index == lon_index:
        return None
    lat_node, lon_node = pieces[lat_index], pieces[lon_index]
    lat = _coordinate_value(lat_node, keys["latitude"], 90.0)
    lon = _coordinate_value(lon_node, keys["longitude"], 180.0)
    if lat is None or lon is None or not _plausible_pair(lat, lon):
        return None
    start = len(lat_node.data) - len(lat_node.data.lstrip())
    end = len(lat_node.data.rstrip())
    note = f"{lat_node.key}={lat} with {lon_node.key}={lon} ({lon_node.chain[-1]})"
    return lat_index, PatternHit(COORDINATES, "location_precise", Confidence.MEDIUM, start, end, note)


def _coordinate_value(node: Node, keywords: frozenset[str], bound: float) -> float | None:
    text = node.data.strip()
    if not _WHOLE_DECIMAL.fullmatch(text) or not key_matches(node.key, keywords):
        return None
    value = float(text)
    return value if abs(value) <= bound else None


def _package_list(pieces: list[Node], members: list[int], data_tables: PatternData) -> tuple[int, PatternHit] | None:
    names: dict[bytes, int] = {}
    for index in members:
        text = pieces[index].data.strip()
        if package_shaped(text, data_tables.package_roots):
            names.setdefault(text, index)
    if len(names) < MIN_PACKAGE_LIST:
        return None
    first = next(iter(names.values()))
    data = pieces[first].data
    start = len(data) - len(data.lstrip())
    end = len(data.rstrip())
    return first, PatternHit(PACKAGE_LIST, "installed_apps", Confidence.MEDIUM, start, end, _package_note(list(names)))


# --------------------------------------------------------------------------- checks


def luhn_valid(digits: bytes) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = char - 48
        total += _LUHN_DOUBLE[digit] if position % 2 else digit
    return total % 10 == 0


def resident_id_valid(number: str, provinces: frozenset[str]) -> bool:
    """GB 11643: region (province, prefecture), birth date, ISO 7064 MOD 11-2 check character."""
    if number[:2] not in provinces:
        return False
    prefecture = int(number[2:4])
    if not (1 <= prefecture <= 70 or prefecture == 90):
        return False
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not datetime.date(1900, 1, 1) <= born <= datetime.date.today():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()
