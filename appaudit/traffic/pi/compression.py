"""Content decoders with a hard output cap: gzip, zlib, raw deflate, brotli, zstd.

Each returns at most ``limit`` bytes and says whether it stopped at the cap (a compression bomb) or at
the end of a stream that was cut short; corrupt input raises :class:`DecodeError`. Step names are what
the encoding chain records: "gzip", "zlib", "deflate_raw", "br", "zstd".
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import brotli
import zstandard

GZIP, ZLIB, DEFLATE_RAW, BROTLI, ZSTD = "gzip", "zlib", "deflate_raw", "br", "zstd"
STEPS = frozenset({GZIP, ZLIB, DEFLATE_RAW, BROTLI, ZSTD})

_GZIP_MAGIC = b"\x1f\x8b\x08"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class DecodeError(ValueError):
    """The bytes are not a valid stream of the claimed encoding."""


@dataclass(frozen=True)
class Inflated:
    data: bytes
    cut: str | None = None  # why the output is partial: None, or a reason to record as a truncation


def inflate(step: str, data: bytes, limit: int) -> Inflated:
    """Decode one content-encoding step, producing at most ``limit`` bytes."""
    if step == GZIP:
        return _zlib_stream(data, zlib.MAX_WBITS | 16, limit, multi_member=True)
    if step == ZLIB:
        return _zlib_stream(data, zlib.MAX_WBITS, limit, multi_member=False)
    if step == DEFLATE_RAW:
        return _zlib_stream(data, -zlib.MAX_WBITS, limit, multi_member=False)
    if step == BROTLI:
        return _brotli(data, limit)
    if step == ZSTD:
        return _zstd(data, limit)
    raise DecodeError(f"unknown content decoder {step!r}")


def codings_of_header(content_encoding: str | None) -> list[str] | None:
    """The Content-Encoding codings in decoding order (last applied first); None if one is unknown.

    No header, or only "identity", gives an empty list.

    "deflate" stays "deflate": it is zlib-wrapped by the standard but raw in some servers and SDKs, so
    :func:`deflate_step` decides from the bytes when the step is applied.
    """
    if not content_encoding:
        return []
    codings: list[str] = []
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            codings.append(GZIP)
        elif coding in ("deflate", BROTLI, ZSTD):
            codings.append(coding)
        elif coding != "identity":
            return None
    return codings


def deflate_step(data: bytes) -> str:
    """The step that undoes a "deflate" coding of ``data``: zlib-wrapped or raw."""
    return ZLIB if _looks_zlib(data) else DEFLATE_RAW


def sniff(data: bytes) -> str | None:
    """A compression format recognised by its magic bytes (bodies compressed without a header)."""
    if data.startswith(_GZIP_MAGIC):
        return GZIP
    if data.startswith(_ZSTD_MAGIC):
        return ZSTD
    if _looks_zlib(data):
        return ZLIB
    return None


def _looks_zlib(data: bytes) -> bool:
    """RFC 1950 header: deflate method, window ≤ 32K, no preset dictionary, header checksum."""
    if len(data) < 3:
        return False
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and not flg & 0x20 and (cmf << 8 | flg) % 31 == 0


def _zlib_stream(data: bytes, wbits: int, limit: int, *, multi_member: bool) -> Inflated:
    out = bytearray()
    remaining = data
    while True:
        decoder = zlib.decompressobj(wbits)
        try:
            out += decoder.decompress(remaining, limit - len(out))
        except zlib.error as exc:
            if out:  # a later gzip member is garbage: keep what decoded
                return Inflated(bytes(out), "trailing garbage after the compressed stream")
            raise DecodeError(str(exc)) from exc
        if decoder.unconsumed_tail or (len(out) >= limit and not decoder.eof):
            return Inflated(bytes(out), f"decompressed output cut at {limit} bytes")
        if not decoder.eof:
            if not out:
                raise DecodeError("truncated stream with no output")
            return Inflated(bytes(out), "compressed stream ends early")
        remaining = decoder.unused_data
        if not (multi_member and remaining.startswith(_GZIP_MAGIC)):
            return Inflated(bytes(out))


def _brotli(data: bytes, limit: int) -> Inflated:
    decoder = brotli.Decompressor()
    try:
        out = decoder.process(data, output_buffer_limit=limit)
    except brotli.error as exc:
        raise DecodeError(str(exc)) from exc
    if len(out) >= limit and not decoder.is_finished():
        return Inflated(out[:limit], f"decompressed output cut at {limit} bytes")
    if not decoder.is_finished():
        if not out:
            raise DecodeError("truncated brotli stream with no output")
        return Inflated(out, "compressed stream ends early")
    return Inflated(out[:limit])


def _zstd(data: bytes, limit: int) -> Inflated:
    out = bytearray()
    try:
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as reader:
            while len(out) <= limit:
                chunk = reader.read(min(1 << 20, limit + 1 - len(out)))
                if not chunk:
                    break
                out += chunk
    except zstandard.ZstdError as exc:
        if out:
            return Inflated(bytes(out[:limit]), "compressed stream ends early")
        raise DecodeError(str(exc)) from exc
    if len(out) > limit:
        return Inflated(bytes(out[:limit]), f"decompressed output cut at {limit} bytes")
    if not out:
        raise DecodeError("empty zstd stream")
    return Inflated(bytes(out))
