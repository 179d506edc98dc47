"""The catalog of the 31 Determination Rules items (``catalog.yaml``), loaded into frozen dataclasses.

The item IDs follow the official Chinese numbering (I.1–I.4, II.1–II.4, III.1–III.9, IV.1–IV.6,
V.1–V.3, VI.1–VI.5) and never change. The packaged YAML must list exactly these items, in document
order; any problem raises :class:`~appaudit.errors.DataFileError` naming the entry.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from appaudit.errors import DataFileError
from appaudit.knowledge.loader import Entry, check_unique, parse_yaml, section

DATA_FILE = "catalog.yaml"
_SOURCE = f"appaudit/checks/{DATA_FILE}"

# Category id -> number of items, in document order (一 … 六 of the Chinese text).
_ITEMS_PER_CATEGORY: tuple[tuple[str, int], ...] = (("I", 4), ("II", 4), ("III", 9), ("IV", 6), ("V", 3), ("VI", 5))
CATEGORY_IDS: tuple[str, ...] = tuple(category for category, _count in _ITEMS_PER_CATEGORY)
ITEM_IDS: tuple[str, ...] = tuple(
    f"{category}.{number}" for category, count in _ITEMS_PER_CATEGORY for number in range(1, count + 1)
)
ITEM_ID_PATTERN = re.compile(r"^(I|II|III|IV|V|VI)\.[1-9]$")

LEVELS: tuple[str, ...] = ("auto", "assisted", "manual")
EVIDENCE_KINDS: tuple[str, ...] = ("static", "traffic", "ui", "policy", "auditor")

_CATEGORY_KEYS = frozenset({"id", "title_zh", "title_en"})
_ITEM_TEXT_FIELDS = ("title_en", "text_zh", "text_en", "what", "why", "detection", "fix", "reference")
_ITEM_KEYS = frozenset({"id", "category", "level", "evidence", *_ITEM_TEXT_FIELDS})


@dataclass(frozen=True)
class Category:
    """One of the six categories (一 … 六), e.g. III: 未经用户同意收集使用个人信息."""

    id: str
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class CatalogItem:
    """One item of the Determination Rules and how appaudit treats it."""

    id: str
    category: str
    title_en: str  # a short English title for tables and headings
    text_zh: str  # the official text, verbatim (authoritative)
    text_en: str
    level: str  # auto | assisted | manual
    evidence: tuple[str, ...]  # subset of EVIDENCE_KINDS
    what: str
    why: str
    detection: str
    fix: str
    reference: str


@dataclass(frozen=True)
class Catalog:
    """All items in document order, and the categories they belong to."""

    items: tuple[CatalogItem, ...]
    categories: tuple[Category, ...]

    def get(self, item_id: str) -> CatalogItem | None:
        return next((item for item in self.items if item.id == item_id), None)

    def category(self, category_id: str) -> Category | None:
        return next((category for category in self.categories if category.id == category_id), None)

    def in_category(self, category_id: str) -> tuple[CatalogItem, ...]:
        return tuple(item for item in self.items if item.category == category_id)

    def __iter__(self) -> Iterator[CatalogItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@functools.cache
def load_catalog() -> Catalog:
    """Load and validate the packaged catalog (cached)."""
    try:
        text = files("appaudit.checks").joinpath(DATA_FILE).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{_SOURCE}: cannot read packaged data file: {exc}") from exc
    return build_catalog(_SOURCE, parse_yaml(text, _SOURCE))


def build_catalog(source: str, doc: Mapping[str, Any]) -> Catalog:
    """Validate a parsed ``catalog.yaml`` document."""
    categories = tuple(
        _category(Entry(source, f"category #{n}", raw)) for n, raw in _numbered(source, doc, "categories")
    )
    check_unique(source, "category id", [category.id for category in categories])
    if tuple(category.id for category in categories) != CATEGORY_IDS:
        raise DataFileError(f"{source}: categories must be {', '.join(CATEGORY_IDS)} in this order")

    known = {category.id for category in categories}
    items = tuple(_item(Entry(source, f"item #{n}", raw), known) for n, raw in _numbered(source, doc, "items"))
    ids = [item.id for item in items]
    check_unique(source, "item id", ids)
    missing = [item_id for item_id in ITEM_IDS if item_id not in ids]
    if missing:
        raise DataFileError(f"{source}: missing item(s) {', '.join(missing)}")
    if tuple(ids) != ITEM_IDS:
        raise DataFileError(f"{source}: items must follow document order ({ITEM_IDS[0]} … {ITEM_IDS[-1]})")
    return Catalog(items=items, categories=categories)


def _numbered(source: str, doc: Mapping[str, Any], key: str) -> Iterator[tuple[int, Any]]:
    return enumerate(section(source, doc, key, list), start=1)


def _category(entry: Entry) -> Category:
    entry.only(_CATEGORY_KEYS)
    category_id = entry.text("id")
    entry.label = f"category {category_id!r}"
    if category_id not in CATEGORY_IDS:
        raise entry.error(f"id must be one of {', '.join(CATEGORY_IDS)}")
    return Category(id=category_id, title_zh=entry.text("title_zh"), title_en=entry.text("title_en"))


def _item(entry: Entry, known_categories: set[str]) -> CatalogItem:
    item_id = entry.text("id")
    entry.label = f"item {item_id!r}"
    entry.only(_ITEM_KEYS)
    if not ITEM_ID_PATTERN.match(item_id):
        raise entry.error("id must look like I.1 … VI.5 (a category numeral, a dot, the item number)")
    category = entry.text("category")
    if category not in known_categories:
        raise entry.error(f"unknown category {category!r}")
    if item_id.split(".", 1)[0] != category:
        raise entry.error(f"id does not belong to category {category!r}")
    level = entry.text("level")
    if level not in LEVELS:
        raise entry.error(f"level {level!r} is not one of {', '.join(LEVELS)}")
    evidence = entry.texts("evidence")
    if not evidence:
        raise entry.error("'evidence' must list at least one evidence kind")
    for kind in evidence:
        if kind not in EVIDENCE_KINDS:
            raise entry.error(f"evidence kind {kind!r} is not one of {', '.join(EVIDENCE_KINDS)}")
    check_unique(f"{entry.source}: {entry.label}", "evidence kind", list(evidence))
    texts = {name: entry.text(name).strip() for name in _ITEM_TEXT_FIELDS}
    return CatalogItem(id=item_id, category=category, level=level, evidence=evidence, **texts)
