"""What a document is: its language and whether it reads as a privacy policy.

Language: Chinese when CJK characters are at least a quarter of the letters; then zh-Hant when more
characters come from the lexicon's traditional-only table than from its simplified-only table (个/個,
们/們, 护/護, 隐/隱, 权/權, 资讯/資訊 ...), else zh-Hans. A Latin-script document is "en" (other Latin
languages are not told apart: the Determination Rules only care whether Simplified Chinese is offered).

Privacy policy: a stub (under :data:`STUB_MAX_CHARS` characters, "请访问 https://… 查看隐私政策") is
not; a document titled only as a user agreement is not; otherwise it is one when its body names
personal information (the PI word, or distinct PI types such as 手机号码 or IP address) at least
:data:`MIN_PI_MENTIONS` times and uses a collection word, and either its title or early headings name a
privacy policy or a heading introduces the collection rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from appaudit.policy.lexicon import PolicyLexicon

STUB_MAX_CHARS = 300
MIN_PI_MENTIONS = 3
TITLE_HEADINGS = 3  # a policy title may be the first few headings rather than <title>
LANGUAGE_SAMPLE_CHARS = 200_000  # enough to decide; bounds the work on huge documents


def detect_language(text: str, lexicon: PolicyLexicon) -> str | None:
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    cjk = sum(1 for ch in sample if "\u3400" <= ch <= "\u9fff")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    if cjk == 0 and latin == 0:
        return None
    if cjk * 4 >= latin or cjk >= 200:
        simplified = sum(1 for ch in sample if ch in lexicon.simplified_chars)
        traditional = sum(1 for ch in sample if ch in lexicon.traditional_chars)
        return "zh-Hant" if traditional > simplified else "zh-Hans"
    return "en"


def is_privacy_policy(
    title: str | None, headings: Sequence[str], body: str, lexicon: PolicyLexicon
) -> tuple[bool, str]:
    """The decision and a short reason for the notes."""
    if len(body) < STUB_MAX_CHARS:
        return False, f"only {len(body)} characters: a stub or link page, not the policy itself"
    titles = [t for t in (title, *headings[:TITLE_HEADINGS]) if t]
    named_policy = any(t in lexicon.policy_titles for t in titles)
    named_agreement = any(t in lexicon.agreement_titles for t in titles)
    if named_agreement and not named_policy:
        return False, "titled as a user or service agreement, not a privacy policy"
    pi_mentions = sum(1 for _ in lexicon.pi_words.finditer(body)) + len(
        {m.group().lower() for m in lexicon.pi_terms.terms.finditer(body[:LANGUAGE_SAMPLE_CHARS])}
    )
    collects = lexicon.collection_words.search(body) is not None
    if pi_mentions < MIN_PI_MENTIONS or not collects:
        return False, "the text does not talk about collecting personal information"
    if named_policy:
        return True, "titled as a privacy policy and about collecting personal information"
    if any(h in lexicon.collection_sections for h in headings):
        return True, "has a section on collecting and using personal information"
    return False, "not titled as a privacy policy and has no section on collecting personal information"
