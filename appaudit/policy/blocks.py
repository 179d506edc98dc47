"""The block model both readers (HTML and plain text) produce: headings, paragraphs, list items, table rows.

A block is one line of the document's plain text; :mod:`appaudit.policy.parse` joins blocks with
newlines and splits them into sentences. Also the text clean-up and the heading-number rules that both
readers share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING, PARA, ITEM, ROW = "heading", "para", "item", "row"
MAX_HEADING_CHARS = 40  # a longer line is a paragraph even when numbered or bold

_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}{_CJK_PUNCT}])\s+(?=[{_CJK}{_CJK_PUNCT}])")
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TERMINAL = "。！？；;：:，,.!?"

_CN_NUM = "一二三四五六七八九十百零〇两"
# (pattern, level): how deep a numbered heading sits. Chinese policies number 一、 > （一） > 1. > (1).
_NUMBERING = (
    (re.compile(rf"^第[{_CN_NUM}\d]+[章部]"), 2),
    (re.compile(rf"^第[{_CN_NUM}\d]+[节条]"), 3),
    (re.compile(rf"^[{_CN_NUM}]+\s*[、.．]"), 2),
    (re.compile(rf"^[（(]\s*[{_CN_NUM}]+\s*[）)]"), 3),
    (re.compile(r"^\d{1,2}\.\d{1,2}(?:\.\d{1,2})?[.、．]?\s*(?=\D)"), 5),
    (re.compile(r"^\d{1,2}\s*[.、．](?!\d)"), 4),
    (re.compile(r"^(?:[IVX]{1,4})\.\s"), 2),
    (re.compile(r"^[（(]\s*\d{1,2}\s*[）)]"), 5),
    (re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩]"), 5),
)
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+")
LIST_MARKER = re.compile(
    r"^(?:[•·●▪◦\-*–]\s+|[①-⑩]|[（(]\s*(?:\d{1,2}|[a-z])\s*[）)]|\d{1,2}\s*[.、．)](?!\d)|[a-z][.)]\s)"
)


@dataclass
class Block:
    """One unit of the document: its kind, its cleaned text, and for rows the cells."""

    kind: str
    text: str
    level: int = 0  # heading level, 1 (title) to 6
    cells: tuple[str, ...] = ()
    table: int | None = None  # index of the table a row belongs to
    header: bool = False  # a header row of its table


def clean(text: str) -> str:
    """Collapse whitespace, drop invisible and control characters, join CJK split by line breaks."""
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text.replace("\u00a0", " ").replace("\u3000", " ")))
    return _SPACE_BETWEEN_CJK.sub("", _SPACES.sub(" ", text)).strip()


def is_cjk(char: str) -> bool:
    return bool(char) and ("\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\u3000" <= char <= "\u303f"
                           or "\uff00" <= char <= "\uffef")  # fmt: skip


def numbered_level(text: str) -> int | None:
    """The heading level its numbering implies ("一、" → 2, "（一）" → 3, "1." → 4), None if unnumbered."""
    marker = _MARKDOWN_HEADING.match(text)
    if marker:
        return len(marker.group(1))
    for pattern, level in _NUMBERING:
        if pattern.match(text):
            return level
    return None


def heading_level(text: str, *, emphasised: bool = False, standalone: bool = False) -> int | None:
    """The level of ``text`` read as a heading, or None when it reads as a sentence.

    A heading is short and does not end like a sentence. A numbered line is a heading; an unnumbered
    one only when emphasised (bold) or standing alone between blank lines (plain text).
    """
    if not text or len(text) > MAX_HEADING_CHARS or text[-1] in _TERMINAL:
        return None
    level = numbered_level(text)
    if level is not None:
        return level
    if emphasised or (standalone and not any(p in text for p in "。，,；;：:")):
        return 2
    return None
