"""Find the personal information a text names, as phrases mapped to PI taxonomy ids.

A phrase is a lexicon term plus the bracketed list right after it: "设备识别码(IMEI、Android ID)" is one
phrase whose types are those of 设备识别码, IMEI and Android ID together.
"""

from __future__ import annotations

from dataclasses import dataclass

from appaudit.policy.lexicon import PolicyLexicon

MAX_BRACKET_CHARS = 80
_OPEN, _CLOSE = "（(", "）)"


@dataclass(frozen=True)
class PiPhrase:
    phrase: str
    pi_types: tuple[str, ...]
    start: int
    end: int


def find_pi_phrases(text: str, lexicon: PolicyLexicon) -> list[PiPhrase]:
    table = lexicon.pi_terms
    found: list[PiPhrase] = []
    covered_until = 0
    for match in table.terms.finditer(text):
        if match.start() < covered_until:
            continue
        types = list(table.pi_types(match.group()))
        end = match.end()
        after = end
        while after < len(text) and text[after] == " ":
            after += 1
        if after < len(text) and text[after] in _OPEN:
            close = next(
                (i for i in range(after + 1, min(len(text), after + MAX_BRACKET_CHARS)) if text[i] in _CLOSE), -1
            )
            if close > 0:
                for inner in table.terms.finditer(text[after + 1 : close]):
                    types.extend(table.pi_types(inner.group()))
                end = close + 1
        covered_until = end
        found.append(PiPhrase(text[match.start() : end], tuple(dict.fromkeys(types)), match.start(), end))
    return found


def pi_types_in(text: str, lexicon: PolicyLexicon) -> tuple[str, ...]:
    """Every PI type named anywhere in ``text``, in order of first mention."""
    return tuple(dict.fromkeys(t for phrase in find_pi_phrases(text, lexicon) for t in phrase.pi_types))
