"""Plain text (and text extracted from PDFs) to blocks.

PDF-like text breaks lines mid-sentence and repeats page headers and footers ("第 3 页", "- 3 -",
"Page 3 of 9", the app name on every page). Lines are joined back into paragraphs unless the line
before ends a sentence or the line starts a new unit (a heading, a list item, a "字段：" label); page
furniture is dropped; numbered or standalone short lines are headings.
"""

from __future__ import annotations

import re
from collections import Counter

from appaudit.policy.blocks import HEADING, ITEM, LIST_MARKER, PARA, Block, clean, heading_level, is_cjk

_PAGE_FURNITURE = re.compile(
    r"^\s*(?:第\s*\d+\s*页(?:\s*[/／,，]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页\s*第\s*\d+\s*页|[-—–]?\s*\d{1,4}\s*[-—–]?"
    r"|page\s+\d+(?:\s+of\s+\d+)?|\d{1,4}\s*/\s*\d{1,4})\s*$",
    re.IGNORECASE,
)
_LABEL_START = re.compile(r"^[^\s：:，。]{1,12}[：:]")
_SENTENCE_END = "。！？；：!?;:"
REPEATED_LINE_MIN = 3  # a short line repeated this often next to page numbers is a running header
REPEATED_LINE_MAX_CHARS = 40


def read_text(text: str) -> list[Block]:
    """Blocks of a plain-text document."""
    lines = [line.rstrip() for line in text.splitlines()]
    # A running header or footer repeats on every page, next to the page number.
    furniture = [i for i, line in enumerate(lines) if line.strip() and _PAGE_FURNITURE.match(line)]
    near = {j for i in furniture for j in range(i - 2, i + 3)}
    counts = Counter(
        s for i, s in enumerate(line.strip() for line in lines) if i in near and 0 < len(s) <= REPEATED_LINE_MAX_CHARS
    )
    repeated = {s for s, n in counts.items() if n >= REPEATED_LINE_MIN and heading_level(s) is None}
    seen: set[str] = set()
    blocks: list[Block] = []
    para: list[str] = []
    kind = PARA

    def flush() -> None:
        nonlocal para, kind
        text = clean(_join(para))
        if text:
            blocks.append(Block(kind, text))
        para, kind = [], PARA

    for index, raw in enumerate(lines):
        line = clean(raw)
        if not line or _PAGE_FURNITURE.match(line):
            if not line:
                flush()
            continue
        if line in repeated:
            if line in seen:
                continue  # a running header: keep its first occurrence only
            seen.add(line)
        before_blank = index == 0 or not lines[index - 1].strip()
        after_blank = index + 1 >= len(lines) or not lines[index + 1].strip()
        level = heading_level(line, standalone=before_blank and after_blank)
        if level is not None and not (para and not before_blank and level >= 4 and not _ends_sentence(para[-1])):
            flush()
            blocks.append(Block(HEADING, line, level=1 if not blocks else level))
            continue
        starts_unit = bool(LIST_MARKER.match(line) or _LABEL_START.match(line))
        if para and (starts_unit or _ends_sentence(para[-1])):
            flush()
        if not para and LIST_MARKER.match(line):
            kind = ITEM
        para.append(line)
    flush()
    return blocks


def _ends_sentence(line: str) -> bool:
    return bool(line) and line[-1] in _SENTENCE_END


def _join(lines: list[str]) -> str:
    """Join hard-wrapped lines: no space between CJK characters, one space otherwise."""
    text = ""
    for line in lines:
        if text and not (is_cjk(text[-1]) or is_cjk(line[0])):
            text += " "
        text += line
    return text
