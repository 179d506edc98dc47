"""What the PI detector reads (message parts) and what it reports (detections). No mitmproxy import."""

from __future__ import annotations

from dataclasses import dataclass

from appaudit.evidence.common import Confidence


@dataclass(frozen=True)
class MessagePart:
    """One piece of a request (or a client websocket frame) as bytes, with where it came from.

    ``location`` names the place for a reader: "url.path", "url.query:imei", "request.header:X-Device",
    "request.cookie:uid", "request.body", "ws.client". The detector decodes ``data`` itself (content
    encoding first, then structure), so bodies are passed exactly as sent.
    """

    location: str
    data: bytes
    content_type: str | None = None
    content_encoding: str | None = None  # the Content-Encoding header as sent: gzip, deflate, br, zstd


@dataclass(frozen=True)
class Detection:
    """A PI value found in one message part: which value, how it was encoded, and where exactly."""

    pi_type: str  # appaudit PI taxonomy id
    value_name: str  # profile key ("imei", "canary:contact_1") or pattern name ("imei_luhn")
    detector: str  # "profile" | "pattern"
    confidence: Confidence
    location: str  # the MessagePart's location, refined when a decoder names a key ("request.body" → "...:$.d.i")
    encodings: tuple[str, ...]  # decode chain outermost first, e.g. ("gzip", "json:$.d", "base64", "md5")
    offset: int  # byte offset of the match in the innermost decoded bytes
    length: int
    excerpt: str  # up to ~80 characters around the match, as text (escaped when displayed)


@dataclass(frozen=True)
class Truncation:
    """A place where decoding stopped at a limit: the bytes beyond it were not searched."""

    location: str
    encodings: tuple[str, ...]  # the chain of the node that was cut
    reason: str  # e.g. "decompressed output cut at 8388608 bytes"


@dataclass(frozen=True)
class ScanReport:
    """Everything one scan found: detections, where decoding was cut short, and opaque parts."""

    detections: tuple[Detection, ...]
    truncations: tuple[Truncation, ...] = ()
    opaque: tuple[str, ...] = ()  # locations of parts holding a large high-entropy blob no decoder opened

    @property
    def truncated(self) -> bool:
        return bool(self.truncations)
