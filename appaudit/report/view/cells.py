"""Shared helpers that turn evidence values into cells: sizes, clipped text, capped lists, yes/no.

Nothing here hides a cut silently: clipped text says how much is missing and capped lists say
how many items were left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from appaudit.report.view.model import Badge, Cell

MAX_CELL_ITEMS = 8
MAX_TEXT_CHARS = 400

NA = "not collected"


def human_size(size: int) -> str:
    units = ("bytes", "KiB", "MiB", "GiB")
    value = float(size)
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{size:,} bytes"
    return f"{value:.1f} {units[unit]} ({size:,} bytes)"


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, str]:
    """Shorten long untrusted text for display; return (shown, full-or-empty). Never silent."""
    if len(text) <= limit:
        return text, ""
    return f"{text[:limit]}… [{len(text) - limit:,} more characters]", text


def capped(values: Sequence[str], limit: int = MAX_CELL_ITEMS) -> tuple[tuple[str, ...], str]:
    """The first ``limit`` values, and "+ N more" when some were left out ("" otherwise)."""
    shown = tuple(values[:limit])
    rest = len(values) - len(shown)
    return shown, (f"+ {rest:,} more" if rest else "")


def na(text: str = NA) -> Cell:
    """A quiet cell for a value that is absent, not collected or not applicable."""
    return Cell(text=text, css="na")


def yes_no(value: bool | None, *, yes_css: str = "b-warn", no_css: str = "b-muted", unset: str) -> Cell:
    """A yes/no badge, or the ``unset`` text when the value was not declared."""
    if value is None:
        return na(unset)
    return Cell(badge=Badge("yes", yes_css) if value else Badge("no", no_css))


def list_cell(values: Sequence[str], none: str = "none") -> Cell:
    """Sorted values, one per line, capped at 20; ``none`` when there are none."""
    if not values:
        return na(none)
    shown, more = capped(sorted(values), 20)
    return Cell(items=shown, more=more, mono=True)
