"""Structure decoders for text: JSON, form/query strings, cookies and multipart/form-data.

Each returns the pieces (values, and JSON keys that look like values rather than field names) with a
step that names them: "json:$.device.imei", 'json_key:$.apps["com.x.y"]' (a key itself), "form:imei",
"cookie:uid", "multipart:file". A repeated name gets an occurrence suffix ("form:pkg[1]"). ``None``
means "not this structure", so the caller searches the bytes as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

from appaudit.traffic.pi.limits import MAX_JSON_NESTING, MIN_NEEDLE_LENGTH
from appaudit.traffic.pi.pieces import Piece, occurrence

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A key with a digit, dot, dash, "@"... may itself be a value (a package name, an IMEI, a MAC as a key);
# a plain word key ("request_id") is a field name and is not searched.
_VALUE_LIKE_KEY = re.compile(r"[^A-Za-z_]")
_FORM_KEY = re.compile(rb"[A-Za-z_][\w.\-\[\]%]*")
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BOUNDARY = re.compile(r"""boundary=(?:"([^"]+)"|([^;\s]+))""", re.IGNORECASE)
_DISPOSITION_NAME = re.compile(r"""(?:^|;)\s*name=(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))""", re.IGNORECASE)


class _Number(str):
    """A JSON number kept as its literal text, so "39.90420" stays as sent (and huge ints stay cheap)."""


@dataclass(frozen=True)
class Structure:
    pieces: list[Piece]
    cut: str | None = None  # set when part of the structure was not walked (nesting limit)
    covered: tuple[tuple[int, int], ...] | None = None  # protobuf: the parent is searched too, minus these spans


# --------------------------------------------------------------------------- JSON


def json_pieces(data: bytes) -> Structure | None:
    """The values of a JSON object or array (top-level scalars are left to the caller)."""
    stripped = data.strip()
    if stripped[:1] not in (b"{", b"[") and not stripped.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        doc = json.loads(stripped.decode("utf-8-sig"), parse_int=_Number, parse_float=_Number, parse_constant=_Number)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict | list):
        return None
    pieces: list[Piece] = []
    cut: list[str] = []
    _walk_json(doc, ["$"], None, 0, pieces, cut)
    return Structure(pieces, cut[0] if cut else None)


def _walk_json(value: object, path: list[str], key: str | None, depth: int, out: list[Piece], cut: list[str]) -> None:
    if depth > MAX_JSON_NESTING:
        if not cut:
            cut.append(f"JSON nested deeper than {MAX_JSON_NESTING} levels at {''.join(path)}")
        return
    if isinstance(value, dict):
        for name, item in value.items():
            member = [*path, _path_token(name)]
            if len(name) >= MIN_NEEDLE_LENGTH and _VALUE_LIKE_KEY.search(name):
                out.append(_json_piece("json_key:", member, name, name, "json_key:" + "".join(path)))
            _walk_json(item, member, name, depth + 1, out, cut)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_json(item, [*path, f"[{index}]"], key, depth + 1, out, cut)
    elif isinstance(value, str):  # _Number is a str too: numbers keep their literal text
        out.append(_json_piece("json:", path, value, key, container_of(path)))


def _json_piece(prefix: str, path: list[str], text: str, key: str | None, container: str) -> Piece:
    label = "".join(path)
    return Piece(prefix + label, text.encode("utf-8", "surrogatepass"), label=label, key=key, container=container)


def container_of(path: list[str]) -> str:
    return "json:" + "".join(path[:-1])


def _path_token(name: str) -> str:
    if _IDENTIFIER.fullmatch(name):
        return "." + name
    return "[" + json.dumps(name, ensure_ascii=False) + "]"


# --------------------------------------------------------------------------- forms, query strings, cookies


def looks_like_form(data: bytes) -> bool:
    """At least two ``key=value`` pairs joined by "&" with identifier-like keys (undeclared forms)."""
    fields = data.split(b"&")
    return len(fields) >= 2 and all(b"=" in f and _FORM_KEY.fullmatch(f.split(b"=", 1)[0]) for f in fields)


def form_pieces(data: bytes) -> Structure | None:
    """application/x-www-form-urlencoded or a query string: percent- and plus-decoded values."""
    text = data.decode("utf-8", "surrogateescape")
    if "=" not in text:
        return None
    try:
        pairs = parse_qsl(text, keep_blank_values=False, encoding="utf-8", errors="surrogateescape")
    except ValueError:
        return None
    seen: dict[str, int] = {}
    pieces = [
        Piece(
            "form:" + occurrence(name, seen),
            value.encode("utf-8", "surrogateescape"),
            label=name,
            key=name,
            container="form",
        )
        for name, value in pairs
    ]
    return Structure(pieces) if pieces else None


def cookie_pieces(data: bytes) -> Structure | None:
    """A Cookie header: ``name=value; name2=value2``."""
    seen: dict[str, int] = {}
    pieces: list[Piece] = []
    for item in data.decode("utf-8", "surrogateescape").split(";"):
        name, sep, value = item.strip().partition("=")
        if not sep or not _COOKIE_NAME.fullmatch(name) or not value:
            continue
        value = value.strip('"')
        step = "cookie:" + occurrence(name, seen)
        pieces.append(Piece(step, value.encode("utf-8", "surrogateescape"), label=name, key=name, container="cookie"))
    return Structure(pieces) if pieces else None


# --------------------------------------------------------------------------- multipart


def multipart_pieces(data: bytes, content_type: str) -> Structure | None:
    """multipart/* bodies: one piece per part, named by its Content-Disposition name."""
    match = _BOUNDARY.search(content_type)
    if not match:
        return None
    delimiter = b"--" + (match.group(1) or match.group(2)).encode("latin-1", "replace")
    seen: dict[str, int] = {}
    pieces: list[Piece] = []
    for index, (headers, body) in enumerate(_multipart_parts(data, delimiter)):
        name = _disposition_name(headers.get("content-disposition", "")) or f"#{index}"
        step = "multipart:" + occurrence(name, seen)
        pieces.append(
            Piece(step, body, label=name, key=name, container="multipart", content_type=headers.get("content-type"))
        )
    return Structure(pieces) if pieces else None


def _multipart_parts(data: bytes, delimiter: bytes) -> Iterator[tuple[dict[str, str], bytes]]:
    chunks = data.split(delimiter)
    for chunk in chunks[1:]:  # chunks[0] is the preamble
        if chunk.startswith(b"--"):  # the closing delimiter
            return
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:] if chunk.startswith(b"\n") else chunk
        head, sep, body = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = chunk.partition(b"\n\n")
            if not sep:
                continue
        if body.endswith(b"\r\n"):
            body = body[:-2]
        elif body.endswith(b"\n"):
            body = body[:-1]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").splitlines():
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        yield headers, body


def _disposition_name(disposition: str) -> str | None:
    match = _DISPOSITION_NAME.search(disposition)
    if not match:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)
