"""Is a blob readable, media, or possibly encrypted? Shannon entropy and media signatures.

The entropy is the Miller–Madow corrected estimate (plug-in entropy + (distinct symbols − 1) / (2 N ln 2)):
the plain estimate is biased low on short samples (random 256-byte blobs average 7.18 bits/byte), the
corrected one keeps random data above 7.3 from 256 bytes on, so one threshold works at every size.

Compressed media (images, video, audio, fonts) is high-entropy by design and is never called opaque:
by content type (image/*, video/*, audio/*, font/*, font MIME types, application/ogg) or, inside a
body, by its file signature (PNG, JPEG, GIF, WebP/WAV/AVI, ISO BMFF such as MP4/HEIC/AVIF, Ogg, MP3,
FLAC, Matroska/WebM, WOFF/WOFF2, TrueType/OpenType). Trusting the content type means an encrypted
body labelled image/jpeg is missed; the alternative flags every photo upload as possible hidden PI.
"""

from __future__ import annotations

import math

from appaudit.traffic.pi.limits import ENTROPY_SAMPLE_BYTES

_MEDIA_TYPES = ("image/", "video/", "audio/", "font/", "application/font", "application/x-font")
_MEDIA_EXACT = frozenset({"application/vnd.ms-fontobject", "application/ogg"})
_MEDIA_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"RIFF",  # WebP, WAV, AVI
    b"OggS",
    b"ID3",  # MP3 with a tag
    b"\xff\xfb",  # MP3 frame
    b"fLaC",
    b"\x1aE\xdf\xa3",  # Matroska / WebM
    b"wOFF",
    b"wOF2",
    b"OTTO",
    b"\x00\x01\x00\x00\x00",  # TrueType
)


def entropy_bits_per_byte(data: bytes) -> float:
    """Miller–Madow corrected Shannon entropy of (at most the first ENTROPY_SAMPLE_BYTES of) ``data``."""
    sample = data[:ENTROPY_SAMPLE_BYTES]
    size = len(sample)
    if size == 0:
        return 0.0
    counts = [sample.count(bytes([b])) for b in range(256)] if size > 4096 else _small_counts(sample)
    present = [c for c in counts if c]
    plug_in = -sum(c / size * math.log2(c / size) for c in present)
    return min(8.0, plug_in + (len(present) - 1) / (2 * size * math.log(2)))


def _small_counts(sample: bytes) -> list[int]:
    counts = [0] * 256
    for byte in sample:
        counts[byte] += 1
    return counts


def is_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    base = content_type.split(";", 1)[0].strip().lower()
    return base.startswith(_MEDIA_TYPES) or base in _MEDIA_EXACT


def has_media_signature(data: bytes) -> bool:
    return data.startswith(_MEDIA_SIGNATURES) or data[4:8] == b"ftyp"  # ISO BMFF: MP4, MOV, HEIC, AVIF
