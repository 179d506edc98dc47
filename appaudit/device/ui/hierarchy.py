"""Parse ``uiautomator dump`` output into an immutable tree of nodes.

The dump is untrusted: the app controls every text and description in it. The parser therefore refuses
any DTD (no entity can ever be expanded: billion laughs, external entities), repairs what real dumpers
get wrong (raw control characters, character references to invalid code points, a bare ``&``), ignores
what ``adb exec-out uiautomator dump /dev/tty`` adds around the XML, and stops after
:data:`MAX_NODES` nodes, saying so with :attr:`Hierarchy.truncated`.

Nodes compare by identity (a node is a place in one dump), so they can key dictionaries and deep trees
never recurse in ``==`` or ``hash``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from xml.parsers import expat

from appaudit.device.driver import DeviceError

MAX_NODES = 20_000  # a real screen has a few hundred; beyond this the dump is cut and flagged
MAX_DUMP_CHARS = 32 * 1024 * 1024  # refuse larger input outright (a 20,000-node dump is about 7 MB)
_CHUNK = 1 << 20  # feed expat in chunks, so a cut at MAX_NODES skips the rest of a huge dump

# Transient failures of ``uiautomator dump``: the screen was animating, or the window had no root yet.
_TRANSIENT = ("could not get idle state", "null root node", "no window root", "root node is null")

_BOUNDS = re.compile(r"^\s*\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]\s*$")
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_BARE_AMP = re.compile(r"&(?!(?:#[0-9]{1,10}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z_][\w.-]*);)")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_DTD = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_END = "</hierarchy>"


class DumpError(DeviceError):
    """The output of ``uiautomator dump`` is not a usable hierarchy.

    ``retryable`` is True for transient failures (animated screen, empty output): dumping again
    usually works.
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, eq=False, repr=False)
class Node:
    """One ``<node>`` of the dump; attributes missing from the dump take their defaults."""

    index: int = 0
    text: str = ""
    resource_id: str = ""
    cls: str = ""
    package: str = ""
    content_desc: str = ""
    hint: str = ""
    checkable: bool = False
    checked: bool = False
    clickable: bool = False
    enabled: bool = True
    focusable: bool = False
    focused: bool = False
    scrollable: bool = False
    long_clickable: bool = False
    password: bool = False
    selected: bool = False
    bounds: tuple[int, int, int, int] = (0, 0, 0, 0)  # x1, y1, x2, y2
    children: tuple[Node, ...] = ()
    window: int = 0  # the top-level window (child of <hierarchy>) the node belongs to, 0-based

    @property
    def label(self) -> str:
        """What a user (or a screen reader) would call the node: text, else content-desc, else hint."""
        return (self.text or "").strip() or (self.content_desc or "").strip() or (self.hint or "").strip()

    @property
    def center(self) -> tuple[int, int]:
        x1, y1, x2, y2 = self.bounds
        return (x1 + x2) // 2, (y1 + y2) // 2

    @property
    def area(self) -> int:
        x1, y1, x2, y2 = self.bounds
        return max(0, x2 - x1) * max(0, y2 - y1)

    def contains(self, x: int, y: int) -> bool:
        x1, y1, x2, y2 = self.bounds
        return x1 <= x < x2 and y1 <= y < y2

    def walk(self) -> Iterator[Node]:
        """This node and its descendants, depth-first in document order (no recursion)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def __repr__(self) -> str:
        short = self.cls.rsplit(".", 1)[-1]
        return (
            f"Node({short} label={self.label[:40]!r} id={self.resource_id!r} bounds={self.bounds} "
            f"window={self.window} children={len(self.children)})"
        )


@dataclass(frozen=True, repr=False)
class Hierarchy:
    """A parsed dump: one root node per window (a dialog is an extra window root)."""

    rotation: int
    windows: tuple[Node, ...]
    truncated: bool = False  # the dump had more than MAX_NODES nodes; the rest was not read
    node_count: int = 0

    def nodes(self) -> Iterator[Node]:
        """Every node, depth-first, window after window in document order."""
        for root in self.windows:
            yield from root.walk()

    def packages(self) -> tuple[str, ...]:
        """The packages of the windows, in document order, without repeats."""
        return tuple(dict.fromkeys(root.package for root in self.windows if root.package))

    @cached_property
    def _index(self) -> dict[Node, tuple[int, Node | None, int]]:
        """node -> (document position, parent, depth)."""
        index: dict[Node, tuple[int, Node | None, int]] = {}
        stack: list[tuple[Node, Node | None, int]] = [(root, None, 0) for root in reversed(self.windows)]
        while stack:
            node, parent, depth = stack.pop()
            index[node] = (len(index), parent, depth)
            stack.extend((child, node, depth + 1) for child in reversed(node.children))
        return index

    def parent(self, node: Node) -> Node | None:
        entry = self._index.get(node)
        return entry[1] if entry else None

    def ancestors(self, node: Node) -> Iterator[Node]:
        """The parent, the grandparent, ... up to the window root."""
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def position(self, node: Node) -> int:
        """The node's place in document order (-1 when it is not in this hierarchy)."""
        entry = self._index.get(node)
        return entry[0] if entry else -1

    def depth(self, node: Node) -> int:
        entry = self._index.get(node)
        return entry[2] if entry else -1

    @cached_property
    def _lookup(self) -> dict[tuple[str, str], list[Node]]:
        """(field, value) -> nodes in document order, for the fields selectors name."""
        index: dict[tuple[str, str], list[Node]] = {}
        for node in self.nodes():
            for key in (
                ("resource_id", node.resource_id),
                ("text", node.text.strip()),
                ("content_desc", node.content_desc.strip()),
                ("cls", node.cls),
            ):
                if key[1]:
                    index.setdefault(key, []).append(node)
        return index

    def having(self, field_name: str, value: str) -> list[Node]:
        """The nodes whose ``field_name`` (resource_id, text, content_desc, cls; text trimmed) is ``value``."""
        return self._lookup.get((field_name, value), [])

    @cached_property
    def _labelled(self) -> dict[Node, tuple[int, Node | None]]:
        """node -> (labelled nodes in its subtree, the first of them in document order)."""
        summary: dict[Node, tuple[int, Node | None]] = {}
        for node in reversed(self._index):  # reverse document order: children before their parents
            count, first = (1, node) if node.label else (0, None)
            for child in node.children:
                child_count, child_first = summary[child]
                count += child_count
                first = first or child_first
            summary[node] = (count, first)
        return summary

    def labelled_count(self, node: Node) -> int:
        """How many nodes with a label the subtree of ``node`` holds (itself included)."""
        return self._labelled.get(node, (0, None))[0]

    def first_labelled(self, node: Node) -> Node | None:
        """The first node with a label in the subtree of ``node`` (itself first), in document order."""
        return self._labelled.get(node, (0, None))[1]

    @cached_property
    def screen(self) -> tuple[int, int, int, int]:
        """The union of the window roots' bounds: the screen, as far as the dump tells."""
        boxes = [w.bounds for w in self.windows if w.area > 0]
        if not boxes:
            return (0, 0, 0, 0)
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))

    def __repr__(self) -> str:
        return (
            f"Hierarchy(rotation={self.rotation}, windows={len(self.windows)}, packages={self.packages()}, "
            f"nodes={self.node_count}, truncated={self.truncated})"
        )


# --------------------------------------------------------------------------- parsing


def parse_dump(text: str | bytes) -> Hierarchy:
    """Parse raw ``uiautomator dump`` output; raise :class:`DumpError` when it is not a hierarchy."""
    decoded = _decode(text)
    if _DTD.search(decoded):
        raise DumpError("refusing a UI dump with a DTD (<!DOCTYPE/<!ENTITY>): uiautomator never writes one")
    return _Builder().parse(_sanitise(_extract_xml(decoded)))


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if len(data) > MAX_DUMP_CHARS:
        raise DumpError(f"UI dump too large ({len(data)} bytes, limit {MAX_DUMP_CHARS})")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")  # uiautomator always writes UTF-8


def _extract_xml(text: str) -> str:
    """Cut the XML out of the command output: drop the trailer line and anything before the XML."""
    if len(text) > MAX_DUMP_CHARS:
        raise DumpError(f"UI dump too large ({len(text)} characters, limit {MAX_DUMP_CHARS})")
    start = text.find("<hierarchy")
    if start < 0:
        stripped = text.strip()
        if not stripped:
            raise DumpError("empty output from uiautomator dump", retryable=True)
        first_line = stripped.splitlines()[0][:120]
        if any(marker in stripped.lower() for marker in _TRANSIENT):
            raise DumpError(f"uiautomator could not dump the screen: {first_line}", retryable=True)
        raise DumpError(f"not a uiautomator dump (no <hierarchy> element): {first_line!r}")
    declaration = text.rfind("<?xml", 0, start)
    prolog = text[declaration if declaration >= 0 else start : start]
    end = text.rfind(_END)
    body = text[start : end + len(_END)] if end > start else text[start:]
    return _XML_DECL.sub("", prolog) + body


def _sanitise(xml: str) -> str:
    """Repair what lenient dumpers emit and a conforming XML parser rejects."""

    def char_ref(match: re.Match[str]) -> str:
        hex_digits, dec_digits = match.groups()
        code = int(hex_digits, 16) if hex_digits else int(dec_digits)
        return match.group(0) if _xml_char(code) else "&#xFFFD;"

    xml = _INVALID_CHARS.sub("\ufffd", xml)
    xml = _CHAR_REF.sub(char_ref, xml)
    return _BARE_AMP.sub("&amp;", xml)


def _xml_char(code: int) -> bool:
    """May this code point appear in an XML 1.0 document?"""
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


class _Truncate(Exception):
    """Raised inside the expat callbacks to stop at MAX_NODES."""


class _Refused(Exception):
    """Raised inside the expat callbacks on a DTD or an entity declaration."""


class _NotHierarchy(Exception):
    """Raised inside the expat callbacks when the root element is not <hierarchy>."""


@dataclass
class _Open:
    attrs: dict[str, str]
    window: int
    children: list[Node] = field(default_factory=list)


class _Builder:
    """Builds nodes bottom-up from expat events, with an explicit stack (no recursion)."""

    def __init__(self) -> None:
        self.rotation = 0
        self.seen_root = False
        self.windows: list[Node] = []
        self.stack: list[_Open] = []
        self.count = 0
        self.truncated = False

    def parse(self, xml: str) -> Hierarchy:
        parser = expat.ParserCreate("UTF-8")
        parser.StartDoctypeDeclHandler = self._refuse
        parser.EntityDeclHandler = self._refuse
        parser.ExternalEntityRefHandler = self._refuse
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        data = xml.encode("utf-8")
        try:
            for offset in range(0, len(data), _CHUNK):
                parser.Parse(data[offset : offset + _CHUNK], False)
            parser.Parse(b"", True)
        except _Truncate:
            self.truncated = True
            while self.stack:
                self._close()
        except _Refused as exc:
            raise DumpError("refusing a UI dump with a DTD or entity declaration") from exc
        except _NotHierarchy as exc:
            raise DumpError(f"not a uiautomator dump: the root element is <{exc}>, not <hierarchy>") from exc
        except expat.ExpatError as exc:
            raise DumpError(f"malformed UI dump XML: {expat.ErrorString(exc.code)} at line {exc.lineno}") from exc
        if not self.seen_root:
            raise DumpError("not a uiautomator dump: the root element is not <hierarchy>")
        return Hierarchy(self.rotation, tuple(self.windows), self.truncated, self.count)

    def _refuse(self, *_args: object) -> int:
        raise _Refused

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.seen_root:
            if name != "hierarchy":
                raise _NotHierarchy(name)
            self.seen_root = True
            self.rotation = _int(attrs.get("rotation"))
            return
        if name != "node":
            return  # <display>, <window> or unknown wrappers of newer dumpers: their nodes are kept
        if self.count >= MAX_NODES:
            raise _Truncate
        self.count += 1
        window = self.stack[0].window if self.stack else len(self.windows)
        self.stack.append(_Open(attrs, window))

    def _end(self, name: str) -> None:
        if name == "node" and self.stack:
            self._close()

    def _close(self) -> None:
        item = self.stack.pop()
        node = _node(item.attrs, tuple(item.children), item.window)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.windows.append(node)


def _node(attrs: dict[str, str], children: tuple[Node, ...], window: int) -> Node:
    def flag(key: str, default: bool = False) -> bool:
        value = attrs.get(key)
        return default if value is None else value.strip().lower() == "true"

    return Node(
        index=_int(attrs.get("index")),
        text=attrs.get("text", ""),
        resource_id=attrs.get("resource-id", ""),
        cls=attrs.get("class", ""),
        package=attrs.get("package", ""),
        content_desc=attrs.get("content-desc", ""),
        hint=attrs.get("hint", ""),
        checkable=flag("checkable"),
        checked=flag("checked"),
        clickable=flag("clickable"),
        enabled=flag("enabled", True),
        focusable=flag("focusable"),
        focused=flag("focused"),
        scrollable=flag("scrollable"),
        long_clickable=flag("long-clickable"),
        password=flag("password"),
        selected=flag("selected"),
        bounds=parse_bounds(attrs.get("bounds", "")),
        children=children,
        window=window,
    )


def parse_bounds(value: str) -> tuple[int, int, int, int]:
    """``"[x1,y1][x2,y2]"`` -> (x1, y1, x2, y2); (0, 0, 0, 0) when malformed or inverted."""
    match = _BOUNDS.match(value or "")
    if not match:
        return (0, 0, 0, 0)
    x1, y1, x2, y2 = (int(v) for v in match.groups())
    if x2 < x1 or y2 < y1 or max(abs(x1), abs(y1), abs(x2), abs(y2)) > 1_000_000:
        return (0, 0, 0, 0)
    return (x1, y1, x2, y2)


def _int(value: str | None) -> int:
    try:
        return int((value or "0").strip())
    except ValueError:
        return 0
