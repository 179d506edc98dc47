"""The UI keyword lists (``appaudit/data/ui_lexicon.yaml``) and how a label is matched against them.

Two ways to match, chosen per list in the data file:

* **phrase** (default): a phrase with a non-ASCII character is a substring of the label; an ASCII phrase
  must match whole words, where words come from splitting on anything but letters and digits and on
  camelCase, so "agree" never matches "Disagree" and "pay" never matches "display".
* **exact**: the whole label, trimmed of spaces and trailing punctuation, equals the entry.

Both compare NFKC-normalised, case-folded text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from appaudit.errors import DataFileError
from appaudit.knowledge.loader import read_packaged_yaml

LEXICON_FILE = "ui_lexicon.yaml"

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_TRAILING = " \t\r\n.,:;!?。，：；！？…·>›»"
_MATCH_MODES = ("phrase", "exact")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})  # Android's typographic quotes


def normalise(text: str) -> str:
    """NFKC, case-folded, typographic quotes made plain, whitespace collapsed: the form every comparison uses."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold().split())


def words(text: str) -> str:
    """The ASCII words of ``text`` (camelCase split), space-separated and space-padded: " btn logout "."""
    split = _CAMEL.sub(" ", unicodedata.normalize("NFKC", text))
    return " " + " ".join(_NON_WORD.split(split.casefold())).strip() + " "


@dataclass(frozen=True)
class Phrases:
    """One keyword list and its match mode."""

    name: str
    entries: tuple[str, ...]
    exact: bool = False
    _keys: tuple[object, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", tuple(_key(e, self.exact) for e in self.entries))

    def find(self, text: str) -> tuple[str, ...]:
        """The entries that match ``text``, in list order."""
        if not text:
            return ()
        if self.exact:
            label = normalise(text).strip(_TRAILING)
            return tuple(e for e, k in zip(self.entries, self._keys, strict=True) if k == label)
        folded, padded = normalise(text), words(text)
        return tuple(
            e
            for e, (ascii_words, key) in zip(self.entries, self._keys, strict=True)
            if (padded.find(key) >= 0 if ascii_words else key in folded)
        )

    def matches(self, text: str) -> bool:
        return bool(self.find(text))


def _key(entry: str, exact: bool) -> object:
    if exact:
        return normalise(entry).strip(_TRAILING)
    if entry.isascii():
        return (True, words(entry))
    return (False, normalise(entry))


@dataclass(frozen=True)
class PermissionGroup:
    name: str  # an Android permission group, as in permissions.yaml: LOCATION, PHONE, ...
    phrases: Phrases


@dataclass(frozen=True)
class UiLexicon:
    policy_words: Phrases
    policy_titles: Phrases
    policy_body_words: Phrases
    refuse_labels: Phrases
    weak_refuse_labels: Phrases
    agree_labels: Phrases
    acknowledge_labels: Phrases
    proceed_labels: Phrases
    consent_statement: Phrases
    close_labels: Phrases
    close_id_words: Phrases
    checkbox_id_words: Phrases
    back_labels: Phrases
    unsafe_labels: Phrases
    permission_allow_labels: Phrases
    permission_deny_labels: Phrases
    system_chrome_packages: frozenset[str]
    permission_packages: frozenset[str]
    permission_allow_ids: tuple[str, ...]
    permission_deny_ids: tuple[str, ...]
    permission_groups: tuple[PermissionGroup, ...]

    def permission_groups_in(self, message: str) -> tuple[str, ...]:
        """The permission groups a permission dialog's message names, in lexicon order."""
        return tuple(g.name for g in self.permission_groups if g.phrases.matches(message))


_PHRASE_LISTS = (
    "policy_words",
    "policy_titles",
    "policy_body_words",
    "refuse_labels",
    "weak_refuse_labels",
    "agree_labels",
    "acknowledge_labels",
    "proceed_labels",
    "consent_statement",
    "close_labels",
    "close_id_words",
    "checkbox_id_words",
    "back_labels",
    "unsafe_labels",
    "permission_allow_labels",
    "permission_deny_labels",
)
_LISTS = (
    *_PHRASE_LISTS,
    "system_chrome_packages",
    "permission_packages",
    "permission_allow_ids",
    "permission_deny_ids",
)
_SECTION_KEYS = frozenset({"description", "source", "entries", "match"})


@cache
def load_ui_lexicon() -> UiLexicon:
    """The shipped lexicon; raises DataFileError naming the list when the file is malformed."""
    source, data = read_packaged_yaml(LEXICON_FILE)
    unknown = sorted(set(data) - {*_LISTS, "permission_groups", "schema_version"})
    if unknown:
        raise DataFileError(f"{source}: unknown top-level key(s) {', '.join(unknown)}")
    lists = {name: _phrases(source, name, data.get(name)) for name in _LISTS}
    return UiLexicon(
        **{name: lists[name] for name in _PHRASE_LISTS},
        system_chrome_packages=frozenset(lists["system_chrome_packages"].entries),
        permission_packages=frozenset(lists["permission_packages"].entries),
        permission_allow_ids=lists["permission_allow_ids"].entries,
        permission_deny_ids=lists["permission_deny_ids"].entries,
        permission_groups=_groups(source, data.get("permission_groups")),
    )


def _described(source: str, name: str, section: object) -> dict:
    if not isinstance(section, dict):
        raise DataFileError(f"{source}: {name!r} must be a mapping with description, source and entries")
    for key in ("description", "source"):
        if not isinstance(section.get(key), str) or not section[key].strip():
            raise DataFileError(f"{source}: {name!r} needs a non-empty {key!r}")
    return section


def _phrases(source: str, name: str, section: object) -> Phrases:
    section = _described(source, name, section)
    unknown = sorted(set(section) - _SECTION_KEYS)
    if unknown:
        raise DataFileError(f"{source}: {name!r}: unknown key(s) {', '.join(unknown)}")
    mode = section.get("match", "phrase")
    if mode not in _MATCH_MODES:
        raise DataFileError(f"{source}: {name!r}: match must be one of {', '.join(_MATCH_MODES)}, got {mode!r}")
    return Phrases(name, _entries(source, name, section.get("entries")), exact=mode == "exact")


def _entries(source: str, name: str, raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(e, str) and e.strip() for e in raw):
        raise DataFileError(f"{source}: {name!r}: entries must be a non-empty list of non-empty strings")
    seen: set[str] = set()
    for entry in raw:
        key = normalise(entry)
        if key in seen:
            raise DataFileError(f"{source}: {name!r}: duplicate entry {entry!r}")
        seen.add(key)
    return tuple(raw)


def _groups(source: str, section: object) -> tuple[PermissionGroup, ...]:
    section = _described(source, "permission_groups", section)
    groups = section.get("groups")
    if not isinstance(groups, dict) or not groups:
        raise DataFileError(f"{source}: 'permission_groups' needs a non-empty 'groups' mapping")
    return tuple(
        PermissionGroup(group, Phrases(group, _entries(source, f"permission_groups.{group}", phrases)))
        for group, phrases in groups.items()
    )
