"""Naming tap targets by what they are, and finding where to tap.

A :class:`Selector` names a node by resource id, text, content-desc and class (the fields it sets must
all equal the node's, after trimming spaces) plus ``nth``, the match to take in document order. Paths
replayed from a fresh launch stay valid when the layout moves, which coordinates would not.

Hit-testing follows Android's touch dispatch: the topmost window containing the point receives it (see
:func:`window_order`), and within it the children of a view are offered the touch from the last drawn to
the first; the first clickable view on the way back up takes it.

Window order: a dump does not say which window is on top, so it is inferred. System chrome (status bar,
navigation bar, keyboard) is on top of apps; then windows smaller than the screen (dialogs, popups, the
permission dialog) are above full-screen ones; among equals, the later window in the dump is on top.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields

from appaudit.device.ui.hierarchy import Hierarchy, Node
from appaudit.device.ui.lexicon import UiLexicon, load_ui_lexicon
from appaudit.device.ui.state import mask

FULL_SCREEN = 0.9  # a window covering this share of the screen is a full-screen window
LABEL_LIMIT = 40  # labels longer than this are paragraphs, not names of a target
_GRID = 5  # candidate tap points per axis when the centre is covered
MAX_TARGETS = 200  # an explorer never needs more targets on one screen
MAX_EXAMINED = 500  # clickable nodes looked at per screen (bounds the work on a hostile dump)
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Selector:
    """Identifies a tap target by what it is, not where it is."""

    resource_id: str = ""
    text: str = ""
    content_desc: str = ""
    cls: str = ""
    nth: int = 0  # the nth match in document order

    def matches(self, node: Node) -> bool:
        return (
            (not self.resource_id or node.resource_id == self.resource_id)
            and (not self.text or node.text.strip() == self.text)
            and (not self.content_desc or node.content_desc.strip() == self.content_desc)
            and (not self.cls or node.cls == self.cls)
        )

    def find_all(self, h: Hierarchy) -> list[Node]:
        """Every match, in document order."""
        named = [(f, getattr(self, f)) for f in ("resource_id", "text", "content_desc", "cls") if getattr(self, f)]
        if not named:
            return []
        candidates = min((h.having(f, value) for f, value in named), key=len)
        return [node for node in candidates if self.matches(node)]

    def find(self, h: Hierarchy) -> Node | None:
        found = self.find_all(h)
        return found[self.nth] if 0 <= self.nth < len(found) else None

    def describe(self) -> str:
        """``text="同意并继续"``, ``resource-id="com.x:id/agree" nth=1``: for logs and evidence."""
        names = {"resource_id": "resource-id", "content_desc": "content-desc", "cls": "class"}
        parts = [
            f"{names.get(f.name, f.name)}={json.dumps(getattr(self, f.name), ensure_ascii=False)}"
            for f in fields(self)
            if f.name != "nth" and getattr(self, f.name)
        ]
        if self.nth:
            parts.append(f"nth={self.nth}")
        return " ".join(parts) or "(empty selector)"


def _stable(text: str) -> bool:
    """A label fit to name a target: short, and without digits (counters, clocks, countdowns change)."""
    return bool(text) and len(text) <= LABEL_LIMIT and not _DIGIT.search(text)


def _unique(selector: Selector, node: Node, h: Hierarchy) -> bool:
    found = selector.find_all(h)
    return len(found) == 1 and found[0] is node


def _label_candidates(node: Node) -> list[Selector]:
    text, desc = node.text.strip(), node.content_desc.strip()
    return [s for s, ok in ((Selector(text=text), _stable(text)), (Selector(content_desc=desc), _stable(desc))) if ok]


def _id_candidates(node: Node) -> list[Selector]:
    text, desc, rid = node.text.strip(), node.content_desc.strip(), node.resource_id
    found = []
    if rid:
        found.append(Selector(resource_id=rid))
        found += [Selector(resource_id=rid, text=text)] if _stable(text) else []
        found += [Selector(resource_id=rid, content_desc=desc)] if _stable(desc) else []
    found += [Selector(text=text, cls=node.cls)] if _stable(text) else []
    return found


def selector_for(node: Node, h: Hierarchy) -> Selector:
    """The most specific stable selector for ``node`` in ``h``.

    Tried in order, the first that matches ``node`` alone wins: its text, its content-desc (both only
    when short and free of digits), then, for a node with no label of its own (a clickable row around a
    TextView), the selector of its first labelled descendant (tapping that lands on the row); then its
    resource id alone or with its label, its text with its class. Failing all, every field the node
    has, with ``nth``.
    """
    for selector in _label_candidates(node):
        if _unique(selector, node, h):
            return selector
    if not node.label:
        child = h.first_labelled(node)
        if child is not None and not child.clickable and _stable(child.label):
            inner = next((s for s in _label_candidates(child) if _unique(s, child, h)), None)
            if inner is not None:
                return inner
    for selector in _id_candidates(node):
        if _unique(selector, node, h):
            return selector
    full = Selector(
        resource_id=node.resource_id,
        text=node.text.strip() if len(node.text.strip()) <= LABEL_LIMIT else "",
        content_desc=node.content_desc.strip() if len(node.content_desc.strip()) <= LABEL_LIMIT else "",
        cls=node.cls,
    )
    matches = full.find_all(h)
    position = next((i for i, n in enumerate(matches) if n is node), 0)
    return Selector(full.resource_id, full.text, full.content_desc, full.cls, position)


# --------------------------------------------------------------------------- hit-testing


def window_order(h: Hierarchy, lexicon: UiLexicon | None = None) -> tuple[int, ...]:
    """Window indices from the topmost down (see the module docstring for the inference)."""
    chrome = (lexicon or load_ui_lexicon()).system_chrome_packages
    x1, y1, x2, y2 = h.screen
    screen_area = max(1, (x2 - x1) * (y2 - y1))

    def rank(i: int) -> tuple[int, int, int]:
        window = h.windows[i]
        full = window.area >= FULL_SCREEN * screen_area
        return (0 if window.package in chrome else 1, 1 if full else 0, -i)

    return tuple(sorted(range(len(h.windows)), key=rank))


def foreground_window(h: Hierarchy, lexicon: UiLexicon | None = None) -> Node | None:
    """The topmost window that is not system chrome (the chrome only when nothing else is shown)."""
    lex = lexicon or load_ui_lexicon()
    order = window_order(h, lex)
    for i in order:
        if h.windows[i].package not in lex.system_chrome_packages:
            return h.windows[i]
    return h.windows[order[0]] if order else None


def node_at(h: Hierarchy, x: int, y: int) -> Node | None:
    """The node a tap at (x, y) reaches: in the topmost window containing the point, the clickable node
    that takes the touch; when nothing there is clickable, the deepest node under the point (the window
    still swallows the tap). None when no window contains the point."""
    for i in window_order(h):
        root = h.windows[i]
        if root.contains(x, y):
            return _dispatch(root, x, y) or _deepest(root, x, y)
    return None


def _dispatch(root: Node, x: int, y: int) -> Node | None:
    """Android's dispatch order, without recursion: the children containing the point, last drawn first,
    each explored before its parent is offered the touch. Children are scanned lazily, so a hit stops
    the search (a screen of overlapping nodes costs little)."""
    stack: list[tuple[Node, Iterator[Node]]] = [(root, reversed(root.children))]
    while stack:
        node, children = stack[-1]
        child = next((c for c in children if c.contains(x, y)), None)
        if child is not None:
            stack.append((child, reversed(child.children)))
            continue
        stack.pop()
        if node.clickable:
            return node
    return None


def _deepest(root: Node, x: int, y: int) -> Node:
    node = root
    while (child := next((c for c in reversed(node.children) if c.contains(x, y)), None)) is not None:
        node = child
    return node


def reaches(hit: Node | None, node: Node, h: Hierarchy) -> bool:
    """Does a tap that lands on ``hit`` act on ``node``: the node itself, a node inside it, or the
    clickable ancestor that handles taps for it?"""
    if hit is None:
        return False
    if hit is node:
        return True
    return any(a is node for a in h.ancestors(hit)) or any(a is hit for a in h.ancestors(node))


def tap_point(node: Node, h: Hierarchy) -> tuple[int, int]:
    """Where to tap ``node``: its centre, or when another node (a dialog window above, an overlapping
    view) covers the centre, the point of a 5x5 grid inside it that reaches it nearest the centre.
    A node covered everywhere gets its centre (the tap will land on the cover)."""
    cx, cy = node.center
    if reaches(node_at(h, cx, cy), node, h):
        return cx, cy
    x1, y1, x2, y2 = node.bounds
    if x2 - x1 < 2 or y2 - y1 < 2:
        return cx, cy
    xs = [x1 + (x2 - x1) * (2 * k + 1) // (2 * _GRID) for k in range(_GRID)]
    ys = [y1 + (y2 - y1) * (2 * k + 1) // (2 * _GRID) for k in range(_GRID)]
    points = sorted(((x, y) for x in xs for y in ys), key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2)
    return next((p for p in points if reaches(node_at(h, *p), node, h)), (cx, cy))


def is_reachable(node: Node, h: Hierarchy) -> bool:
    """Can a tap reach ``node`` at all (it has an area and is not wholly covered)?"""
    return node.area > 0 and reaches(node_at(h, *tap_point(node, h)), node, h)


# --------------------------------------------------------------------------- exploration


def is_unsafe(node: Node, label: str = "", lexicon: UiLexicon | None = None) -> bool:
    """Would tapping this log out, delete, pay, call, uninstall or leave? (label and resource id)"""
    unsafe = (lexicon or load_ui_lexicon()).unsafe_labels
    rid_name = node.resource_id.rsplit("/", 1)[-1]
    return any(unsafe.matches(t) for t in (label or node.label, node.content_desc, rid_name) if t)


def target_label(node: Node, h: Hierarchy) -> str:
    """The label a clickable node shows: its own, else its first labelled descendant's."""
    labelled = h.first_labelled(node)
    return labelled.label if labelled is not None else ""


def _target_windows(h: Hierarchy, app_package: str, lex: UiLexicon) -> list[Node]:
    """The app windows a tap can reach: none when another app or the system dialog is in front; only
    the dialog when the app shows one (Android dialogs are touch-modal); else every app window."""
    front = foreground_window(h, lex)
    if front is None or front.package != app_package:
        return []
    x1, y1, x2, y2 = h.screen
    if front.area < FULL_SCREEN * (x2 - x1) * (y2 - y1):
        return [front]
    return [h.windows[i] for i in window_order(h, lex) if h.windows[i].package == app_package]


def _targets(h: Hierarchy, app_package: str, *, unsafe: bool) -> list[tuple[Selector, Node]]:
    lex = load_ui_lexicon()
    seen: set[tuple[str, str, str]] = set()
    found: list[tuple[Selector, Node]] = []
    clickable = (
        node
        for window in _target_windows(h, app_package, lex)
        for node in window.walk()
        if node.clickable and node.enabled and node.package == app_package
    )
    for examined, node in enumerate(clickable):
        if examined >= MAX_EXAMINED or len(found) >= MAX_TARGETS:
            break
        label = target_label(node, h)
        if lex.back_labels.matches(label) or is_unsafe(node, label, lex) != unsafe:
            continue
        key = (node.resource_id, mask(label), node.cls)
        if key in seen or not is_reachable(node, h):
            continue
        seen.add(key)
        found.append((selector_for(node, h), node))
    return found


def clickable_targets(h: Hierarchy, app_package: str) -> list[tuple[Selector, Node]]:
    """What an explorer may tap on this screen, topmost window first, then in document order.

    Clickable, enabled nodes of ``app_package`` that a tap can reach: nothing when another package is in
    front, only the dialog's nodes when the app shows a dialog (dialogs are touch-modal), and never a
    node wholly covered by another. Each is named by its own label or, for a row or icon without one,
    by a labelled descendant, content-desc or resource id (nodes with none of these get a class + nth
    selector). Repeats with the same resource id, class and label up to digits (a feed's items, its
    "like" buttons) appear once. Left out: "navigate up"/back buttons (a path is replayed from a fresh
    launch, so going back never reaches anything new) and unsafe targets (:func:`is_unsafe`; see
    :func:`unsafe_targets`). At most :data:`MAX_TARGETS`, from the first :data:`MAX_EXAMINED` clickable
    nodes, so a hostile dump cannot stall the explorer.
    """
    return _targets(h, app_package, unsafe=False)


def unsafe_targets(h: Hierarchy, app_package: str) -> list[tuple[Selector, Node]]:
    """The targets :func:`clickable_targets` leaves out as unsafe (to record, never to tap)."""
    return _targets(h, app_package, unsafe=True)
