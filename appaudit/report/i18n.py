"""The report's two languages: English message ids, Chinese translations in data files.

Gettext's model without its tooling: the English text is the message id, so the view code reads
naturally and an untranslated message falls back to English instead of disappearing. Translations
live in ``appaudit/data/report_i18n/*.yaml`` (one file per part of the report, ``msgid: 译文``).
The language is a context variable set around one build of the view model::

    with language("zh"):
        body = build_language_view(...)

``tr`` formats ``{placeholders}`` after translating, so a translation may reorder them. Messages
asked for in Chinese but missing from the files are remembered (:func:`untranslated`), so a test
can insist that every message the report shows is translated.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import resources

import yaml

LANGUAGES = ("en", "zh")
HTML_LANG = {"en": "en", "zh": "zh-CN"}
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}

_current: ContextVar[str] = ContextVar("appaudit_report_language", default="en")
_missing: set[str] = set()


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Build the view model in ``lang`` ("en" or "zh") inside this block."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> str:
    return _current.get()


def tr(msgid: str, /, **values: object) -> str:
    """``msgid`` in the current language, with ``{placeholders}`` filled from ``values``."""
    text = msgid
    if _current.get() == "zh":
        found = catalog().get(msgid)
        if found is None:
            _missing.add(msgid)
        else:
            text = found
    return text.format(**values) if values else text


def tr_known(text: str) -> str:
    """``text`` translated when the catalog has it, else unchanged and not counted as missing.

    For text that comes from elsewhere (the checks' ``needs`` lines): a fixed vocabulary is translated,
    while a line built with values (a part name) stays as written.
    """
    if _current.get() == "zh":
        return catalog().get(text, text)
    return text


def pick(en: str, zh: str) -> str:
    """One of two texts that already exist in both languages (catalog titles, official wording)."""
    return zh if _current.get() == "zh" and zh else en


def untranslated() -> frozenset[str]:
    """Message ids asked for in Chinese since the last :func:`reset_untranslated` that had no translation."""
    return frozenset(_missing)


def reset_untranslated() -> None:
    _missing.clear()


@functools.cache
def catalog() -> dict[str, str]:
    """Every translation file merged; a message id defined twice with different texts is an error."""
    merged: dict[str, str] = {}
    folder = resources.files("appaudit").joinpath("data", "report_i18n")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{entry.name}: expected a mapping of English message ids to translations")
        for msgid, text in data.items():
            if not isinstance(msgid, str) or not isinstance(text, str):
                raise ValueError(f"{entry.name}: {msgid!r} must map a string to a string")
            if msgid in merged and merged[msgid] != text:
                raise ValueError(f"{entry.name}: {msgid!r} is translated differently in another file")
            merged[msgid] = text
    return merged
