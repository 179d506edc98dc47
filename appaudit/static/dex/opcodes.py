"""Dalvik instruction formats and widths (from the Dalvik bytecode specification)."""

from __future__ import annotations

_FORMAT_RANGES: list[tuple[int, int, str]] = [
    (0x00, 0x00, "10x"), (0x01, 0x01, "12x"), (0x02, 0x02, "22x"), (0x03, 0x03, "32x"),
    (0x04, 0x04, "12x"), (0x05, 0x05, "22x"), (0x06, 0x06, "32x"), (0x07, 0x07, "12x"),
    (0x08, 0x08, "22x"), (0x09, 0x09, "32x"), (0x0A, 0x0D, "11x"), (0x0E, 0x0E, "10x"),
    (0x0F, 0x11, "11x"), (0x12, 0x12, "11n"), (0x13, 0x13, "21s"), (0x14, 0x14, "31i"),
    (0x15, 0x15, "21h"), (0x16, 0x16, "21s"), (0x17, 0x17, "31i"), (0x18, 0x18, "51l"),
    (0x19, 0x19, "21h"), (0x1A, 0x1A, "21c"), (0x1B, 0x1B, "31c"), (0x1C, 0x1C, "21c"),
    (0x1D, 0x1E, "11x"), (0x1F, 0x1F, "21c"), (0x20, 0x20, "22c"), (0x21, 0x21, "12x"),
    (0x22, 0x22, "21c"), (0x23, 0x23, "22c"), (0x24, 0x24, "35c"), (0x25, 0x25, "3rc"),
    (0x26, 0x26, "31t"), (0x27, 0x27, "11x"), (0x28, 0x28, "10t"), (0x29, 0x29, "20t"),
    (0x2A, 0x2A, "30t"), (0x2B, 0x2C, "31t"), (0x2D, 0x31, "23x"), (0x32, 0x37, "22t"),
    (0x38, 0x3D, "21t"), (0x44, 0x51, "23x"), (0x52, 0x5F, "22c"), (0x60, 0x6D, "21c"),
    (0x6E, 0x72, "35c"), (0x74, 0x78, "3rc"), (0x7B, 0x8F, "12x"), (0x90, 0xAF, "23x"),
    (0xB0, 0xCF, "12x"), (0xD0, 0xD7, "22s"), (0xD8, 0xE2, "22b"), (0xFA, 0xFA, "45cc"),
    (0xFB, 0xFB, "4rcc"), (0xFC, 0xFC, "35c"), (0xFD, 0xFD, "3rc"), (0xFE, 0xFF, "21c"),
]  # fmt: skip

_WIDTH_OF_FORMAT = {"10x": 1, "12x": 1, "11n": 1, "11x": 1, "10t": 1, "51l": 5, "45cc": 4, "4rcc": 4}

FORMAT: list[str | None] = [None] * 256  # None: an opcode no valid DEX uses
for _lo, _hi, _fmt in _FORMAT_RANGES:
    for _op in range(_lo, _hi + 1):
        FORMAT[_op] = _fmt


def _width(fmt: str | None) -> int:
    if fmt is None:
        return 1
    return _WIDTH_OF_FORMAT.get(fmt, int(fmt[0]))


WIDTH_UNITS: list[int] = [_width(f) for f in FORMAT]

# Opcode groups used by the scanners.
INVOKE_METHOD_OPS = frozenset([*range(0x6E, 0x73), *range(0x74, 0x79), 0xFA, 0xFB])  # index = method_idx
INVOKE_STATIC_OPS = frozenset([0x71, 0x77])
CONST_STRING = 0x1A
CONST_STRING_JUMBO = 0x1B
NEW_INSTANCE = 0x22
SGET_OPS = frozenset(range(0x60, 0x67))
IGET_OPS = frozenset(range(0x52, 0x59))
MOVE_RESULT_OPS = frozenset([0x0A, 0x0B, 0x0C])
IF_OPS = frozenset(range(0x32, 0x3E))
GOTO_OPS = frozenset([0x28, 0x29, 0x2A])
SWITCH_OPS = frozenset([0x2B, 0x2C])
RETURN_OPS = frozenset([0x0E, 0x0F, 0x10, 0x11, 0x27])  # return* and throw end a block

PACKED_SWITCH_PAYLOAD = 0x0100
SPARSE_SWITCH_PAYLOAD = 0x0200
FILL_ARRAY_PAYLOAD = 0x0300


def payload_units(data: bytes, pos: int) -> int:
    """Size in code units of the pseudo-instruction payload that starts at byte ``pos``."""
    ident = data[pos] | (data[pos + 1] << 8)
    if ident == PACKED_SWITCH_PAYLOAD:
        size = data[pos + 2] | (data[pos + 3] << 8)
        return size * 2 + 4
    if ident == SPARSE_SWITCH_PAYLOAD:
        size = data[pos + 2] | (data[pos + 3] << 8)
        return size * 4 + 2
    if ident == FILL_ARRAY_PAYLOAD:
        width = data[pos + 2] | (data[pos + 3] << 8)
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        return (size * width + 1) // 2 + 4
    return 1
