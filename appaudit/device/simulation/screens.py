"""Screens of the simulated device: uiautomator window dumps, composed into one dump, and hit-tested.

A *window* is the single root ``<node>`` of a dump in the exact ``uiautomator dump`` format. A screen is
a stack of windows, bottom first (the app's activity, then a dialog on top); the composed dump lists
their roots in that order inside one ``<hierarchy>``, the way dialogs appear as extra window roots.

A tap is resolved like Android's touch dispatch, simplified: the topmost window whose root bounds contain
the point receives it (a modal window — every window above the first, unless the scenario says otherwise —
swallows taps outside itself too); inside it the tap follows the topmost child containing the point down
to the deepest node, and the node that handles it is the deepest *clickable* (and enabled) node on that
path. No clickable node there: the tap does nothing.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")

Bounds = tuple[int, int, int, int]


class ScreenFormatError(ValueError):
    """A window dump is not a uiautomator dump with exactly one root node."""


@dataclass(frozen=True, eq=False)
class Window:
    """One window: its root node, and whether it swallows taps outside its bounds."""

    root: ET.Element
    modal: bool = False
    source: str = ""  # the file it came from, for messages

    @property
    def package(self) -> str:
        return self.root.get("package", "")


@dataclass(frozen=True)
class Selector:
    """Identifies a node by attributes (all given ones must match exactly)."""

    resource_id: str | None = None
    text: str | None = None
    content_desc: str | None = None
    class_name: str | None = None
    attributes: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pairs = (
            ("resource-id", self.resource_id),
            ("text", self.text),
            ("content-desc", self.content_desc),
            ("class", self.class_name),
        )
        object.__setattr__(self, "attributes", tuple((k, v) for k, v in pairs if v is not None))

    def matches(self, node: ET.Element) -> bool:
        return bool(self.attributes) and all(node.get(k) == v for k, v in self.attributes)

    def matches_within(self, node: ET.Element) -> bool:
        """The node or one of its descendants (a clickable row whose label is a child TextView)."""
        return any(self.matches(n) for n in node.iter("node"))

    def describe(self) -> str:
        return ", ".join(f'{k}="{v}"' for k, v in self.attributes)


def parse_window(text: str, source: str = "") -> ET.Element:
    """The root ``<node>`` of a one-window dump (declaration and trailer tolerated)."""
    start, end = text.find("<hierarchy"), text.rfind("</hierarchy>")
    if start < 0 or end < 0:
        raise ScreenFormatError(f"{source or 'window'}: not a uiautomator dump (no <hierarchy>)")
    try:
        hierarchy = ET.fromstring(text[start : end + len("</hierarchy>")])
    except ET.ParseError as exc:
        raise ScreenFormatError(f"{source or 'window'}: invalid XML: {exc}") from exc
    roots = list(hierarchy)
    if len(roots) != 1 or roots[0].tag != "node":
        raise ScreenFormatError(f"{source or 'window'}: a window file must hold exactly one root <node>")
    for node in roots[0].iter():
        if node.tag != "node" or parse_bounds(node.get("bounds", "")) is None:
            raise ScreenFormatError(f"{source or 'window'}: every element must be a <node> with bounds")
        node.tail = None
    return roots[0]


def retarget(root: ET.Element, replacements: Sequence[tuple[str, str]], package_map: tuple[str, str] | None) -> None:
    """Rewrite a template window in place: ``package`` and resource-id prefixes (``old:id/`` → ``new:id/``)
    per ``package_map``, and each ``(old, new)`` text replacement in ``text`` and ``content-desc``."""
    for node in root.iter("node"):
        if package_map is not None:
            old, new = package_map
            if node.get("package") == old:
                node.set("package", new)
            rid = node.get("resource-id", "")
            if rid.startswith(f"{old}:id/"):
                node.set("resource-id", f"{new}:id/{rid[len(old) + 4 :]}")
        for attr in ("text", "content-desc"):
            value = node.get(attr, "")
            for old_text, new_text in replacements:
                value = value.replace(old_text, new_text)
            node.set(attr, value)


def compose(windows: Sequence[Window], rotation: int = 0) -> str:
    """One dump with every window root, bottom first, in the one-line format ``uiautomator`` writes."""
    parts = []
    for window in windows:
        root = copy.deepcopy(window.root)
        root.tail = None
        parts.append(ET.tostring(root, encoding="unicode"))
    return f'{XML_DECLARATION}<hierarchy rotation="{rotation}">{"".join(parts)}</hierarchy>'


def parse_bounds(value: str) -> Bounds | None:
    m = _BOUNDS.fullmatch(value.strip())
    return (int(m[1]), int(m[2]), int(m[3]), int(m[4])) if m else None


def _contains(node: ET.Element, x: int, y: int) -> bool:
    b = parse_bounds(node.get("bounds", ""))
    return b is not None and b[0] <= x < b[2] and b[1] <= y < b[3]


def _path_to(node: ET.Element, x: int, y: int) -> Iterator[ET.Element]:
    """From ``node`` down through the topmost (last drawn) child containing the point at each level."""
    while True:
        yield node
        inside = [child for child in node if _contains(child, x, y)]
        if not inside:
            return
        node = inside[-1]


def _handles_taps(node: ET.Element) -> bool:
    return node.get("clickable") == "true" and node.get("enabled", "true") == "true"


def hit_test(windows: Sequence[Window], x: int, y: int) -> ET.Element | None:
    """The node that handles a tap at (x, y), or None when the tap lands on nothing clickable."""
    for window in reversed(windows):
        if _contains(window.root, x, y):
            handlers = [n for n in _path_to(window.root, x, y) if _handles_taps(n)]
            return handlers[-1] if handlers else None
        if window.modal:
            return None
    return None


def screen_bounds(windows: Sequence[Window]) -> Bounds | None:
    """The bottom window's bounds (the app's full-screen window)."""
    return parse_bounds(windows[0].root.get("bounds", "")) if windows else None
