"""Readability signals of a policy's prose, for item II.4 (rules that are obscure, vague or lengthy).

Measured on prose sentences only (headings and table rows excluded). Signals, not a verdict: the
check and the auditor decide. Thresholds are appaudit's heuristics, stated here so a report can quote
them: a Chinese sentence over :data:`LONG_SENTENCE_CHARS_ZH` characters (about three times the length
of an ordinary sentence in Chinese expository prose) or an English one over
:data:`LONG_SENTENCE_CHARS_EN` characters (about 40 words) is long; a policy with more than
:data:`LONG_SHARE_LIMIT` of its sentences long, or more than :data:`JARGON_PER_1000_LIMIT` jargon
terms per 1,000 characters, reads as hard.
"""

from __future__ import annotations

from dataclasses import dataclass

from appaudit.policy.lexicon import PolicyLexicon
from appaudit.policy.view import PolicyView

LONG_SENTENCE_CHARS_ZH = 100
LONG_SENTENCE_CHARS_EN = 250
LONG_SHARE_LIMIT = 0.25
JARGON_PER_1000_LIMIT = 8.0


@dataclass(frozen=True)
class Readability:
    document: str  # document id
    chars: int  # characters of the whole plain text
    sentences: int  # prose sentences measured
    mean_sentence_chars: float
    max_sentence_chars: int
    long_sentence_threshold: int
    long_sentence_share: float  # 0..1
    jargon_per_1000_chars: float

    @property
    def hard_to_read(self) -> bool:
        return self.long_sentence_share > LONG_SHARE_LIMIT or self.jargon_per_1000_chars > JARGON_PER_1000_LIMIT

    def summary(self) -> str:
        return (
            f"readability {self.document}: {self.chars:,} characters, {self.sentences} prose sentences, "
            f"mean {self.mean_sentence_chars:.1f} / max {self.max_sentence_chars} characters per sentence, "
            f"{self.long_sentence_share:.0%} over {self.long_sentence_threshold}, "
            f"{self.jargon_per_1000_chars:.1f} jargon terms per 1,000 characters"
            + (" (hard to read)" if self.hard_to_read else "")
        )


def measure_readability(view: PolicyView, lexicon: PolicyLexicon) -> Readability:
    text = view.parsed.text
    prose = [s.sentence.text for s in view.sentences if not s.heading and s.table is None]
    lengths = [len(s) for s in prose]
    threshold = LONG_SENTENCE_CHARS_EN if text.language == "en" else LONG_SENTENCE_CHARS_ZH
    prose_chars = sum(lengths)
    jargon = sum(1 for sentence in prose for _ in lexicon.jargon.finditer(sentence))
    return Readability(
        document=text.id,
        chars=text.chars,
        sentences=len(prose),
        mean_sentence_chars=prose_chars / len(prose) if prose else 0.0,
        max_sentence_chars=max(lengths, default=0),
        long_sentence_threshold=threshold,
        long_sentence_share=sum(1 for n in lengths if n > threshold) / len(prose) if prose else 0.0,
        jargon_per_1000_chars=jargon * 1000 / prose_chars if prose_chars else 0.0,
    )
