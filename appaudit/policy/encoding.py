"""Decode a policy document's bytes: BOM, ``<meta charset>``, the Content-Type charset, UTF-8, GB18030.

Declared encodings are tried strictly in that order, then UTF-8 and GB18030 (a superset of GBK and
GB2312, the encodings of older Chinese pages). When no encoding decodes every byte (binary garbage, or
a page that mixes UTF-8 and GBK), the candidate with the fewest replacement characters wins and a note
says how many bytes were replaced. Never raises.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts with the UTF-16 LE BOM
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Chinese single-byte-compatible labels all decode as GB18030, which contains them.
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030"}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]{1,40})""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]{1,40})""", re.IGNORECASE)
META_SCAN_BYTES = 4096  # browsers look for <meta charset> in the first 1024 bytes; we allow a longer <head>


def _gb_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: decode an invalid UTF-8 sequence as one GB18030 character, else replace a byte.

    Pages assembled from UTF-8 templates and GBK content mix both; this reads each part in its own
    encoding in one linear pass.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    data, start = error.object, error.start
    for width in (2, 4):
        try:
            return bytes(data[start : start + width]).decode("gb18030"), start + width
        except UnicodeDecodeError:
            continue
    return "\ufffd", start + 1


codecs.register_error("appaudit-gb-fallback", _gb_fallback)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    notes: tuple[str, ...] = ()


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when Python does not know it."""
    if not label:
        return None
    name = label.strip().lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_encodings(data: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """(label as found, where) for the ``<meta>`` charset and the Content-Type charset."""
    found: list[tuple[str, str]] = []
    meta = _META_CHARSET.search(data[:META_SCAN_BYTES])
    if meta:
        found.append((meta.group(1).decode("ascii", "replace"), "<meta charset>"))
    header = _HEADER_CHARSET.search(content_type or "")
    if header:
        found.append((header.group(1), "Content-Type"))
    return found


def decode_document(data: bytes, content_type: str | None = None) -> Decoded:
    """Decode ``data``; see the module docstring for the order."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(name, errors="replace")
            return Decoded(text, name, _replaced_note(text, name))
    notes: list[str] = []
    candidates: list[str] = []
    for label, where in declared_encodings(data, content_type):
        codec = _codec(label)
        if codec is None:
            notes.append(f"unknown charset {label!r} declared in {where}; ignored")
        elif codec not in candidates:
            candidates.append(codec)
    declared = list(candidates)
    for fallback in ("utf-8", "gb18030"):
        if fallback not in candidates:
            candidates.append(fallback)
    for codec in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if declared and codec != declared[0]:
            notes.append(f"declared charset {declared[0]} does not decode the document; read as {codec}")
        elif not declared and codec == "gb18030":
            notes.append("no charset declared and not valid UTF-8; read as GB18030 (GBK)")
        return Decoded(text, codec, tuple(notes))
    # Nothing decodes cleanly: keep the reading with the fewest replaced characters (UTF-8 with GB18030
    # for the sequences UTF-8 rejects first, so a tie goes to it).
    readings = [(data.decode("utf-8", errors="appaudit-gb-fallback"), "utf-8+gb18030")]
    readings += [(data.decode(c, errors="replace"), c) for c in candidates]
    best_text, best_codec = min(readings, key=lambda pair: pair[0].count("\ufffd"))
    notes.append(
        f"no encoding decodes every byte (mixed encodings or binary data); read as {best_codec}, "
        f"{best_text.count(chr(0xFFFD))} undecodable sequence(s) replaced"
    )
    return Decoded(best_text, best_codec, tuple(notes))


def _replaced_note(text: str, codec: str) -> tuple[str, ...]:
    bad = text.count("\ufffd")
    return (f"{bad} undecodable sequence(s) in {codec} replaced",) if bad else ()
