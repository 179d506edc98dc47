"""Make invisible and direction-changing characters visible before they reach the page.

A string from the app can carry bidi controls (U+202E RIGHT-TO-LEFT OVERRIDE reverses everything
after it, even text appaudit wrote itself), zero-width characters that hide a difference between
two look-alike names, or terminal control bytes. Escaping stops markup, not these. The report shows
each such character as a visible ``⟨U+202E⟩`` token instead: the reader sees the text as it is, and
that someone put the character there.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings, overrides and isolates, the implicit marks, and the Arabic letter mark.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Other characters that show nothing: zero-width space/joiners used to disguise, word joiner, BOM,
# soft hyphen, and the C0/C1 controls except tab and newline.
_INVISIBLE = "\u200b\u2060\ufeff\u00ad\u180e"
_CONTROLS = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)))
_PATTERN = re.compile(f"[{re.escape(_BIDI + _INVISIBLE + _CONTROLS)}]")


def _token(match: re.Match[str]) -> str:
    ch = match.group()
    return f"⟨U+{ord(ch):04X}⟩"


def visible(text: str) -> str:
    """``text`` with bidi controls, invisible characters and control bytes shown as ``⟨U+XXXX⟩``."""
    if not _PATTERN.search(text):
        return text
    return _PATTERN.sub(_token, text)


def is_hidden_character(ch: str) -> bool:
    """Whether ``visible`` rewrites ``ch`` (for tests and callers that count them)."""
    return bool(_PATTERN.fullmatch(ch)) or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r")
