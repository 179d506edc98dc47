"""Known device locations matched as numbers, within LOCATION_TOLERANCE_DEG on each axis.

Coordinates are written in too many ways for string needles (trailing zeros, rounding, float noise,
"39.9042" vs "39.904200"), so every number in a piece is compared numerically: decimal degrees
("39.9042") and integer micro-degrees ("39904200", lat × 1e6). A single number near a latitude is
weak evidence; a detection needs the latitude *and* the longitude of the same profile location, either
in one piece at most LOCATION_PAIR_GAP bytes apart (either order: "39.9042,116.4074",
"lng=116.4074&lat=39.9042" in free text) or as two whole-number values of the same JSON object, form or
protobuf message ({"lat": 39.9042, "lng": 116.4074}).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appaudit.traffic.pi.limits import LOCATION_PAIR_GAP, LOCATION_TOLERANCE_DEG, MAX_COORDINATE_HITS

DEGREES, MICRODEGREES = "degrees", "microdegrees"


@dataclass(frozen=True)
class CoordinateHit:
    """A number within tolerance of one axis of one profile location."""

    location_index: int
    axis: str  # "lat" | "lon"
    start: int
    end: int
    form: str  # DEGREES | MICRODEGREES
    whole: bool  # the number is the whole piece (a JSON/form/protobuf value of its own)


class CoordinateMatcher:
    """Finds numbers near the profile's latitudes and longitudes.

    One regex finds the candidates: numbers whose integer part is one a target can have within the
    tolerance ("39" or "40" for 39.9995), as decimals or followed by exactly six digits (micro-degrees);
    targets below one degree also accept bare micro-degree integers. Each candidate is then compared
    numerically.
    """

    def __init__(self, locations: tuple[tuple[float, float], ...]) -> None:
        self.locations = locations
        integer_parts: set[str] = set()
        small = False
        for lat, lon in locations:
            for target in (lat, lon):
                for bound in (target - LOCATION_TOLERANCE_DEG, target + LOCATION_TOLERANCE_DEG):
                    integer_parts.add(str(abs(int(bound))))
                small = small or abs(target) < 1 + LOCATION_TOLERANCE_DEG
        alternatives = "|".join(sorted(integer_parts, key=len, reverse=True)).encode()
        candidate = rb"-?(?:" + alternatives + rb")(?:\.\d+|\d{6})"
        if small:
            candidate += rb"|-?\d{1,6}"
        self._regex = re.compile(rb"(?<![\d.])(?:" + candidate + rb")(?![\d.])") if locations else None

    def hits(self, data: bytes) -> tuple[list[CoordinateHit], bool]:
        """Numbers in ``data`` near a latitude or longitude of the profile, and whether the list was cut
        at MAX_COORDINATE_HITS (nothing but a hostile piece holds that many)."""
        if self._regex is None:
            return [], False
        stripped = data.strip()
        hits: list[CoordinateHit] = []
        for match in self._regex.finditer(data):
            if len(hits) >= MAX_COORDINATE_HITS:
                return hits, True
            literal = match.group()
            if b"." in literal:
                value, form = float(literal), DEGREES
            else:
                value, form = int(literal) / 1e6, MICRODEGREES
            whole = literal == stripped
            for index, (lat, lon) in enumerate(self.locations):
                for axis, target in (("lat", lat), ("lon", lon)):
                    if abs(value - target) <= LOCATION_TOLERANCE_DEG:
                        hits.append(CoordinateHit(index, axis, match.start(), match.end(), form, whole))
        return hits, False


def pairs_in_piece(hits: list[CoordinateHit]) -> list[tuple[CoordinateHit, CoordinateHit]]:
    """The first (first, second) pair per location and form: one hit per axis, close together.

    ``hits`` are in text order, so the partner of a hit is among the few that follow it within
    LOCATION_PAIR_GAP bytes: the scan is linear.
    """
    pairs: dict[tuple[int, str], tuple[CoordinateHit, CoordinateHit]] = {}
    for position, first in enumerate(hits):
        for following in range(position + 1, len(hits)):
            second = hits[following]
            if second.start - first.end > LOCATION_PAIR_GAP:
                break
            key = (first.location_index, first.form if first.axis == "lat" else second.form)
            if (
                second.start > first.start
                and second.location_index == first.location_index
                and second.axis != first.axis
                and key not in pairs
            ):
                pairs[key] = (first, second)
                break
    return list(pairs.values())
