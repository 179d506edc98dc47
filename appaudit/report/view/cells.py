"""Shared helpers that turn evidence values into cells: sizes, clipped text, capped lists, yes/no.

Nothing here hides a cut silently: clipped text says how much is missing and capped lists say
how many items were left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from appaudit.report.i18n import current, tr
from appaudit.report.view.model import Badge, Cell

MAX_CELL_ITEMS = 8
MAX_TEXT_CHARS = 400

NA = "not collected"  # the message id: translated where it is shown


def join_list(values: Sequence[str]) -> str:
    """Values in running text: "a, b, c" in English, "a、b、c" in Chinese."""
    return ("、" if current() == "zh" else ", ").join(values)


def sentences(*parts: str) -> str:
    """Sentences joined as the language writes them: a space between English ones, none between Chinese ones.

    Empty parts are dropped. In Chinese a space is kept next to Latin text (an English note from
    the evidence), so that words do not run together.
    """
    shown = [p for p in parts if p]
    if current() != "zh":
        return " ".join(shown)
    out = ""
    for part in shown:
        if out and (out[-1].isascii() or part[0].isascii()):
            out += " "
        out += part
    return out


def human_size(size: int) -> str:
    units = ("bytes", "KiB", "MiB", "GiB")
    value = float(size)
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return tr("{size} bytes", size=f"{size:,}")
    return tr("{value} {unit} ({size} bytes)", value=f"{value:.1f}", unit=units[unit], size=f"{size:,}")


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, str]:
    """Shorten long untrusted text for display; return (shown, full-or-empty). Never silent."""
    if len(text) <= limit:
        return text, ""
    return text[:limit] + tr("… [{n} more characters]", n=f"{len(text) - limit:,}"), text


def capped(values: Sequence[str], limit: int = MAX_CELL_ITEMS) -> tuple[tuple[str, ...], str]:
    """The first ``limit`` values, and "+ N more" when some were left out ("" otherwise)."""
    shown = tuple(values[:limit])
    rest = len(values) - len(shown)
    return shown, (tr("+ {n} more", n=f"{rest:,}") if rest else "")


def na(text: str | None = None) -> Cell:
    """A quiet cell for a value that is absent, not collected or not applicable ("not collected" by default).

    ``text`` is shown as given: callers pass it already translated.
    """
    return Cell(text=tr(NA) if text is None else text, css="na")


def yes_no(value: bool | None, *, yes_css: str = "b-warn", no_css: str = "b-muted", unset: str) -> Cell:
    """A yes/no badge, or the ``unset`` text (already translated) when the value was not declared."""
    if value is None:
        return na(unset)
    return Cell(badge=Badge(tr("yes"), yes_css) if value else Badge(tr("no"), no_css))


def list_cell(values: Sequence[str], none: str | None = None) -> Cell:
    """Sorted values, one per line, capped at 20; ``none`` (already translated; "none" by default) when empty."""
    if not values:
        return na(tr("none") if none is None else none)
    shown, more = capped(sorted(values), 20)
    return Cell(items=shown, more=more, mono=True)
