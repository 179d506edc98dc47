"""A UI dump drawn as a small SVG wireframe: what was on the screen, and which element was tapped.

The simulated device's screenshots are one-colour placeholders, and on a real device a screenshot does
not say which element a tap hit; the dump says both. The dump is untrusted (the app writes every text
in it): it is parsed by the device layer's safe parser (no DTD, no entity, node count capped), and its
labels only ever become escaped SVG text. A dump that does not parse gives no figure, never an error.
"""

from __future__ import annotations

import json
import re
import unicodedata

from appaudit.device.ui.hierarchy import DumpError, Hierarchy, Node, parse_dump
from appaudit.device.ui.selectors import Selector
from appaudit.report.i18n import tr
from appaudit.report.view.figure import Figure, LegendEntry, Shape, shape

WIDTH = 180  # px: the screen's width in the figure
MAX_SHAPES_NODES = 300  # nodes drawn at most; the tapped one is always among them
LABEL_CHARS = 24  # a label's visible characters at most (its full text is the hover title)
TITLE_CHARS = 200
FONT_PX = 7  # the label size the CSS sets (.wf-label); used here only to fit labels in their boxes
MIN_LABEL_HEIGHT = 5  # px: boxes lower than this carry no label

_SELECTOR_FIELDS = {"resource-id": "resource_id", "text": "text", "content-desc": "content_desc", "class": "cls"}
_SELECTOR_TOKEN = re.compile(r'(resource-id|text|content-desc|class)=("(?:[^"\\]|\\.)*")|nth=(\d+)')


def parse_selector(description: str) -> Selector | None:
    """The :class:`Selector` a ``Selector.describe()`` text names (``text="设置" nth=1``), else None."""
    found: dict[str, str | int] = {}
    pos = 0
    text = description.strip()
    while pos < len(text):
        match = _SELECTOR_TOKEN.match(text, pos)
        if match is None:
            return None
        name, value, nth = match.groups()
        if nth is not None:
            found["nth"] = min(int(nth), 10_000)
        else:
            try:
                decoded = json.loads(value)
            except ValueError:
                return None
            if not isinstance(decoded, str):
                return None
            found[_SELECTOR_FIELDS[name]] = decoded
        pos = match.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    if not any(k != "nth" for k in found):
        return None
    return Selector(**found)  # type: ignore[arg-type]


def selector_label(description: str) -> str:
    """What a person would call the target of a selector: its text or content-desc, else the selector."""
    selector = parse_selector(description)
    if selector is None:
        return description
    return selector.text or selector.content_desc or description


def tapped_node(h: Hierarchy, highlight: str) -> Node | None:
    """The node ``highlight`` names: a selector description, or a label equal to a text or content-desc."""
    selector = parse_selector(highlight)
    if selector is not None:
        return selector.find(h)
    label = highlight.strip()
    if not label:
        return None
    return Selector(text=label).find(h) or Selector(content_desc=label).find(h)


def wireframe_figure(dump_xml: bytes | str, *, highlight: str | None = None, fig_id: str, title: str) -> Figure | None:
    """The dump as a wireframe ``WIDTH`` px wide; None when it is not a usable uiautomator dump."""
    try:
        h = parse_dump(dump_xml)
    except (DumpError, ValueError, UnicodeError, RecursionError, MemoryError):
        return None
    x0, y0, x1, y1 = h.screen
    if x1 - x0 <= 0 or y1 - y0 <= 0:
        return None
    scale = WIDTH / (x1 - x0)
    height = max(1, round((y1 - y0) * scale))
    tapped = tapped_node(h, highlight) if highlight else None
    nodes, skipped = _drawn_nodes(h, tapped)
    shapes: list[Shape] = [shape("rect", x=0, y=0, width=WIDTH, height=height, rx=6, class_="wf-screen")]
    clickable = 0
    for node, window_root in nodes:
        box = _box(node, h.screen, scale)
        if box is None:
            continue
        clickable += node.clickable
        shapes += _node_shapes(node, box, node is tapped, window_root)
    return Figure(
        id=fig_id,
        title=title,
        description=_description(len(nodes), clickable, tapped, highlight, h),
        width=WIDTH,
        height=height,
        shapes=tuple(shapes),
        legend=_legend(tapped is not None),
        caption=_caption(skipped, h, tapped, highlight),
        css="fig-wireframe",
    )


def _drawn_nodes(h: Hierarchy, tapped: Node | None) -> tuple[list[tuple[Node, bool]], int]:
    """The nodes worth a box, in document order (parents under children), capped; and how many were cut.

    A node adds nothing when it has no label, is not clickable and has exactly its parent's bounds (the
    nested full-screen layouts every app has): it is skipped, not counted as cut.
    """
    roots = set(map(id, h.windows))
    worth: list[tuple[Node, bool]] = []
    for node in h.nodes():
        if node.area <= 0:
            continue
        parent = h.parent(node)
        redundant = parent is not None and parent.bounds == node.bounds and not node.label and not node.clickable
        if redundant and node is not tapped:
            continue
        worth.append((node, id(node) in roots))
    if len(worth) <= MAX_SHAPES_NODES:
        return worth, 0
    kept = worth[:MAX_SHAPES_NODES]
    if tapped is not None and all(n is not tapped for n, _ in kept):
        kept = [*kept[:-1], next(item for item in worth if item[0] is tapped)]
    return kept, len(worth) - len(kept)


def _box(node: Node, screen: tuple[int, int, int, int], scale: float) -> tuple[float, float, float, float] | None:
    """The node's bounds clipped to the screen and scaled: (x, y, width, height); None when off-screen."""
    sx1, sy1, sx2, sy2 = screen
    x1, y1, x2, y2 = node.bounds
    x1, y1, x2, y2 = max(x1, sx1), max(y1, sy1), min(x2, sx2), min(y2, sy2)
    if x2 <= x1 or y2 <= y1:
        return None
    return (x1 - sx1) * scale, (y1 - sy1) * scale, (x2 - x1) * scale, (y2 - y1) * scale


def _node_shapes(node: Node, box: tuple[float, float, float, float], is_tapped: bool, window_root: bool) -> list[Shape]:
    x, y, w, h = box
    css = ["wf-node"]
    if window_root and node.window > 0:
        css.append("wf-window")  # a dialog or popup window over the app
    if node.clickable:
        css.append("wf-click")
    if is_tapped:
        css.append("wf-tapped")
    label = (node.text or "").strip() or (node.content_desc or "").strip()
    kind = node.cls.rsplit(".", 1)[-1]
    hover = f"{kind}: {_clip(label, TITLE_CHARS)}" if label else kind
    attrs: dict[str, str | float] = {"x": x, "y": y, "width": w, "height": h, "class_": " ".join(css)}
    if is_tapped:
        attrs["data_mark"] = "tapped"
    out = [shape("rect", title=hover, **attrs)]
    if label and h >= MIN_LABEL_HEIGHT and w >= FONT_PX:
        shown = _fit(label, w - 3)
        if shown:
            out.append(
                shape(
                    "text",
                    text=shown,
                    title=_clip(label, TITLE_CHARS),
                    x=x + 1.5,
                    y=y + min(h / 2, FONT_PX),
                    dominant_baseline="central",
                    class_="wf-label wf-label-tapped" if is_tapped else "wf-label",
                )
            )
    return out


def _char_width(ch: str) -> float:
    return FONT_PX if unicodedata.east_asian_width(ch) in ("W", "F") else FONT_PX * 0.55


def _fit(label: str, room: float) -> str:
    """As much of the first line of ``label`` as fits in ``room`` px (and LABEL_CHARS), "…" when cut."""
    line = " ".join(label.split())
    shown, used = "", 0.0
    for ch in line[:LABEL_CHARS]:
        used += _char_width(ch)
        if used > room:
            break
        shown += ch
    if len(shown) < len(line):
        shown = shown[:-1] + "…" if len(shown) > 1 else ""
    return shown


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend(with_tapped: bool) -> tuple[LegendEntry, ...]:
    entries = [LegendEntry(tr("clickable element"), "wf-click")]
    if with_tapped:
        entries.append(LegendEntry(tr("tapped at this step"), "wf-tapped"))
    return tuple(entries)


def _description(drawn: int, clickable: int, tapped: Node | None, highlight: str | None, h: Hierarchy) -> str:
    text = tr(
        "Wireframe drawn from the screen's UI dump: {drawn} elements, {clickable} of them clickable.",
        drawn=drawn,
        clickable=clickable,
    )
    if tapped is not None:
        text += " " + tr("The tapped element, “{label}”, is outlined.", label=_clip(tapped.label or "?", 60))
    elif highlight:
        text += " " + tr("The tapped element ({target}) is not in this dump.", target=_clip(highlight, 80))
    return text


def _caption(skipped: int, h: Hierarchy, tapped: Node | None, highlight: str | None) -> str:
    notes = []
    if skipped:
        notes.append(tr("{count} more elements not drawn", count=skipped))
    if h.truncated:
        notes.append(tr("the dump was cut at {count} nodes", count=h.node_count))
    if highlight and tapped is None:
        notes.append(tr("tapped element not found in the dump"))
    return "; ".join(notes)
