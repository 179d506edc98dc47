"""The verdict statement of each item: one sentence, in Chinese and English, saying what its verdict concludes.

The checks write their findings (``ItemResult.summary``) in English only; the report shows, above each
finding, a statement read from ``appaudit/data/verdict_statements.yaml``: item-specific for the decided
verdicts (``violation``, ``pass``), one shared statement per item for the others (``needs_review``,
``inconclusive``, ``not_assessed``, ``error``). Statements are conclusions; the evidence is cited
separately, by the finding and its evidence references.

The file is read once and validated: every catalog item with both decided verdicts, every default, both
languages, non-empty strings and no unknown keys. Any problem raises :class:`VerdictStatementsError`, a
:class:`ValueError` (and a :class:`~appaudit.errors.DataFileError`) naming the entry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from appaudit.checker.model import DECIDED, Verdict
from appaudit.checks.catalog import load_catalog
from appaudit.errors import DataFileError
from appaudit.knowledge.loader import parse_yaml
from appaudit.report.i18n import LANGUAGES

DATA_FILE = "verdict_statements.yaml"
SOURCE = f"appaudit/data/{DATA_FILE}"

# The verdicts each item states in its own words, and those that share one statement for every item.
ITEM_VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict if v in DECIDED)
DEFAULT_VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict if v not in DECIDED)
_TOP_KEYS = frozenset({"schema_version", "default", "items"})
_ALL_VERDICTS = ", ".join((*ITEM_VERDICTS, *DEFAULT_VERDICTS))


class VerdictStatementsError(DataFileError, ValueError):
    """``verdict_statements.yaml`` is incomplete or malformed."""


_Fail = Callable[[str], VerdictStatementsError]


@dataclass(frozen=True)
class VerdictStatements:
    """The validated file: ``items[item_id][verdict][lang]`` and ``default[verdict][lang]``."""

    items: Mapping[str, Mapping[str, Mapping[str, str]]]
    default: Mapping[str, Mapping[str, str]]

    def get(self, item_id: str, verdict: str, lang: str) -> str:
        if item_id not in self.items:
            raise ValueError(f"unknown item id {item_id!r}")
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
        if verdict in ITEM_VERDICTS:
            return self.items[item_id][verdict][lang]
        if verdict in DEFAULT_VERDICTS:
            return self.default[verdict][lang]
        raise ValueError(f"unknown verdict {verdict!r}; expected one of {_ALL_VERDICTS}")


def statement(item_id: str, verdict: str, lang: str) -> str:
    """The statement of ``verdict`` (a :class:`Verdict` value) for item ``item_id`` in ``lang`` ("zh" or "en").

    Raises ValueError for an unknown item id, verdict or language.
    """
    return load_statements().get(item_id, str(verdict), lang)


@functools.cache
def load_statements() -> VerdictStatements:
    """Read and validate the packaged statements (once)."""
    try:
        text = files("appaudit").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    except OSError as exc:
        raise VerdictStatementsError(f"{SOURCE}: cannot read packaged data file: {exc}") from exc
    try:
        doc = parse_yaml(text, SOURCE)
    except DataFileError as exc:
        raise VerdictStatementsError(str(exc)) from exc
    return validate_statements(doc)


def validate_statements(doc: Mapping[str, Any], source: str = SOURCE) -> VerdictStatements:
    """Check a parsed document: all catalog items, both decided verdicts, all defaults, both languages."""

    def fail(message: str) -> VerdictStatementsError:
        return VerdictStatementsError(f"{source}: {message}")

    if not isinstance(doc, Mapping):
        raise fail("expected a mapping at the top level")
    _only(doc, _TOP_KEYS, "the top level", fail)
    for key in ("default", "items"):
        if not isinstance(doc.get(key), Mapping):
            raise fail(f"top-level '{key}' must be a mapping")

    default = _verdicts(doc["default"], DEFAULT_VERDICTS, "default", fail)

    expected = [item.id for item in load_catalog()]
    raw_items: Mapping[str, Any] = doc["items"]
    missing = [item_id for item_id in expected if item_id not in raw_items]
    if missing:
        raise fail(f"items: missing item(s) {', '.join(missing)}")
    _only(raw_items, frozenset(expected), "items", fail)
    items = {item_id: _verdicts(raw_items[item_id], ITEM_VERDICTS, f"item {item_id}", fail) for item_id in expected}
    return VerdictStatements(items=items, default=default)


def _verdicts(raw: Any, verdicts: tuple[str, ...], label: str, fail: _Fail) -> dict[str, dict[str, str]]:
    if not isinstance(raw, Mapping):
        raise fail(f"{label}: expected a mapping of verdicts ({', '.join(verdicts)})")
    missing = [v for v in verdicts if v not in raw]
    if missing:
        raise fail(f"{label}: missing verdict(s) {', '.join(missing)}")
    _only(raw, frozenset(verdicts), label, fail)
    return {v: _languages(raw[v], f"{label}: {v}", fail) for v in verdicts}


def _languages(raw: Any, label: str, fail: _Fail) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise fail(f"{label}: expected a mapping of languages ({', '.join(LANGUAGES)})")
    missing = [lang for lang in LANGUAGES if lang not in raw]
    if missing:
        raise fail(f"{label}: missing language(s) {', '.join(missing)}")
    _only(raw, frozenset(LANGUAGES), label, fail)
    out = {}
    for lang in LANGUAGES:
        text = raw[lang]
        if not isinstance(text, str) or not text.strip():
            raise fail(f"{label}: {lang}: must be a non-empty string, got {text!r}")
        out[lang] = text.strip()
    return out


def _only(raw: Mapping[str, Any], allowed: frozenset[str], label: str, fail: _Fail) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise fail(f"{label}: unknown key(s) {', '.join(unknown)}")
