"""Every threshold and work limit of the PI detector, in one place, each with the reason for its value.

A hostile or merely huge body must never hang the scan or exhaust memory: decompression output, the
total bytes decoded per message part, the number of decoded pieces, the decoding depth and the JSON
and protobuf nesting are all capped. Hitting a cap is recorded as a
:class:`~appaudit.traffic.pi.types.Truncation`, so "nothing found" is never claimed for unread bytes.
"""

from __future__ import annotations

from typing import Final

# --- work limits -------------------------------------------------------------------------------------
# Decoding steps in one chain. Real SDK payloads layer four or five (Content-Encoding, multipart, JSON,
# base64, gzip, JSON); six leaves room for one more while keeping the tree small.
MAX_DEPTH: Final = 6
# Output of one decompression. App request bodies are KBs; log uploads reach a few MB. A gzip of 1 GB
# of zeros is about 1 MB, so this cut is what stops a compression bomb.
MAX_INFLATED_BYTES: Final = 8 * 1024 * 1024
# Decoded bytes per message part, all pieces together (base64 and nested compression add up).
MAX_PART_BYTES: Final = 32 * 1024 * 1024
# Decoded pieces (JSON values, form fields, protobuf fields, base64 tokens...) per message part.
MAX_NODES: Final = 20_000
# JSON containers deeper than this are not walked (real payloads nest < 20 levels).
MAX_JSON_NESTING: Final = 64
# Nested protobuf messages deeper than this are treated as opaque bytes.
MAX_PROTOBUF_NESTING: Final = 8
# Largest protobuf field number accepted. Real schemas stay far below it; random bytes often decode
# to huge field numbers, so the bound is what keeps binary noise from "parsing" as protobuf.
MAX_PROTOBUF_FIELD: Final = 8191
# base64/hex tokens decoded inside one text piece (a whole-piece token does not count).
MAX_TOKENS_PER_PIECE: Final = 32
# Base64/hex token candidates examined per text piece (a 100 KB text has a few thousand words).
MAX_TOKEN_CANDIDATES: Final = 4096
# Numbers near a profile coordinate kept per piece (a real payload has a handful).
MAX_COORDINATE_HITS: Final = 10_000
# Valid pattern candidates one detector examines per piece when every one so far is a profile value
# already reported (a piece repeating the device's IMEI a million times).
MAX_PATTERN_CANDIDATES: Final = 1000

# --- matching thresholds -----------------------------------------------------------------------------
# Shorter needles (and profile values) match by chance in ordinary traffic.
MIN_NEEDLE_LENGTH: Final = 6
# base64 is tried on tokens of at least this many characters; shorter ones are mostly words.
MIN_BASE64_TOKEN: Final = 8
# hex is tried on even-length tokens of at least 6 bytes (12 hex digits) that decode to text.
MIN_HEX_TOKEN: Final = 12
# A decoded piece counts as text when at least this share of its characters is printable.
PRINTABLE_SHARE: Final = 0.95
# Profile locations match within this many degrees on each axis (~110 m of latitude, ~85 m of longitude
# at Beijing): it absorbs mock-location jitter and rounding to three decimals, and is far tighter than
# the "coarse location" an app may legitimately send.
LOCATION_TOLERANCE_DEG: Final = 0.001
# A latitude and a longitude count as one location when at most this many bytes separate them in one
# piece (or when they are sibling values of one JSON object, form, or protobuf message).
LOCATION_PAIR_GAP: Final = 64
# Pattern detector: decimals needed for a coordinate to be "precise" (4 decimals ≈ 11 m).
MIN_COORDINATE_DECIMALS: Final = 4
# Pattern detector: package-name-shaped strings needed in one list to call it an installed-app list.
MIN_PACKAGE_LIST: Final = 3

# --- opacity -----------------------------------------------------------------------------------------
# Smaller blobs are tokens, signatures and digests, not payloads that could hide a device profile.
OPAQUE_MIN_BYTES: Final = 256
# Miller–Madow corrected Shannon entropy, bits per byte. Random bytes score ≥ 7.3 even at 256 bytes
# (the uncorrected estimate averages only 7.18 there); text scores < 6, base64 text ≈ 6, so 7.2 splits
# "encrypted or compressed with an unknown codec" from everything readable.
OPAQUE_MIN_ENTROPY: Final = 7.2
# Entropy is measured on at most this many leading bytes.
ENTROPY_SAMPLE_BYTES: Final = 64 * 1024

# --- reporting ---------------------------------------------------------------------------------------
EXCERPT_CHARS: Final = 80
