"""Text transforms: percent-encoding, base64 (standard, URL-safe, unpadded, MIME line-wrapped) and hex.

A whole piece that is one token decodes as "base64", "base64url" or "hex"; a token inside longer text
decodes as "base64[12:40]" (its byte span in the piece). Only plausible tokens are tried, and only
plausible results are kept, because every decoded piece is searched and decoded again:

* base64: at least 8 characters, not pure hex or digits (those are hex tokens or numbers), and, inside
  longer text, with both upper- and lower-case letters or padding (words are not tokens). The result
  is kept when it is text, starts like a compressed stream, or, for a whole piece only, is at least 16
  bytes of binary (a raw digest, a ciphertext: still searched, and measured for opacity).
* hex: even length, at least 12 digits, one letter case; kept when it decodes to text or a compressed
  stream (hex digests decode to noise and are matched as they are).
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote_to_bytes

from appaudit.traffic.pi.compression import sniff
from appaudit.traffic.pi.limits import (
    MAX_TOKEN_CANDIDATES,
    MAX_TOKENS_PER_PIECE,
    MIN_BASE64_TOKEN,
    MIN_HEX_TOKEN,
    PRINTABLE_SHARE,
)
from appaudit.traffic.pi.pieces import Piece, is_text
from appaudit.traffic.pi.structure import Structure

_PERCENT = re.compile(rb"%[0-9A-Fa-f]{2}")
_STD_RUN = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
_URL_RUN = re.compile(rb"[A-Za-z0-9_-]+={0,2}")
_WHOLE = re.compile(rb"[A-Za-z0-9+/_-]+={0,2}")
_HEX_RUN = re.compile(rb"(?<![0-9A-Za-z])[0-9A-Fa-f]+(?![0-9A-Za-z])")
_PURE_HEX = re.compile(rb"[0-9A-Fa-f]+")
_UPPER = re.compile(rb"[A-Z]")
_LOWER = re.compile(rb"[a-z]")
_HEX_UPPER = re.compile(rb"[A-F]")
_HEX_LOWER = re.compile(rb"[a-f]")
_LINE_BREAKS = re.compile(rb"[\r\n]+")
_MIN_BINARY = 16


def text_transforms(data: bytes) -> Structure:
    """Decoded views of ``data``: percent-decoded, and each base64/hex token (whole piece or inside)."""
    pieces: list[Piece] = []
    if _PERCENT.search(data):
        decoded = unquote_to_bytes(data)
        if decoded != data:
            pieces.append(Piece("percent", decoded))
    whole = whole_token(data)
    if whole is not None:
        pieces.extend(whole)
        return Structure(pieces)
    spans: set[tuple[int, int]] = set()
    cut = None
    for regex in (_URL_RUN, _STD_RUN, _HEX_RUN):
        if cut:
            break
        for match in regex.finditer(data):
            if match.span() in spans or match.end() - match.start() < MIN_BASE64_TOKEN:
                continue
            if len(spans) >= MAX_TOKEN_CANDIDATES:
                cut = f"more than {MAX_TOKEN_CANDIDATES} token candidates in one piece; the rest were not decoded"
                break
            spans.add(match.span())
            piece = _inner_token(match.group(), match.start(), match.end(), regex is _HEX_RUN)
            if piece is None:
                continue
            if len(pieces) >= MAX_TOKENS_PER_PIECE:
                cut = f"more than {MAX_TOKENS_PER_PIECE} encoded tokens in one piece"
                break
            pieces.append(piece)
    pieces.sort(key=lambda p: _span_start(p.step))
    return Structure(pieces, cut)


def whole_token(data: bytes) -> list[Piece] | None:
    """The piece decoded as one base64 or hex token, when it is one (None: not a single token)."""
    token = _LINE_BREAKS.sub(b"", data.strip())
    if len(token) < MIN_BASE64_TOKEN or not _WHOLE.fullmatch(token):
        return None
    if _PURE_HEX.fullmatch(token):
        decoded = _hex(token)
        return [Piece("hex", decoded)] if decoded is not None else []
    step, decoded = _base64(token)
    if decoded is None or not _keep(decoded, whole=True):
        return []
    return [Piece(step, decoded)]


def _inner_token(token: bytes, start: int, end: int, hex_run: bool) -> Piece | None:
    if hex_run:
        decoded = _hex(token)
        return Piece(f"hex[{start}:{end}]", decoded) if decoded is not None else None
    if len(token.rstrip(b"=")) < MIN_BASE64_TOKEN or _PURE_HEX.fullmatch(token):
        return None
    if not (token.endswith(b"=") or (_UPPER.search(token) and _LOWER.search(token))):
        return None
    name, decoded = _base64(token)
    if decoded is None or not _keep(decoded, whole=False):
        return None
    return Piece(f"{name}[{start}:{end}]", decoded)


def _base64(token: bytes) -> tuple[str, bytes | None]:
    urlsafe = b"-" in token or b"_" in token
    if urlsafe and (b"+" in token or b"/" in token):
        return "base64", None
    body = token.rstrip(b"=")
    if len(body) % 4 == 1:
        return "base64", None
    padded = body + b"=" * (-len(body) % 4)
    try:
        decoded = base64.b64decode(padded, altchars=b"-_" if urlsafe else None, validate=True)
    except (binascii.Error, ValueError):
        return "base64", None
    return ("base64url" if urlsafe else "base64"), decoded


def _hex(token: bytes) -> bytes | None:
    if len(token) < MIN_HEX_TOKEN or len(token) % 2 or (_HEX_UPPER.search(token) and _HEX_LOWER.search(token)):
        return None
    decoded = bytes.fromhex(token.decode("ascii"))
    return decoded if is_text(decoded, PRINTABLE_SHARE) or sniff(decoded) else None


def _keep(decoded: bytes, *, whole: bool) -> bool:
    if is_text(decoded, PRINTABLE_SHARE) or sniff(decoded):
        return True
    return whole and len(decoded) >= _MIN_BINARY


def _span_start(step: str) -> int:
    bracket = step.find("[")
    return int(step[bracket + 1 : step.index(":", bracket)]) if bracket >= 0 else -1
