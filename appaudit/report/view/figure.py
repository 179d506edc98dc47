"""The view model of an inline SVG figure: shapes the template prints as SVG elements, escaped.

A figure is data, not markup. The element names and attribute names come from closed sets checked
here, so a value taken from the evidence (a host, a label) can only ever land in an escaped
attribute value or an escaped text node — never in a tag or an attribute name.
"""

from __future__ import annotations

from dataclasses import dataclass

# The SVG elements a figure may contain, and the attributes each may carry.
ELEMENTS = frozenset({"line", "rect", "circle", "text", "path", "polygon", "g"})
ATTRIBUTES = frozenset(
    {
        "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "width", "height", "d", "points",
        "class", "text-anchor", "dominant-baseline", "transform", "stroke-dasharray", "data-mark",
        "data-run", "data-party", "data-pi", "data-phase", "data-edge", "data-node",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Shape:
    """One SVG element. ``text`` is the content of a <text>; ``title`` becomes a hover tooltip (<title>)."""

    element: str
    attrs: tuple[tuple[str, str], ...]
    text: str = ""
    title: str = ""

    def __post_init__(self) -> None:
        if self.element not in ELEMENTS:
            raise ValueError(f"SVG element {self.element!r} is not allowed in a figure")
        for name, _ in self.attrs:
            if name not in ATTRIBUTES:
                raise ValueError(f"SVG attribute {name!r} is not allowed in a figure")

    def attr(self, name: str) -> str | None:
        return next((v for k, v in self.attrs if k == name), None)


@dataclass(frozen=True)
class LegendEntry:
    label: str
    css: str  # the class of the swatch: "mk-pi", "mk-consent", ...


@dataclass(frozen=True)
class Figure:
    """An inline SVG: ``title`` and ``description`` are its accessible name and long description."""

    id: str  # unique in the page: "timeline-agree-1", "dataflow"
    title: str
    description: str  # says in words what the picture shows, for screen readers and for paper
    width: int
    height: int
    shapes: tuple[Shape, ...]
    legend: tuple[LegendEntry, ...] = ()
    caption: str = ""  # shown under the figure
    css: str = ""  # "fig-timeline" | "fig-dataflow" | "fig-wireframe"

    def marks(self, mark: str) -> tuple[Shape, ...]:
        """The shapes tagged ``data-mark=mark`` (tests and the template's summaries count them)."""
        return tuple(s for s in self.shapes if s.attr("data-mark") == mark)


def shape(element: str, text: str = "", title: str = "", **attrs: str | int | float) -> Shape:
    """Build a shape; names use ``_`` for ``-`` (``text_anchor`` → ``text-anchor``; ``class_`` → ``class``)."""
    pairs = tuple((k.rstrip("_").replace("_", "-"), _fmt(v)) for k, v in attrs.items())
    return Shape(element, pairs, text, title)


def _fmt(value: str | int | float) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)
