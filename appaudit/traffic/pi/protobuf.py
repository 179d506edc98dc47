"""Schema-less protobuf: the wire format read without a .proto, accepted only when it parses cleanly.

A buffer is protobuf when every byte belongs to a field with a valid tag (field number 1..8191, wire
type varint, 64-bit, length-delimited or 32-bit; the deprecated groups are refused) and the last field
ends exactly at the end. A length-delimited field that itself parses cleanly, and is not wholly printable
text, is a nested message; otherwise it is a string/bytes value. Values become pieces named by their field-number
path, "protobuf:1.3" (field 3 of the message in field 1); a repeated field's later occurrences are
"protobuf:2[1]", "protobuf:2[2]". Varints are rendered as decimal text, 64-/32-bit fields as a
decimal number (a double or float when that reading is plausible, else the unsigned integer), so the
needle and number matchers can read them.
"""

from __future__ import annotations

import math
import struct

from appaudit.traffic.pi.limits import MAX_PROTOBUF_FIELD, MAX_PROTOBUF_NESTING
from appaudit.traffic.pi.pieces import Piece, is_text, occurrence
from appaudit.traffic.pi.structure import Structure

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5

Field = tuple[int, int, int | bytes, int]  # (field number, wire type, value, offset of the value)


def protobuf_pieces(data: bytes) -> Structure | None:
    """The fields of a cleanly parsing message, or None.

    ``covered`` lists the byte spans of the string/bytes values: the caller also searches the whole
    buffer (a short binary blob can parse as protobuf by chance) and drops matches inside those spans,
    which the pieces already report with a field path.
    """
    fields = parse_message(data)
    if fields is None:
        return None
    pieces: list[Piece] = []
    covered: list[tuple[int, int]] = []
    _render(fields, [], 0, 0, pieces, covered)
    return Structure(pieces, covered=tuple(covered)) if pieces else None


def parse_message(data: bytes) -> list[Field] | None:
    """Split ``data`` into fields; None unless the whole buffer is well-formed."""
    fields: list[Field] = []
    pos, end = 0, len(data)
    while pos < end:
        tag, pos = _varint(data, pos)
        if tag < 0:
            return None
        number, wire = tag >> 3, tag & 7
        if not 1 <= number <= MAX_PROTOBUF_FIELD:
            return None
        value: int | bytes
        offset = pos
        if wire == _VARINT:
            value, pos = _varint(data, pos)
            if value < 0:
                return None
        elif wire == _LENGTH_DELIMITED:
            length, pos = _varint(data, pos)
            if length < 0 or pos + length > end:
                return None
            offset = pos
            value, pos = data[pos : pos + length], pos + length
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            if pos + size > end:
                return None
            value, pos = data[pos : pos + size], pos + size
        else:
            return None
        fields.append((number, wire, value, offset))
    return fields or None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, next position), or (-1, pos) when the varint is cut, over-long or not minimal.

    Encoders never end a multi-byte varint with a zero byte; random bytes often do, so refusing it
    keeps binary noise from parsing.
    """
    result = shift = 0
    for i in range(pos, min(pos + 10, len(data))):
        byte = data[i]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if (byte == 0 and i > pos) or result >= 1 << 64:
                return -1, pos
            return result, i + 1
        shift += 7
    return -1, pos


def _render(
    fields: list[Field], path: list[str], depth: int, base: int, out: list[Piece], covered: list[tuple[int, int]]
) -> None:
    seen: dict[str, int] = {}
    container = "protobuf:" + ".".join(path)
    for number, wire, value, offset in fields:
        here = [*path, occurrence(str(number), seen)]
        if isinstance(value, bytes) and wire == _LENGTH_DELIMITED:
            inner = _nested(value, depth)
            if inner is not None:
                _render(inner, here, depth + 1, base + offset, out, covered)
                continue
            if not value:
                continue
            data = value
            covered.append((base + offset, base + offset + len(value)))
        elif isinstance(value, int):
            data = str(value).encode()
        else:
            data = _fixed_text(value)
        label = ".".join(here)
        out.append(Piece("protobuf:" + label, data, label=label, container=container))


def _nested(value: bytes, depth: int) -> list[Field] | None:
    # Only fully printable text is taken for a string: a nested message with fields 1-3 has control
    # characters for tags (0x08-0x1a), and a few of those still pass the looser PRINTABLE_SHARE test.
    if depth >= MAX_PROTOBUF_NESTING or len(value) < 2 or is_text(value, 1.0):
        return None
    return parse_message(value)


def _fixed_text(raw: bytes) -> bytes:
    """A 64-bit field as a double, a 32-bit one as a float, when that reading is a plausible number."""
    if len(raw) == 8:
        (number,) = struct.unpack("<d", raw)
        if _plausible(number):
            return repr(number).encode()
        return str(int.from_bytes(raw, "little")).encode()
    (number,) = struct.unpack("<f", raw)
    if _plausible(number):
        return f"{number:.7g}".encode()
    return str(int.from_bytes(raw, "little")).encode()


def _plausible(number: float) -> bool:
    return math.isfinite(number) and (number == 0.0 or 1e-6 <= abs(number) <= 1e12)
