"""The policy lexicons (``appaudit/data/policy_lexicon.yaml``) as compiled matchers.

Term lists become one alternation each, longest term first, so a search finds the leftmost-longest
term in linear time; ASCII-only terms are held to word boundaries. Every list is validated on load
(PI types against the taxonomy, SDK ids against the SDK database, regexes compiled) and a problem is
a :class:`~appaudit.errors.DataFileError` naming the list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from appaudit.errors import DataFileError
from appaudit.knowledge.loader import read_packaged_yaml
from appaudit.knowledge.pi_types import load_pi_taxonomy

DATA_FILE = "policy_lexicon.yaml"
RIGHT_KINDS = ("withdraw", "correct", "delete", "cancel_account", "targeting_opt_out", "complaint")
# Statements the reviewer of an assisted or manual item needs quoted (not rights; found by rights.py).
DISCLOSURE_KINDS = ("improvement_purpose", "backend_sharing", "rights_condition")
COLUMN_ROLES = ("pi", "purpose", "function", "vendor", "name", "link")  # precedence order
_ASCII_TERM = re.compile(r"^[A-Za-z0-9 _\-]+$")


class TermSet:
    """A list of phrases matched case-insensitively, leftmost-longest, ASCII terms on word boundaries."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms: tuple[str, ...] = tuple(dict.fromkeys(t.strip() for t in terms if t and t.strip()))
        parts = []
        for term in sorted(self.terms, key=len, reverse=True):
            body = r"\s*".join(re.escape(word) for word in term.split())
            parts.append(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])" if _ASCII_TERM.match(term) else body)
        self._regex = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self._regex.finditer(text) if self._regex else iter(())

    def search(self, text: str) -> re.Match[str] | None:
        return self._regex.search(text) if self._regex else None

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self.search(text) is not None


class PatternSet:
    """A list of regular expressions; ``search`` finds the earliest match of any of them."""

    def __init__(self, patterns: Iterable[str], source: str, label: str) -> None:
        self.patterns: tuple[str, ...] = tuple(patterns)
        try:
            self._compiled = tuple(re.compile(p, re.IGNORECASE) for p in self.patterns)
        except re.error as exc:
            raise DataFileError(f"{source}: '{label}' has an invalid regex: {exc}") from exc

    def search(self, text: str) -> re.Match[str] | None:
        found = [m for m in (c.search(text) for c in self._compiled) if m]
        return min(found, key=lambda m: m.start()) if found else None

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and any(c.search(text) for c in self._compiled)


@dataclass(frozen=True)
class PiTermTable:
    """PI phrases and the taxonomy ids each maps to."""

    terms: TermSet
    types_of: Mapping[str, tuple[str, ...]]  # lower-cased, space-free term -> PI type ids

    def pi_types(self, matched: str) -> tuple[str, ...]:
        return self.types_of.get(_term_key(matched), ())


@dataclass(frozen=True)
class PolicyLexicon:
    policy_titles: TermSet
    agreement_titles: TermSet
    pi_words: TermSet
    collection_words: TermSet
    collection_sections: TermSet
    sdk_sections: TermSet
    contact_sections: TermSet
    rights_sections: TermSet
    collection_verbs: TermSet
    negations: PatternSet
    purposes: PatternSet
    offer_markers: PatternSet
    rights: Mapping[str, PatternSet]
    disclosures: Mapping[str, tuple[PatternSet, PatternSet]]  # kind -> (statement, required context)
    contact_words: TermSet
    address_labels: TermSet
    response_words: TermSet
    retention_words: TermSet
    complaint_context: TermSet
    request_context: TermSet
    pi_terms: PiTermTable
    table_columns: Mapping[str, TermSet]
    sdk_aliases: Mapping[str, tuple[str, ...]]
    jargon: TermSet
    simplified_chars: frozenset[str]
    traditional_chars: frozenset[str]


def _term_key(term: str) -> str:
    return "".join(term.split()).lower()


def _described(source: str, doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    if not isinstance(value, dict) or not value.get("description") or not value.get("source"):
        raise DataFileError(f"{source}: '{key}' must be a mapping with a description and a source")
    return value


def _strings(source: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DataFileError(f"{source}: '{key}' must be a list of non-empty strings")
    return value


@functools.cache
def load_policy_lexicon() -> PolicyLexicon:
    """The packaged lexicon, validated and compiled once."""
    source, doc = read_packaged_yaml(DATA_FILE)
    return build_policy_lexicon(source, doc)


def build_policy_lexicon(source: str, doc: Mapping[str, Any], sdk_ids: Iterable[str] | None = None) -> PolicyLexicon:
    """Validate a lexicon document; ``sdk_ids`` (default: the packaged SDK database) bounds ``sdk_aliases``."""

    def terms(key: str, field: str = "terms") -> TermSet:
        return TermSet(_strings(source, f"{key}.{field}", _described(source, doc, key).get(field)))

    def patterns(key: str) -> PatternSet:
        return PatternSet(
            _strings(source, f"{key}.patterns", _described(source, doc, key).get("patterns")), source, key
        )

    rights_doc = _described(source, doc, "rights_patterns")
    rights = {kind: PatternSet(_strings(source, kind, rights_doc.get(kind)), source, kind) for kind in RIGHT_KINDS}
    disclosure_doc = _described(source, doc, "disclosure_patterns")
    disclosures = {
        kind: (
            PatternSet(_strings(source, kind, disclosure_doc.get(kind)), source, kind),
            PatternSet(_strings(source, f"{kind}_context", disclosure_doc.get(f"{kind}_context")), source, kind),
        )
        for kind in DISCLOSURE_KINDS
    }
    columns_doc = _described(source, doc, "table_columns")
    columns = {role: TermSet(_strings(source, role, columns_doc.get(role))) for role in COLUMN_ROLES}
    chars = {
        key: frozenset(str(_described(source, doc, key).get("chars", "")))
        for key in ("simplified_chars", "traditional_chars")
    }
    return PolicyLexicon(
        policy_titles=terms("policy_title_terms"),
        agreement_titles=terms("agreement_title_terms"),
        pi_words=terms("policy_body_terms", "personal_information"),
        collection_words=terms("policy_body_terms", "collection"),
        collection_sections=terms("collection_section_terms"),
        sdk_sections=terms("sdk_section_terms"),
        contact_sections=terms("contact_section_terms"),
        rights_sections=terms("rights_section_terms"),
        collection_verbs=terms("collection_verbs"),
        negations=patterns("negation_patterns"),
        purposes=patterns("purpose_patterns"),
        offer_markers=patterns("offer_markers"),
        rights=rights,
        disclosures=disclosures,
        contact_words=terms("contact_words"),
        address_labels=terms("address_labels"),
        response_words=terms("response_words"),
        retention_words=terms("retention_words"),
        complaint_context=terms("complaint_context_words"),
        request_context=terms("request_context_words"),
        pi_terms=_pi_terms(source, _described(source, doc, "pi_terms")),
        table_columns=columns,
        sdk_aliases=_sdk_aliases(source, _described(source, doc, "sdk_aliases"), sdk_ids),
        jargon=terms("jargon_terms"),
        simplified_chars=chars["simplified_chars"],
        traditional_chars=chars["traditional_chars"],
    )


def _pi_terms(source: str, section: Mapping[str, Any]) -> PiTermTable:
    taxonomy = load_pi_taxonomy()
    types_of: dict[str, tuple[str, ...]] = {}
    for index, entry in enumerate(section.get("entries") or ()):
        if not isinstance(entry, dict):
            raise DataFileError(f"{source}: pi_terms entry #{index} must be a mapping")
        words = _strings(source, f"pi_terms #{index} terms", entry.get("terms"))
        pi_types = tuple(_strings(source, f"pi_terms #{index} pi_types", entry.get("pi_types")))
        unknown = [t for t in pi_types if t not in taxonomy]
        if unknown:
            raise DataFileError(f"{source}: pi_terms entry #{index} has unknown PI type(s) {', '.join(unknown)}")
        for word in words:
            key = _term_key(word)
            if key in types_of and types_of[key] != pi_types:
                raise DataFileError(f"{source}: pi_terms: {word!r} is mapped twice")
            types_of[key] = pi_types
    return PiTermTable(TermSet(w for e in section["entries"] for w in e["terms"]), types_of)


def _sdk_aliases(source: str, section: Mapping[str, Any], sdk_ids: Iterable[str] | None) -> dict[str, tuple[str, ...]]:
    if sdk_ids is None:
        from appaudit.knowledge.sdk_db import load_sdk_database  # the database is large; load it on demand

        sdk_ids = (e.id for e in load_sdk_database().entries)
    valid = set(sdk_ids)
    entries = section.get("entries")
    if not isinstance(entries, dict):
        raise DataFileError(f"{source}: sdk_aliases.entries must map SDK ids to alias lists")
    unknown = sorted(set(entries) - valid)
    if unknown:
        raise DataFileError(f"{source}: sdk_aliases names unknown SDK id(s) {', '.join(unknown)}")
    return {sdk_id: tuple(_strings(source, f"sdk_aliases.{sdk_id}", names)) for sdk_id, names in entries.items()}
