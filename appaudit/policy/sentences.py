"""Split a block's text into sentences, as (start, end) spans.

Chinese ends a sentence with 。！？ and a clause list with ；(each item of "我们会收集：a；b；c" is quotable
on its own); a closing quote or bracket stays with its sentence. English ends at . ! ? followed by a
space and a capital, a digit, an opening quote or a CJK character, or at the end of the block; "e.g.",
"i.e.", "Inc." and the like are not ends, nor is the point of a decimal or a domain name.
"""

from __future__ import annotations

import re

_END = re.compile(
    r"[。！？；]+[”’」』）)\]】\"']*"  # Chinese
    r"|(?<=[\u3400-\u9fff]);"  # an ASCII semicolon in Chinese text
    r"|[!?]+[\"'”’)\]]*(?=\s|$|[\u3400-\u9fff])"
    r"|\.+[\"'”’)\]]*(?=\s+[\"“'‘(\[]?[A-Z0-9\u3400-\u9fff]|\s*$)"
)
_ABBREVIATIONS = frozenset(
    ("e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "co", "corp", "no", "nos", "art",
     "sec", "para", "fig", "approx", "cf", "al", "st", "jr", "sr", "u.s", "u.k")
)  # fmt: skip
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text``, whitespace trimmed, in order, never empty."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        if match.group().startswith(".") and (
            _abbreviation_before(text, match.start()) or text[start : match.start()].strip().isdigit()
        ):
            continue  # "e.g.", "Inc.", or a list number ("1. 我们会…")
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _abbreviation_before(text: str, dot: int) -> bool:
    word = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if word is None:
        return False
    token = word.group(1).lower().rstrip(".")
    return token in _ABBREVIATIONS or len(token) == 1  # a single letter is an initial ("J. Smith")


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
