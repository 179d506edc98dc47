"""The decode tree of one message part: every piece the decoders can reach, under a fixed work budget.

Expanding a piece tries, in order: the declared Content-Encoding (root only), a compression format
recognised by its magic bytes, a structure (multipart, JSON, form/query string, cookie header,
protobuf), and finally text transforms (percent, base64, hex). A piece opened by a compression or
structure decoder is not searched itself (its values are, each with a precise path); a piece that only
yields transforms is searched as it is *and* through its decoded tokens. Protobuf is the exception:
schema-less parsing is a guess (a short binary blob, such as a raw digest, can parse by chance), so
the bytes are searched too, minus the spans of the string fields already reported by path.

:func:`replay` re-applies an encoding chain to the original part, so a reader (and the tests) can check
that a detection's offset and length point at the reported bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from appaudit.traffic.pi.compression import DecodeError, codings_of_header, deflate_step, inflate, sniff
from appaudit.traffic.pi.limits import (
    MAX_DEPTH,
    MAX_INFLATED_BYTES,
    MAX_NODES,
    MAX_PART_BYTES,
    MIN_BASE64_TOKEN,
    PRINTABLE_SHARE,
)
from appaudit.traffic.pi.pieces import Piece, is_text
from appaudit.traffic.pi.protobuf import protobuf_pieces
from appaudit.traffic.pi.structure import (
    Structure,
    cookie_pieces,
    form_pieces,
    json_pieces,
    looks_like_form,
    multipart_pieces,
)
from appaudit.traffic.pi.tokens import text_transforms
from appaudit.traffic.pi.types import MessagePart, Truncation

# A percent escape, or a run long enough to be a base64 (8) or hex (12) token: else no transform applies.
_MAY_HOLD_TOKEN = re.compile(rb"%%[0-9A-Fa-f]{2}|[A-Za-z0-9+/_-]{%d}" % MIN_BASE64_TOKEN)


@dataclass(frozen=True)
class Node:
    """One piece of a message part: its bytes, how they were reached, and where they sit."""

    data: bytes
    location: str  # the part's location, refined by the first structure step: "request.body:$.device.imei"
    part_location: str
    chain: tuple[str, ...] = ()
    key: str | None = None  # the field name the piece sits under (context for the pattern detectors)
    container: tuple[str, ...] | None = None  # sibling group: same value ⇔ same JSON object/array, form...
    content_type: str | None = None
    codings: tuple[str, ...] = ()  # Content-Encoding codings still to undo, in decoding order
    is_root: bool = False
    # Spans of the bytes already reported through child pieces (protobuf string fields): a match
    # inside one is left to the child, which names the field.
    covered: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Expansion:
    children: list[Node]
    searchable: bool  # search the node's own bytes (False when a decoder opened it as a whole)
    cuts: list[str] = field(default_factory=list)
    covered: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Explosion:
    """The searchable pieces of a part in document order, and where the walk was cut short."""

    pieces: list[Node]
    truncations: list[Truncation]


def root_node(part: MessagePart) -> Node:
    return Node(
        data=part.data,
        location=part.location,
        part_location=part.location,
        key=_key_of_location(part.location),
        content_type=part.content_type,
        codings=tuple(codings_of_header(part.content_encoding) or ()),
        is_root=True,
    )


def explode(part: MessagePart) -> Explosion:
    """Walk the decode tree of ``part`` within MAX_DEPTH, MAX_NODES and MAX_PART_BYTES."""
    pieces: list[Node] = []
    truncations: list[Truncation] = []
    if codings_of_header(part.content_encoding) is None:
        reason = f"unknown Content-Encoding {part.content_encoding!r}: the body was searched as sent"
        truncations.append(Truncation(part.location, (), reason))
    stack = [root_node(part)]
    nodes = decoded_bytes = 0
    while stack:
        node = stack.pop()
        nodes += 1
        if not node.is_root:
            decoded_bytes += len(node.data)
        if nodes > MAX_NODES or decoded_bytes > MAX_PART_BYTES:
            limit = f"{MAX_NODES} pieces" if nodes > MAX_NODES else f"{MAX_PART_BYTES} decoded bytes"
            reason = f"work limit of {limit} per part reached; {len(stack) + 1} pieces not searched"
            truncations.append(Truncation(node.location, node.chain, reason))
            break
        if len(node.chain) >= MAX_DEPTH:
            pieces.append(node)
            if sniff(node.data) or node.data.lstrip()[:1] in (b"{", b"["):
                reason = f"decoding depth limit of {MAX_DEPTH} steps reached"
                truncations.append(Truncation(node.location, node.chain, reason))
            continue
        expansion = expand(node)
        truncations.extend(Truncation(node.location, node.chain, reason) for reason in expansion.cuts)
        if expansion.searchable:
            pieces.append(replace(node, covered=expansion.covered) if expansion.covered else node)
        stack.extend(reversed(expansion.children))
    return Explosion(pieces, truncations)


def expand(node: Node) -> Expansion:
    """The children of one node, and whether its own bytes are searched (see the module docstring)."""
    if node.codings:
        coding, rest = node.codings[0], node.codings[1:]
        step = deflate_step(node.data) if coding == "deflate" else coding
        try:
            inflated = inflate(step, node.data, MAX_INFLATED_BYTES)
        except DecodeError:  # the header lies: read the bytes as they are
            return expand(replace(node, codings=()))
        child = replace(node, data=inflated.data, chain=(*node.chain, step), codings=rest, is_root=False)
        return Expansion([child], searchable=False, cuts=[f"{step}: {inflated.cut}"] if inflated.cut else [])
    step = sniff(node.data)
    if step is not None:
        try:
            inflated = inflate(step, node.data, MAX_INFLATED_BYTES)
        except DecodeError:
            pass
        else:
            child = replace(node, data=inflated.data, chain=(*node.chain, step), container=None, is_root=False)
            return Expansion([child], searchable=False, cuts=[f"{step}: {inflated.cut}"] if inflated.cut else [])
    text = is_text(node.data, PRINTABLE_SHARE)
    structure = _structure(node, text)
    if structure is not None:
        children = [_child(node, piece, structural=True) for piece in structure.pieces]
        cuts = [structure.cut] if structure.cut else []
        if structure.covered is not None:  # protobuf is a guess: the bytes stay searchable
            return Expansion(children, searchable=True, cuts=cuts, covered=structure.covered)
        return Expansion(children, searchable=False, cuts=cuts)
    if not text or not _MAY_HOLD_TOKEN.search(node.data):
        return Expansion([], searchable=True)
    transforms = text_transforms(node.data)
    children = [_child(node, piece, structural=False) for piece in transforms.pieces]
    return Expansion(children, searchable=True, cuts=[transforms.cut] if transforms.cut else [])


def _structure(node: Node, text: bool) -> Structure | None:
    data = node.data
    content_type = (node.content_type or "").lower()
    if content_type.startswith("multipart/"):
        found = multipart_pieces(data, node.content_type or "")
        if found is not None:
            return found
    if data.lstrip()[:1] in (b"{", b"[") or data.startswith(b"\xef\xbb\xbf"):
        found = json_pieces(data)
        if found is not None:
            return found
    if node.is_root and node.location.lower().endswith(":cookie"):
        return cookie_pieces(data)
    if text and b"=" in data:
        declared_form = "x-www-form-urlencoded" in content_type or (node.is_root and node.location == "url.query")
        if declared_form or looks_like_form(data):
            found = form_pieces(data)
            if found is not None:
                return found
    if not text or "proto" in content_type:
        return protobuf_pieces(data)
    return None


def _child(node: Node, piece: Piece, *, structural: bool) -> Node:
    location = node.location
    if structural and piece.label is not None and node.location == node.part_location:
        location = f"{node.location}:{piece.label}"
    return Node(
        data=piece.data,
        location=location,
        part_location=node.part_location,
        chain=(*node.chain, piece.step),
        key=piece.key or node.key,
        container=(*node.chain, piece.container) if piece.container else None,
        content_type=piece.content_type,
    )


def _key_of_location(location: str) -> str | None:
    """The field name in a part's location: "url.query:imei" → "imei", "request.body" → None."""
    _, sep, key = location.partition(":")
    return key or None if sep else None


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class Replayed:
    data: bytes  # the innermost decoded bytes the chain's decoding steps lead to
    labels: tuple[str, ...]  # the rest of the chain: needle forms ("md5", "mac:plain-upper", "degrees")


def replay(part: MessagePart, encodings: tuple[str, ...]) -> Replayed:
    """Re-apply the decoding steps of ``encodings`` to ``part``; stop at the first step that is not one."""
    node = root_node(part)
    for index, step in enumerate(encodings):
        child = next((c for c in expand(node).children if c.chain[-1] == step), None)
        if child is None:
            return Replayed(node.data, encodings[index:])
        node = child
    return Replayed(node.data, ())
