"""The personal-information taxonomy (``pi_types.yaml``), after GB/T 35273-2020 Appendix A."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from appaudit.knowledge.loader import Entry, read_packaged_yaml, section

DATA_FILE = "pi_types.yaml"

_CATEGORY_KEYS = frozenset({"name_zh", "name_en", "sensitive"})
_TYPE_KEYS = frozenset({"name_zh", "name_en", "category", "sensitive", "persistent", "resettable"})


@dataclass(frozen=True)
class PiType:
    """One kind of personal information, e.g. ``imei`` or ``contacts``."""

    id: str
    name_zh: str
    name_en: str
    category: str
    category_zh: str
    category_en: str
    sensitive: bool  # 个人敏感信息 (GB/T 35273 Appendix B / PIPL Art. 28)
    persistent: bool = False  # a hardware/SIM identifier the user cannot reset
    resettable: bool = False  # the user can reset it (advertising IDs, Android ID)


@dataclass(frozen=True)
class PiCategory:
    """A GB/T 35273-2020 Table A.1 category."""

    id: str
    name_zh: str
    name_en: str
    sensitive: bool


class PiTaxonomy:
    """All PI types by id, and the categories they belong to."""

    def __init__(self, types: Mapping[str, PiType], categories: Mapping[str, PiCategory]) -> None:
        self._types = dict(types)
        self._categories = dict(categories)

    def get(self, pi_type_id: str) -> PiType | None:
        return self._types.get(pi_type_id)

    def __contains__(self, pi_type_id: object) -> bool:
        return pi_type_id in self._types

    def __iter__(self) -> Iterator[PiType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def ids(self) -> tuple[str, ...]:
        return tuple(self._types)

    def categories(self) -> tuple[PiCategory, ...]:
        return tuple(self._categories.values())


@functools.cache
def load_pi_taxonomy() -> PiTaxonomy:
    """Load and validate the packaged taxonomy (cached)."""
    source, doc = read_packaged_yaml(DATA_FILE)
    return build_pi_taxonomy(source, doc)


def build_pi_taxonomy(source: str, doc: Mapping[str, Any]) -> PiTaxonomy:
    """Validate a parsed ``pi_types.yaml`` document."""
    categories: dict[str, PiCategory] = {}
    for category_id, raw in section(source, doc, "categories", dict).items():
        entry = Entry(source, f"category {category_id!r}", raw)
        entry.only(_CATEGORY_KEYS)
        categories[str(category_id)] = PiCategory(
            id=str(category_id),
            name_zh=entry.text("name_zh"),
            name_en=entry.text("name_en"),
            sensitive=entry.flag("sensitive", False),
        )

    types: dict[str, PiType] = {}
    for type_id, raw in section(source, doc, "pi_types", dict).items():
        entry = Entry(source, f"PI type {type_id!r}", raw)
        entry.only(_TYPE_KEYS)
        category_id = entry.text("category")
        category = categories.get(category_id)
        if category is None:
            raise entry.error(f"unknown category {category_id!r}")
        types[str(type_id)] = PiType(
            id=str(type_id),
            name_zh=entry.text("name_zh"),
            name_en=entry.text("name_en"),
            category=category_id,
            category_zh=category.name_zh,
            category_en=category.name_en,
            sensitive=entry.flag("sensitive", category.sensitive),
            persistent=entry.flag("persistent", False),
            resettable=entry.flag("resettable", False),
        )
    return PiTaxonomy(types, categories)
