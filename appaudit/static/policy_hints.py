"""Build :class:`PolicyHints`: signs that the app ships or links a privacy policy and asks for consent.

Sources, each read with a byte cap: bundled documents (``assets/**``, ``res/raw/**``), string resources,
layouts (``res/layout*/``), and DEX constant strings handed in by the caller. The phrase lists live in
``appaudit/data/policy_keywords.yaml``.

What counts as a consent string: text that contains a consent phrase (agree or refuse) *and* a policy
phrase; or a short button label (the consent phrase plus at most a few characters) that appears "near"
policy text, meaning in the same source — the string resources, the same layout, or the same DEX.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from appaudit.errors import ArchiveError, DataFileError
from appaudit.evidence.model import PartError, PolicyDocument, PolicyHints, TextHint
from appaudit.knowledge.loader import read_packaged_yaml

if TYPE_CHECKING:
    from appaudit.static.androguard_adapter import AndroguardAdapter, StringResource
    from appaudit.static.archive import ApkArchive

KEYWORDS_FILE = "policy_keywords.yaml"

DOCUMENT_PREFIXES = ("assets/", "res/raw/")
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024  # a policy is tens of KiB; larger text files are not policies
MAX_DOCUMENT_TOTAL_BYTES = 64 * 1024 * 1024
MAX_LAYOUT_BYTES = 1024 * 1024
MAX_LAYOUTS = 20_000
MAX_LAYOUT_TOTAL_BYTES = 64 * 1024 * 1024
MAX_LISTED_ERRORS = 20  # a hostile APK can make thousands of entries unreadable; list a few, count the rest
MAX_HINT_TEXT = 2_000  # longer texts are cut in the evidence (the location still points at the source)
BUTTON_LABEL_SLACK = 4  # a button label is the consent phrase plus at most this many characters

# Language heuristic thresholds (see detect_language).
MIN_HAN_FOR_CHINESE = 10
MIN_LATIN_FOR_ENGLISH = 40
LATIN_LETTERS_PER_HAN = 4  # one Han character carries about as much text as four Latin letters

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_URL = re.compile(r"(?i)(?<![A-Za-z0-9])https?://[A-Za-z0-9\-._~:/?#@!$&*+;=%]+")
_TAG = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>|<[^>]+>")
_TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title\s*>")
_HEADING = re.compile(r"(?is)<h[1-6][^>]*>(.*?)</h[1-6]\s*>")
_MD_HEADING = re.compile(r"(?m)^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_ASCII_PHRASE = re.compile(r"^[A-Za-z0-9 ]+$")
_IDENTIFIER = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without spaces


# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class PolicyKeywords:
    policy_phrases: tuple[str, ...]
    refuse_phrases: tuple[str, ...]
    agree_phrases: tuple[str, ...]
    policy_url_words: tuple[str, ...]
    document_name_words: tuple[str, ...]
    document_extensions: tuple[str, ...]
    simplified_only_chars: frozenset[str]
    traditional_only_chars: frozenset[str]
    _patterns: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)

    def _pattern(self, phrase: str) -> re.Pattern[str]:
        pattern = self._patterns.get(phrase)
        if pattern is None:
            escaped = re.escape(phrase)
            if _ASCII_PHRASE.match(phrase):
                escaped = rf"(?<![A-Za-z0-9_]){escaped}(?![A-Za-z0-9_])"
            pattern = self._patterns[phrase] = re.compile(escaped, re.IGNORECASE)
        return pattern

    def find(self, phrases: Iterable[str], text: str) -> tuple[str, ...]:
        return tuple(p for p in phrases if self._pattern(p).search(text))

    def policy_matches(self, text: str) -> tuple[str, ...]:
        return self.find(self.policy_phrases, text)

    def consent_matches(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(refuse phrases, agree phrases). Refuse phrases are masked out before agree phrases are sought."""
        refuse = self.find(self.refuse_phrases, text)
        masked = text
        for phrase in refuse:
            masked = self._pattern(phrase).sub(" ", masked)
        return refuse, self.find(self.agree_phrases, masked)


@cache
def load_policy_keywords() -> PolicyKeywords:
    """The shipped lexicon; raises DataFileError if the data file is malformed."""
    source, data = read_packaged_yaml(KEYWORDS_FILE)

    def entries(key: str) -> tuple[str, ...]:
        section = data.get(key)
        if not isinstance(section, dict) or "entries" not in section or "description" not in section:
            raise DataFileError(f"{source}: {key!r} needs 'description' and 'entries'")
        raw = section["entries"]
        if isinstance(raw, str):
            return tuple(raw)  # a string of single characters
        if not isinstance(raw, list) or not raw or not all(isinstance(e, str) and e for e in raw):
            raise DataFileError(f"{source}: {key!r} entries must be a non-empty list of strings")
        return tuple(raw)

    return PolicyKeywords(
        policy_phrases=entries("policy_phrases"),
        refuse_phrases=entries("refuse_phrases"),
        agree_phrases=entries("agree_phrases"),
        policy_url_words=tuple(w.lower() for w in entries("policy_url_words")),
        document_name_words=tuple(w.lower() for w in entries("document_name_words")),
        document_extensions=tuple(e.lower().lstrip(".") for e in entries("document_extensions")),
        simplified_only_chars=frozenset(entries("simplified_only_chars")),
        traditional_only_chars=frozenset(entries("traditional_only_chars")),
    )


def dex_string_needles(keywords: PolicyKeywords | None = None) -> tuple[bytes, ...]:
    """Byte needles that pre-select the DEX strings worth passing to :func:`build_policy_hints`.

    UTF-8 of every phrase (MUTF-8 encodes CJK text the same way), ASCII phrases also in lower, title
    and upper case since a byte search is case-sensitive, plus ``://`` for URLs.
    """
    kw = keywords or load_policy_keywords()
    needles: dict[bytes, None] = {b"://": None}
    for phrase in (*kw.policy_phrases, *kw.refuse_phrases, *kw.agree_phrases):
        variants = {phrase, phrase.lower(), phrase.title(), phrase.upper()} if phrase.isascii() else {phrase}
        for variant in sorted(variants):
            needles[variant.encode("utf-8")] = None
    return tuple(needles)


# --------------------------------------------------------------------------- entry point


def build_policy_hints(
    archive: ApkArchive,
    adapter: AndroguardAdapter,
    dex_strings: Iterable[tuple[str, str]] = (),
    keywords: PolicyKeywords | None = None,
) -> tuple[PolicyHints, tuple[PartError, ...]]:
    """Policy hints plus the errors met on the way (unreadable entries, undecodable resources...).

    ``dex_strings`` yields ``(value, dex_name)`` for every const-string the DEX engine saw.
    """
    kw = keywords or load_policy_keywords()
    errors: list[PartError] = []
    collector = _Collector(kw)

    table = adapter.resources()
    if table.error is not None:
        errors.append(table.error)
    for string in table.strings:
        collector.add(string.value, _string_location(string), group="resources")
    for value, dex_name in dex_strings:
        collector.add(value, dex_name, group=dex_name, code=True)

    consent_layouts = _scan_layouts(archive, adapter, kw, collector, table.strings, errors)
    documents = _scan_documents(archive, kw, errors)
    urls, policy_strings, consent_strings = collector.results()
    hints = PolicyHints(
        urls=urls,
        documents=documents,
        policy_strings=policy_strings,
        consent_strings=consent_strings,
        consent_layouts=consent_layouts,
    )
    return hints, summarise_errors(errors)


# --------------------------------------------------------------------------- strings


class _Collector:
    """Classifies texts and keeps button labels only where their group also holds policy text."""

    def __init__(self, keywords: PolicyKeywords) -> None:
        self.kw = keywords
        self.urls: dict[tuple[str, str], TextHint] = {}
        self.policy: dict[tuple[str, str], TextHint] = {}
        self.consent: dict[tuple[str, str], TextHint] = {}
        self.pending_buttons: dict[str, list[TextHint]] = {}
        self.groups_with_policy: set[str] = set()

    def add(self, text: str, location: str, group: str, code: bool = False) -> str | None:
        """Record ``text``; returns "policy", "consent" or "button" for what it was taken as, else None.

        ``code``: the text is a DEX constant, where ASCII strings without spaces ("privacy",
        "privacy_agreed") are identifiers (preference keys, field names), not words shown to the user.
        """
        if not text or not text.strip():
            return None
        kw = self.kw
        for url in _URL.findall(text):
            words = _policy_url_words(url, kw)
            if words:
                self.urls.setdefault((url, location), TextHint(url, location, words))
        if code and _IDENTIFIER.match(text):
            return None
        # URLs are reported as URLs; their words ("/privacy") do not make the text a policy string.
        prose = _URL.sub(" ", text)
        policy = kw.policy_matches(prose)
        refuse, agree = kw.consent_matches(prose)
        clipped = _clip(text)
        key = (clipped, location)
        if policy:
            self.groups_with_policy.add(group)
            self.policy.setdefault(key, TextHint(clipped, location, policy))
            if refuse or agree:
                self.consent.setdefault(key, TextHint(clipped, location, refuse + agree))
                return "consent"
            return "policy"
        if (refuse or agree) and _is_button_label(text, refuse + agree):
            self.pending_buttons.setdefault(group, []).append(TextHint(clipped, location, refuse + agree))
            return "button"
        return None

    def results(self) -> tuple[tuple[TextHint, ...], tuple[TextHint, ...], tuple[TextHint, ...]]:
        consent = dict(self.consent)
        for group, hints in self.pending_buttons.items():
            if group in self.groups_with_policy:
                for hint in hints:
                    consent.setdefault((hint.text, hint.location), hint)
        return tuple(self.urls.values()), tuple(self.policy.values()), tuple(consent.values())


def _policy_url_words(url: str, kw: PolicyKeywords) -> tuple[str, ...]:
    after_scheme = url.split("://", 1)[-1].lower()
    return tuple(w for w in kw.policy_url_words if w in after_scheme)


def _is_button_label(text: str, phrases: tuple[str, ...]) -> bool:
    stripped = text.strip()
    return len(stripped) <= max(len(p) for p in phrases) + BUTTON_LABEL_SLACK


def _clip(text: str) -> str:
    return text if len(text) <= MAX_HINT_TEXT else text[: MAX_HINT_TEXT - 1] + "…"


def _string_location(string: StringResource) -> str:
    folder = f"values-{string.config}" if string.config else "values"
    return f"res/{folder}/strings.xml:{string.name}"


# --------------------------------------------------------------------------- layouts


def _scan_layouts(
    archive: ApkArchive,
    adapter: AndroguardAdapter,
    kw: PolicyKeywords,
    collector: _Collector,
    strings: tuple[StringResource, ...],
    errors: list[PartError],
) -> tuple[str, ...]:
    """Layouts that reference a policy string resource or carry policy text literally.

    A layout with only agree/refuse buttons does not count: without policy text it may be any
    confirmation dialog. Its button labels still become consent strings when it does count.
    """
    policy_ids = {s.resource_id for s in strings if kw.policy_matches(_URL.sub(" ", s.value))}
    id_needles = {rid: rid.to_bytes(4, "little") for rid in policy_ids}
    text_needles = [
        needle for phrase in kw.policy_phrases for needle in (phrase.encode("utf-16-le"), phrase.encode("utf-8"))
    ]

    layouts = [n for n in archive.names if n.startswith("res/layout") and n.endswith(".xml") and n.count("/") == 2]
    if len(layouts) > MAX_LAYOUTS:
        errors.append(PartError("res/layout", f"only the first {MAX_LAYOUTS} of {len(layouts)} layouts scanned"))
        layouts = layouts[:MAX_LAYOUTS]

    found: list[str] = []
    budget = MAX_LAYOUT_TOTAL_BYTES
    for path in layouts:
        size = archive.entry_size(path)
        if size > budget:
            errors.append(PartError("res/layout", f"layout byte budget spent; {path} and later layouts unread"))
            break
        budget -= size
        try:
            raw = archive.read(path, max_bytes=MAX_LAYOUT_BYTES)
        except ArchiveError as exc:
            errors.append(PartError(path, str(exc)))
            continue
        # Cheap byte-level pre-filter: binary XML stores references as little-endian ids and literal
        # text in a UTF-8 or UTF-16 string pool, so a layout with neither needle cannot match.
        referenced = [rid for rid, needle in id_needles.items() if needle in raw]
        lowered = raw.lower()
        if not referenced and not any(n.lower() in lowered for n in text_needles):
            continue
        decoded = adapter.decode_xml(path)
        if decoded.element is None:
            if decoded.error is not None:
                errors.append(decoded.error)
            continue
        mentions_policy = False
        for element in decoded.element.iter():
            for value in element.attrib.values():
                if value.startswith("@"):
                    mentions_policy = mentions_policy or _reference_id(value) in policy_ids
                elif collector.add(value, path, group=path) in ("policy", "consent"):
                    mentions_policy = True
            if element.text and collector.add(element.text, path, group=path) in ("policy", "consent"):
                mentions_policy = True
        if mentions_policy:
            found.append(path)
    return tuple(found)


def summarise_errors(errors: list[PartError], limit: int = MAX_LISTED_ERRORS) -> tuple[PartError, ...]:
    """The first ``limit`` errors, then one line counting the rest."""
    if len(errors) <= limit:
        return tuple(errors)
    rest = len(errors) - limit
    return (*errors[:limit], PartError("(more)", f"... and {rest} more errors of the same scan"))


def _reference_id(value: str) -> int | None:
    try:
        return int(value[1:], 16) if len(value) == 9 else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- documents


def _scan_documents(archive: ApkArchive, kw: PolicyKeywords, errors: list[PartError]) -> tuple[PolicyDocument, ...]:
    documents: list[PolicyDocument] = []
    budget = MAX_DOCUMENT_TOTAL_BYTES
    candidates = [
        n
        for prefix in DOCUMENT_PREFIXES
        for n in archive.names_under(prefix)
        if not n.endswith("/") and n.rsplit(".", 1)[-1].lower() in kw.document_extensions
    ]
    for path in candidates:
        base = path.rsplit("/", 1)[-1].lower()
        name_words = tuple(w for w in kw.document_name_words if w in base)
        size = archive.entry_size(path)
        if size > MAX_DOCUMENT_BYTES or size > budget:
            if name_words:  # looks like a policy but its content goes unread: say so
                errors.append(PartError(path, f"not read: {size} bytes exceeds the document cap"))
            continue
        try:
            data = archive.read(path, max_bytes=MAX_DOCUMENT_BYTES)
        except ArchiveError as exc:
            errors.append(PartError(path, str(exc)))
            continue
        budget -= len(data)
        text = decode_text(data)
        extension = path.rsplit(".", 1)[-1].lower()
        plain = _TAG.sub(" ", text) if extension in ("html", "htm") else text
        plain = html.unescape(plain)
        content_words = kw.policy_matches(plain)
        # A name hint suffices; otherwise the content must name a policy in a phrase, not just "privacy".
        strong_content = [w for w in content_words if w.lower() != "privacy"]
        if not name_words and not strong_content:
            continue
        documents.append(
            PolicyDocument(
                path=path,
                kind="asset" if path.startswith("assets/") else "raw_resource",
                size=len(data),
                title=_title(text, extension),
                language=detect_language(plain, kw),
                keywords=content_words,
            )
        )
    return tuple(documents)


def decode_text(data: bytes) -> str:
    """Decode a text file: BOMs first, then UTF-8, then GB18030 (a superset of GBK/GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _title(text: str, extension: str) -> str | None:
    if extension in ("html", "htm"):
        for pattern in (_TITLE, _HEADING):
            match = pattern.search(text)
            if match:
                title = " ".join(html.unescape(_TAG.sub(" ", match.group(1))).split())
                if title:
                    return title[:200]
        return None
    if extension == "md":
        match = _MD_HEADING.search(text)
        if match:
            return match.group(1)[:200]
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return None


def detect_language(text: str, keywords: PolicyKeywords | None = None) -> str | None:
    """zh-Hans, zh-Hant, en or None, by counting characters.

    * Chinese when there are at least MIN_HAN_FOR_CHINESE Han characters and Han text outweighs Latin
      text (one Han character counted as LATIN_LETTERS_PER_HAN letters);
    * then Traditional when more Traditional-only than Simplified-only characters occur (the two sets
      are simplification pairs from the keyword file), else Simplified — the mainland default on a tie;
    * otherwise English when there are at least MIN_LATIN_FOR_ENGLISH Latin letters (other Latin-script
      languages are not told apart);
    * otherwise None: too little text to say.
    """
    kw = keywords or load_policy_keywords()
    han = _HAN.findall(text)
    latin = len(_LATIN.findall(text))
    if len(han) >= MIN_HAN_FOR_CHINESE and len(han) * LATIN_LETTERS_PER_HAN >= latin:
        simplified = sum(1 for c in han if c in kw.simplified_only_chars)
        traditional = sum(1 for c in han if c in kw.traditional_only_chars)
        return "zh-Hant" if traditional > simplified else "zh-Hans"
    if latin >= MIN_LATIN_FOR_ENGLISH:
        return "en"
    return None
