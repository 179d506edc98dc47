"""HTML to blocks with the stdlib :class:`html.parser.HTMLParser`.

Keeps headings (h1–h6, and short bold or numbered paragraphs such as "一、我们如何收集和使用您的个人信息"),
paragraphs, list items and table rows (th/td, thead, colspan and rowspan roughly, nested markup and
nested tables flattened into the cell). Drops script, style, noscript, template, svg and similar
content entirely. The reader keeps counters, not a tag stack, so broken or deeply nested markup costs
linear time: an unclosed tag is simply never closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from appaudit.policy.blocks import HEADING, ITEM, PARA, ROW, Block, clean, heading_level

_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "select"})
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "blockquote", "pre",
        "ul", "ol", "dl", "dt", "dd", "form", "fieldset", "address", "figure", "figcaption", "center", "hr",
        "caption", "body", "html",
    }
)  # fmt: skip
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BOLD = frozenset({"b", "strong"})
_CELL_BREAK = "\n"  # a line break inside a cell, resolved when the cell closes
MAX_SPAN = 50  # colspan/rowspan above this are treated as this (hostile pages say 10000)


@dataclass
class _Table:
    index: int
    row: list[str] | None = None
    row_is_header: bool = True  # every cell so far was a th
    cell: list[str] | None = None
    cell_span: tuple[int, int] = (1, 1)
    in_thead: bool = False
    pending: dict[int, tuple[int, str]] = field(default_factory=dict)  # column -> (rows left, text) for rowspan
    rows: list[Block] = field(default_factory=list)


class HtmlBlockReader(HTMLParser):
    """Feed HTML text, then read :attr:`blocks`, :attr:`title` and :attr:`table_count`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title: str | None = None
        self.table_count = 0
        self._skip = 0
        self._skip_tag: str | None = None
        self._in_title = False
        self._title_parts: list[str] = []
        self._buf: list[str] = []
        self._chars = 0
        self._bold_chars = 0
        self._bold = 0
        self._span_bold: list[bool] = []
        self._heading: int | None = None
        self._items = 0
        self._table: _Table | None = None
        self._nested_tables = 0

    # ----------------------------------------------------------------- HTMLParser hooks

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip:
            if tag == self._skip_tag:
                self._skip += 1
            return
        if tag in _SKIPPED or (tag in ("div", "span", "p", "section") and _hidden(attrs)):
            self._skip, self._skip_tag = 1, tag
            return
        if tag == "title":
            self._in_title = True
        elif tag in _BOLD:
            self._bold += 1
        elif tag == "span":
            bold = _bold_style(attrs)
            self._span_bold.append(bold)
            self._bold += bold
        elif self._table is not None and self._table_tag(tag, attrs, start=True):
            return
        elif tag == "table":
            self._flush()
            self._table = _Table(self.table_count)
            self.table_count += 1
        elif tag in _HEADINGS:
            self._flush()
            self._heading = _HEADINGS[tag]
        elif tag == "li":
            self._flush()
            self._items += 1
        elif tag == "br" or tag in _BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr", "td", "th", "p", "div"):
            self.handle_starttag(tag, attrs)
            if tag not in ("br", "hr"):
                self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip_tag:
                self._skip -= 1
            return
        if tag == "title":
            self._in_title = False
            if self.title is None:
                self.title = clean("".join(self._title_parts)) or None
        elif tag in _BOLD:
            self._bold = max(0, self._bold - 1)
        elif tag == "span":
            if self._span_bold and self._span_bold.pop():
                self._bold = max(0, self._bold - 1)
        elif self._table is not None and self._table_tag(tag, [], start=False):
            return
        elif tag in _HEADINGS:
            self._flush()
            self._heading = None
        elif tag == "li":
            self._flush()
            self._items = max(0, self._items - 1)
        elif tag in _BLOCK_TAGS or tag == "br":
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self._title_parts.append(data)
            return
        table = self._table
        if table is not None and table.cell is not None:
            table.cell.append(data)
            return
        self._buf.append(data)
        visible = len(data.strip())
        self._chars += visible
        if self._bold:
            self._bold_chars += visible

    def close(self) -> None:
        super().close()
        if self._table is not None:
            self._end_table()
        self._flush()

    # ----------------------------------------------------------------- paragraphs

    def _flush(self) -> None:
        text = clean("".join(self._buf))
        emphasised = self._chars > 0 and self._bold_chars >= 0.9 * self._chars
        self._buf, self._chars, self._bold_chars = [], 0, 0
        if not text:
            return
        if self._heading is not None:
            self.blocks.append(Block(HEADING, text, level=self._heading))
            return
        level = heading_level(text, emphasised=emphasised)
        if level is not None and (not self._items or emphasised):
            self.blocks.append(Block(HEADING, text, level=max(level, 2)))
        else:
            self.blocks.append(Block(ITEM if self._items else PARA, text))

    # ----------------------------------------------------------------- tables

    def _table_tag(self, tag: str, attrs: list[tuple[str, str | None]], *, start: bool) -> bool:
        """Handle a tag inside a table; True when it was table structure (or nested-table content)."""
        table = self._table
        assert table is not None
        if tag == "table":
            if start:
                self._nested_tables += 1
            elif self._nested_tables:
                self._nested_tables -= 1
            else:
                self._end_table()
            return True
        if self._nested_tables:  # a table inside a cell: its cells become text of the outer cell
            if table.cell is not None and tag in ("td", "th", "tr", "br", "p", "div", "li"):
                table.cell.append(" " if tag in ("td", "th") else _CELL_BREAK)
            return True
        if tag in ("thead", "tbody", "tfoot"):
            table.in_thead = start and tag == "thead"
            return True
        if tag == "tr":
            self._end_row()
            if start:
                table.row, table.row_is_header = [], True
            return True
        if tag in ("td", "th"):
            self._end_cell()
            if start:
                if table.row is None:
                    table.row, table.row_is_header = [], True
                self._fill_pending(table)
                table.cell = []
                table.cell_span = (_span(attrs, "colspan"), _span(attrs, "rowspan"))
                table.row_is_header = table.row_is_header and tag == "th"
            return True
        if tag == "caption":
            return False
        if table.cell is not None:
            if tag in ("br", "p", "div", "li", "ul", "ol") or tag in _HEADINGS:
                table.cell.append(_CELL_BREAK)
            return True
        return tag not in ("p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li")

    def _end_cell(self) -> None:
        table = self._table
        if table is None or table.cell is None or table.row is None:
            return
        text = _cell_text(table.cell)
        colspan, rowspan = table.cell_span
        column = len(table.row)
        table.row.extend([text] + [""] * (colspan - 1))
        if rowspan > 1:
            for offset in range(colspan):
                table.pending[column + offset] = (rowspan - 1, text if offset == 0 else "")
        table.cell = None

    def _end_row(self) -> None:
        table = self._table
        if table is None:
            return
        self._end_cell()
        if table.row is None:
            return
        self._fill_pending(table, to_end=True)
        cells = tuple(table.row)
        table.row = None
        if any(cells):
            header = table.in_thead or table.row_is_header
            block = Block(ROW, " | ".join(cells).strip(" |") or cells[0], cells=cells, table=table.index, header=header)
            table.rows.append(block)
            self.blocks.append(block)

    @staticmethod
    def _fill_pending(table: _Table, *, to_end: bool = False) -> None:
        """Insert the cells that rowspans above carry into this row (at its end: every one left)."""
        row = table.row
        assert row is not None
        while table.pending and (len(row) in table.pending or (to_end and max(table.pending) >= len(row))):
            column = len(row)
            if column not in table.pending:
                row.append("")
                continue
            left, text = table.pending.pop(column)
            row.append(text)
            if left > 1:
                table.pending[column] = (left - 1, text)

    def _end_table(self) -> None:
        table = self._table
        assert table is not None
        self._end_row()
        self._table, self._nested_tables = None, 0
        # Without th or thead, a first row of short labels is the header (Chinese pages often use td).
        if table.rows and not any(r.header for r in table.rows) and len(table.rows) > 1:
            first = table.rows[0]
            if all(0 < len(c) <= 20 for c in first.cells if c) and sum(1 for c in first.cells if c) >= 2:
                first.header = True


def _cell_text(parts: list[str]) -> str:
    pieces = [clean(p) for p in "".join(parts).split(_CELL_BREAK)]
    text = ""
    for piece in (p for p in pieces if p):
        if text and text[-1] not in "，。；、,;:：/":
            text += "；"
        text += piece
    return text


def _span(attrs: list[tuple[str, str | None]], name: str) -> int:
    for key, value in attrs:
        if key == name and value:
            digits = "".join(ch for ch in value.strip()[:4] if ch.isdigit())
            return max(1, min(int(digits or 1), MAX_SPAN))
    return 1


def _bold_style(attrs: list[tuple[str, str | None]]) -> bool:
    style = next((v for k, v in attrs if k == "style" and v), "")
    compact = style.replace(" ", "").lower()
    return any(f"font-weight:{w}" in compact for w in ("bold", "700", "800", "900", "600"))


def _hidden(attrs: list[tuple[str, str | None]]) -> bool:
    if any(k == "hidden" for k, _ in attrs):
        return True
    style = next((v for k, v in attrs if k == "style" and v), "")
    return "display:none" in style.replace(" ", "").lower()


def read_html(text: str) -> HtmlBlockReader:
    """Parse ``text`` and return the reader holding its blocks and title."""
    reader = HtmlBlockReader()
    reader.feed(text)
    reader.close()
    return reader
