"""Find personal information in captured request parts: the PI detector's entry point.

    detector = PiDetector(load_profile(path))          # or PiDetector(None): patterns only
    detections = detector.scan(parts)                  # parts: MessagePart, split from one request
    report = detector.examine(parts)                   # + truncations and opaque parts

Each part is decoded recursively (:mod:`~appaudit.traffic.pi.tree`: Content-Encoding, compression
magic, multipart, JSON, forms, cookies, protobuf, percent, base64, hex) within fixed work limits
(:mod:`~appaudit.traffic.pi.limits`). Every searchable piece is matched against

* the profile's needles (:mod:`~appaudit.traffic.pi.needles`; detector "profile", confidence high),
* the profile's locations, numerically (:mod:`~appaudit.traffic.pi.locations`; "profile", high),
* the pattern detectors (:mod:`~appaudit.traffic.pi.patterns`; "pattern", medium or low), unless
  ``patterns=False``. A pattern hit on a profile value (its bytes are a needle, or its numbers are
  within tolerance of a profile location) or overlapping a profile hit of the same PI type is
  dropped: the profile hit says more. Package lists are kept: the list says more than one canary.

A detection's ``encodings`` are the decoding steps from the part to the piece, then the needle's form
labels; ``offset``/``length`` address the piece's bytes, which :func:`~appaudit.traffic.pi.tree.replay`
recomputes from the part. The same value at the same location through the same chain is reported
once (the first occurrence).

``scan`` returns the detections only. Where decoding stopped at a limit (a compression bomb cut at
MAX_INFLATED_BYTES, the depth or work budget) and which parts hold an opaque blob are in
``examine``'s :class:`~appaudit.traffic.pi.types.ScanReport`: a caller that must not call a cut or
opaque body "clean" reads those.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from appaudit.evidence.common import Confidence
from appaudit.traffic.pi.entropy import entropy_bits_per_byte, has_media_signature, is_media_type
from appaudit.traffic.pi.limits import (
    EXCERPT_CHARS,
    MAX_COORDINATE_HITS,
    MAX_PATTERN_CANDIDATES,
    OPAQUE_MIN_BYTES,
    OPAQUE_MIN_ENTROPY,
    PRINTABLE_SHARE,
)
from appaudit.traffic.pi.locations import CoordinateHit, CoordinateMatcher, pairs_in_piece
from appaudit.traffic.pi.needles import NeedleSearch, profile_needles
from appaudit.traffic.pi.patterns import (
    PACKAGE_LIST,
    PatternData,
    PatternHit,
    group_hits,
    load_pattern_data,
    piece_hits,
)
from appaudit.traffic.pi.pieces import is_text
from appaudit.traffic.pi.tree import Node, explode
from appaudit.traffic.pi.types import Detection, MessagePart, ScanReport, Truncation
from appaudit.traffic.profile import DeviceProfile

PROFILE, PATTERN = "profile", "pattern"
HIGH = Confidence.HIGH
_LOCATION_PI_TYPE = "location_precise"


@dataclass(frozen=True)
class _Hit:
    piece: int  # index into the part's searchable pieces
    detector: str
    pi_type: str
    value_name: str
    confidence: Confidence
    start: int
    end: int
    labels: tuple[str, ...] = ()
    note: str | None = None


class PiDetector:
    """Looks for a device's known values (and, optionally, PI-shaped values) in message parts."""

    def __init__(self, profile: DeviceProfile | None, *, patterns: bool = True) -> None:
        self._needles = NeedleSearch(profile_needles(profile) if profile else [])
        self._coordinates = CoordinateMatcher(profile.locations if profile else ())
        self._patterns: PatternData | None = load_pattern_data() if patterns else None

    def scan(self, parts: Iterable[MessagePart]) -> list[Detection]:
        """Detections in ``parts``, in part order then piece order then offset."""
        return list(self.examine(parts).detections)

    def examine(self, parts: Iterable[MessagePart]) -> ScanReport:
        """Detections, plus where decoding was cut short and which parts hold an opaque blob."""
        detections: list[Detection] = []
        truncations: list[Truncation] = []
        opaque: list[str] = []
        for part in parts:
            explosion = explode(part)
            truncations.extend(explosion.truncations)
            found, cut = self._detect(explosion.pieces)
            detections.extend(found)
            truncations.extend(cut)
            if _has_opaque_blob(part, explosion.pieces):
                opaque.append(part.location)
        return ScanReport(tuple(_first_of_each(detections)), tuple(truncations), tuple(opaque))

    def _detect(self, pieces: list[Node]) -> tuple[list[Detection], list[Truncation]]:
        profile_hits: list[_Hit] = []
        pattern_hits: list[_Hit] = []
        truncations: list[Truncation] = []
        coordinates: dict[int, list[CoordinateHit]] = {}
        for index, node in enumerate(pieces):
            text = is_text(node.data, PRINTABLE_SHARE)
            # Raw digest bytes are not printable text, and nobody hides them in a photo.
            found = [
                _Hit(index, PROFILE, m.needle.pi_type, m.needle.value_name, HIGH, m.start, m.end, m.needle.forms)
                for m in self._needles.find(node.data, raw_digests=not text and not _media(node))
                if not _covered(m.start, m.end, node)
            ]
            if text:  # numbers and PI-shaped values are text; binary is only searched for needles
                near, cut = self._coordinates.hits(node.data)
                if cut:
                    reason = f"more than {MAX_COORDINATE_HITS} numbers near a profile location in one piece"
                    truncations.append(Truncation(node.location, node.chain, reason))
                if near:
                    coordinates[index] = near
                    found.extend(_location_pairs_in_piece(index, near))
            profile_hits.extend(found)
            if text and self._patterns is not None:
                patterns, gave_up = piece_hits(node, self._patterns, self._explained_by(node, found))
                pattern_hits.extend(_pattern_hit(index, hit) for hit in patterns)
                if gave_up:
                    reason = (
                        f"a pattern detector stopped after {MAX_PATTERN_CANDIDATES} hits all explained by the profile"
                    )
                    truncations.append(Truncation(node.location, node.chain, reason))
        profile_hits.extend(_location_pairs_across_pieces(pieces, coordinates))
        if self._patterns is not None:
            pattern_hits.extend(_pattern_hit(index, hit) for index, hit in group_hits(pieces, self._patterns))
        by_piece: dict[int, list[_Hit]] = defaultdict(list)
        for hit in profile_hits:
            by_piece[hit.piece].append(hit)
        kept = (
            profile_hits
            + [
                h
                for h in pattern_hits
                if h.value_name == PACKAGE_LIST  # the list says more than the one canary in it
                or not (
                    self._known(h.pi_type, pieces[h.piece].data[h.start : h.end]) or _overlaps(h, by_piece[h.piece])
                )
            ]
        )
        kept.sort(key=lambda h: (h.piece, h.start, h.detector != PROFILE))
        return [_detection(pieces[h.piece], h) for h in kept], truncations

    def _explained_by(self, node: Node, found: list[_Hit]) -> Callable[[str, int, int], bool]:
        """A pattern hit adds nothing on a known value, or where a profile hit of the same type overlaps it."""

        def skip(pi_type: str, start: int, end: int) -> bool:
            probe = _Hit(-1, PATTERN, pi_type, "", HIGH, start, end)
            return self._known(pi_type, node.data[start:end]) or _overlaps(probe, found)

        return skip

    def _known(self, pi_type: str, data: bytes) -> bool:
        """The bytes are a profile value in some form (a coordinate: within tolerance of a profile one).

        Profile matches keep only the first occurrence per piece, so a later copy of the same value is
        recognised by its bytes rather than by an overlapping profile hit.
        """
        if pi_type == _LOCATION_PI_TYPE:
            return bool(self._coordinates.hits(data)[0])
        return data in self._needles


def _overlaps(hit: _Hit, profile_hits: list[_Hit]) -> bool:
    return any(h.pi_type == hit.pi_type and h.start < hit.end and hit.start < h.end for h in profile_hits)


def _pattern_hit(index: int, hit: PatternHit) -> _Hit:
    return _Hit(index, PATTERN, hit.pi_type, hit.name, hit.confidence, hit.start, hit.end, note=hit.note)


def _location_pairs_in_piece(index: int, found: list[CoordinateHit]) -> list[_Hit]:
    hits = []
    for first, second in pairs_in_piece(found):
        lat = first if first.axis == "lat" else second
        name = f"locations[{first.location_index}]"
        start, end = min(first.start, second.start), max(first.end, second.end)
        hits.append(_Hit(index, PROFILE, _LOCATION_PI_TYPE, name, HIGH, start, end, (lat.form,)))
    return hits


def _location_pairs_across_pieces(pieces: list[Node], coordinates: dict[int, list[CoordinateHit]]) -> list[_Hit]:
    """A latitude and a longitude as two whole values of one JSON object, form or protobuf message:
    the first such pair per container and location."""
    firsts: dict[tuple[tuple[str, ...], int, str], tuple[int, CoordinateHit]] = {}
    for index in sorted(coordinates):
        container = pieces[index].container
        if container is None:
            continue
        for hit in coordinates[index]:
            if hit.whole:
                firsts.setdefault((container, hit.location_index, hit.axis), (index, hit))
    hits = []
    for (container, location_index, axis), (lat_index, lat) in firsts.items():
        partner = firsts.get((container, location_index, "lon")) if axis == "lat" else None
        if partner is None or partner[0] == lat_index:
            continue
        lon_index, lon = partner
        lat_node, lon_node = pieces[lat_index], pieces[lon_index]
        note = (
            f"{_text(lat_node.data[lat.start : lat.end])} with "
            f"{_text(lon_node.data[lon.start : lon.end])} at {lon_node.chain[-1]}"
        )
        name = f"locations[{location_index}]"
        hits.append(_Hit(lat_index, PROFILE, _LOCATION_PI_TYPE, name, HIGH, lat.start, lat.end, (lat.form,), note))
    return hits


def _covered(start: int, end: int, node: Node) -> bool:
    """Inside a protobuf string field whose own piece reports it with the field path."""
    return any(span_start <= start and end <= span_end for span_start, span_end in node.covered)


def _detection(node: Node, hit: _Hit) -> Detection:
    return Detection(
        pi_type=hit.pi_type,
        value_name=hit.value_name,
        detector=hit.detector,
        confidence=hit.confidence,
        location=node.location,
        encodings=(*node.chain, *hit.labels),
        offset=hit.start,
        length=hit.end - hit.start,
        excerpt=hit.note if hit.note is not None else excerpt(node.data, hit.start, hit.end),
    )


def _first_of_each(detections: list[Detection]) -> list[Detection]:
    seen: set[tuple[str, str, str, tuple[str, ...]]] = set()
    kept = []
    for detection in detections:
        key = (detection.detector, detection.value_name, detection.location, detection.encodings)
        if key not in seen:
            seen.add(key)
            kept.append(detection)
    return kept


def excerpt(data: bytes, start: int, end: int) -> str:
    """About EXCERPT_CHARS characters around [start, end), control characters escaped."""
    context = max(8, (EXCERPT_CHARS - (end - start)) // 2)
    window_start, window_end = max(0, start - context), min(len(data), end + context)
    text = _text(data[window_start:window_end])
    if len(text) > EXCERPT_CHARS * 2:
        text = text[: EXCERPT_CHARS * 2]
    return ("…" if window_start > 0 else "") + text + ("…" if window_end < len(data) else "")


def _text(data: bytes) -> str:
    text = data.decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


# --------------------------------------------------------------------------- opacity


def is_opaque(data: bytes, content_type: str | None, content_encoding: str | None) -> bool:
    """A body that may hide PI: at least OPAQUE_MIN_BYTES, and some blob in it that no decoder opens has
    an entropy of at least OPAQUE_MIN_ENTROPY bits per byte (encrypted, or compressed with a codec
    appaudit does not read). base64 or hex text of such a blob counts (it decodes to the blob);
    compressed media (by content type or signature) never does.
    """
    if len(data) < OPAQUE_MIN_BYTES:
        return False
    part = MessagePart("body", data, content_type, content_encoding)
    return _has_opaque_blob(part, explode(part).pieces)


def _media(node: Node) -> bool:
    return is_media_type(node.content_type) or has_media_signature(node.data)


def _has_opaque_blob(part: MessagePart, pieces: list[Node]) -> bool:
    if len(part.data) < OPAQUE_MIN_BYTES or is_media_type(part.content_type):
        return False
    return any(
        len(node.data) >= OPAQUE_MIN_BYTES
        and not _media(node)
        and not is_text(node.data, PRINTABLE_SHARE)
        and entropy_bits_per_byte(node.data) >= OPAQUE_MIN_ENTROPY
        for node in pieces
    )
