"""A parsed policy as the extractors read it: sentences with their section path, kind and table role."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from appaudit.evidence.policy_text import PolicySentence
from appaudit.policy.lexicon import COLUMN_ROLES, PolicyLexicon
from appaudit.policy.parse import ParsedPolicy, PolicyTable

SDK_TABLE, PI_TABLE = "sdk", "pi"


@dataclass(frozen=True)
class TableView:
    table: PolicyTable
    columns: dict[str, int]  # role -> column index (first column of that role)
    kind: str | None  # SDK_TABLE | PI_TABLE | None

    def cell(self, row: tuple[str, ...], role: str) -> str:
        column = self.columns.get(role)
        return row[column].strip() if column is not None and column < len(row) else ""


@dataclass(frozen=True)
class SentenceView:
    sentence: PolicySentence
    path: tuple[str, ...]  # headings it sits under, outermost first
    heading: bool  # the sentence is a heading (or the header row of a table)
    table: TableView | None = None  # set for table rows
    row: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def id(self) -> str:
        return self.sentence.id


def column_roles(headers: tuple[str, ...], lexicon: PolicyLexicon) -> dict[str, int]:
    roles: dict[str, int] = {}
    for index, header in enumerate(headers):
        role = next((r for r in COLUMN_ROLES if header and header in lexicon.table_columns[r]), None)
        if role is not None and role not in roles:
            roles[role] = index
    return roles


def table_view(table: PolicyTable, lexicon: PolicyLexicon) -> TableView:
    columns = column_roles(table.headers, lexicon)
    under_sdk_section = bool(table.section and table.section in lexicon.sdk_sections)
    name_header = table.headers[columns["name"]] if "name" in columns else ""
    if "name" in columns and ("sdk" in name_header.lower() or "vendor" in columns or under_sdk_section):
        return TableView(table, columns, SDK_TABLE)
    if "name" not in columns and "vendor" in columns and under_sdk_section:
        return TableView(table, {**columns, "name": columns["vendor"]}, SDK_TABLE)
    if "pi" in columns:
        return TableView(table, columns, PI_TABLE)
    return TableView(table, columns, None)


class PolicyView:
    """Sentences of one parsed policy, with lookups by offset."""

    def __init__(self, parsed: ParsedPolicy, lexicon: PolicyLexicon) -> None:
        self.parsed = parsed
        self.tables = tuple(table_view(t, lexicon) for t in parsed.tables)
        rows = {
            sid: (tv, row) for tv in self.tables for sid, row in zip(tv.table.row_sentences, tv.table.rows, strict=True)
        }
        headings = set(parsed.headings)
        header_rows = {t.header_sentence for t in parsed.tables if t.header_sentence}
        plain = parsed.plain_text
        views = []
        for index, sentence in enumerate(parsed.text.sentences):
            path = parsed.section_paths[index] if index < len(parsed.section_paths) else ()
            whole_line = (sentence.start == 0 or plain[sentence.start - 1] == "\n") and plain[
                sentence.end : sentence.end + 1
            ] in ("", "\n")
            table, row = rows.get(sentence.id, (None, ()))
            heading = (whole_line and sentence.text in headings) or sentence.id in header_rows
            views.append(SentenceView(sentence, path, heading, table, row))
        self.sentences: tuple[SentenceView, ...] = tuple(views)
        self._starts = [s.sentence.start for s in views]

    def at(self, offset: int) -> SentenceView | None:
        """The sentence that contains character ``offset`` of the plain text (or the one before it)."""
        index = bisect.bisect_right(self._starts, offset) - 1
        return self.sentences[index] if index >= 0 else None

    def between(self, start: int, end: int) -> list[SentenceView]:
        """The sentences that start in ``[start, end)`` of the plain text."""
        first = bisect.bisect_left(self._starts, start)
        last = bisect.bisect_left(self._starts, end)
        return list(self.sentences[first:last])

    def lines(self) -> list[tuple[int, str]]:
        """(offset, text) of every line (block) of the plain text."""
        found, offset = [], 0
        for line in self.parsed.plain_text.split("\n"):
            found.append((offset, line))
            offset += len(line) + 1
        return found
