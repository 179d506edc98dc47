"""Tables: capping long ones, right-aligning numbers, and saying why a table is empty.

Titles, column labels, empty-table sentences and nouns reach these helpers already translated
(callers wrap them in ``tr``); only the sentences written here are translated here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from appaudit.report.i18n import tr
from appaudit.report.view.model import Availability, Column, Row, Table

DEFAULT_MAX_ROWS = 200


def empty_text(avail: Availability, none_found: str) -> tuple[str, str]:
    """The sentence shown for an empty table: 'none found' only when the step really ran."""
    if not avail.assessed:
        return avail.short, "empty-not-assessed"
    if avail.state == "partial":
        return (
            tr("{none_found} — but the step was incomplete, so this absence is inconclusive.", none_found=none_found),
            "empty-partial",
        )
    return none_found, "empty-none"


def table_columns(labels: Sequence[str], rows: Sequence[Row]) -> tuple[Column, ...]:
    """Column headers; a column whose every cell is a number is right-aligned."""
    numeric = [bool(rows) and all(r.cells[i].css == "num" for r in rows) for i in range(len(labels))]
    return tuple(Column(label, "num" if num else "") for label, num in zip(labels, numeric, strict=True))


@dataclass(frozen=True)
class TableMaker:
    """Builds a section's tables, which share its availability and the cap on rows shown."""

    avail: Availability
    max_rows: int

    def __call__(
        self,
        title: str,
        columns: tuple[str, ...],
        rows: Sequence[Row],
        none_found: str,
        *,
        noun: str | None = None,
    ) -> Table:
        """A table of at most ``max_rows`` rows, with no rows at all when nothing was assessed.

        ``title``, ``columns``, ``none_found`` and ``noun`` (what the rows are, "rows" by default) are
        shown as given: callers translate them.
        """
        avail, max_rows = self.avail, self.max_rows
        text, css = empty_text(avail, none_found)
        if not avail.assessed:
            rows = ()
        shown = tuple(rows[:max_rows])
        omitted = len(rows) - len(shown)
        omitted_text = (
            tr(
                "… and {n} more {noun} not shown here (the table is capped at {max_rows}); "
                "all of them are in evidence.json.",
                n=f"{omitted:,}",
                noun=tr("rows") if noun is None else noun,
                max_rows=f"{max_rows:,}",
            )
            if omitted
            else ""
        )
        count = f"{len(rows):,}" if avail.assessed else ""
        return Table(title, table_columns(columns, shown), shown, len(rows), text, css, omitted_text, count)
