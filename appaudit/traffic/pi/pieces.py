"""What a decoder hands back: the pieces it found inside a message part, each named for the chain."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    """Bytes found inside other bytes, with the chain step that gets from the outer to the inner bytes.

    ``label`` (structure decoders only) names the place for a reader, e.g. "$.device.imei" or "imei";
    ``key`` is the field name the value sits under, the context the pattern detectors read;
    ``container`` groups siblings (the values of one JSON object or array, one form, one protobuf
    message), which is how a latitude and a longitude in two fields pair up.
    """

    step: str
    data: bytes
    label: str | None = None
    key: str | None = None
    container: str | None = None
    content_type: str | None = None


def occurrence(name: str, seen: dict[str, int]) -> str:
    """``name`` the first time, then ``name[1]``, ``name[2]``... so repeated names stay distinct steps."""
    count = seen.get(name, 0)
    seen[name] = count + 1
    return name if count == 0 else f"{name}[{count}]"


_ASCII_READABLE = bytes(range(0x20, 0x7F)) + b"\t\r\n"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def is_text(data: bytes, share: float) -> bool:
    """Valid UTF-8 whose characters are printable (or whitespace) in at least ``share`` of positions."""
    if not data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if text.isascii():
        unreadable = len(data.translate(None, _ASCII_READABLE))
        return unreadable <= (1.0 - share) * len(data)
    unreadable = len(_CONTROL.findall(text))
    return unreadable <= (1.0 - share) * len(text)
