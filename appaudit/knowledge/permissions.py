"""Android permissions with their protection level, group and PI meaning (``permissions.yaml``)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from appaudit.knowledge.loader import (
    Entry,
    check_pi_types,
    check_sources,
    check_unique,
    read_packaged_yaml,
    section,
)
from appaudit.knowledge.pi_types import PiTaxonomy, load_pi_taxonomy

DATA_FILE = "permissions.yaml"

_KEYS = frozenset(
    {
        "name", "name_zh", "name_en", "group", "group_zh", "protection_level", "runtime", "pi_types",
        "sources", "note",
    }
)  # fmt: skip


@dataclass(frozen=True)
class PermissionInfo:
    """What appaudit knows about one ``<uses-permission>`` name."""

    name: str
    name_zh: str | None
    name_en: str | None
    group: str | None
    group_zh: str | None
    protection_level: str | None  # AOSP protectionLevel, e.g. "dangerous|instant"; None if not AOSP
    runtime: bool
    pi_types: tuple[str, ...]
    sources: tuple[str, ...] = ()
    note: str | None = None


class PermissionTable:
    """Permissions by name."""

    def __init__(self, permissions: Iterable[PermissionInfo]) -> None:
        self._by_name = {p.name: p for p in permissions}

    def lookup(self, name: str) -> PermissionInfo | None:
        return self._by_name.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[PermissionInfo]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


@functools.cache
def load_permission_table() -> PermissionTable:
    """Load and validate the packaged permission table (cached)."""
    source, doc = read_packaged_yaml(DATA_FILE)
    return build_permission_table(source, doc, load_pi_taxonomy())


def build_permission_table(source: str, doc: Mapping[str, Any], taxonomy: PiTaxonomy) -> PermissionTable:
    """Validate a parsed ``permissions.yaml`` document against the PI taxonomy."""
    declared = section(source, doc, "sources", dict)
    permissions = []
    for index, raw in enumerate(section(source, doc, "permissions", list)):
        name = raw.get("name") if isinstance(raw, dict) else None
        entry = Entry(source, f"permission {name or f'#{index}'!r}", raw)
        entry.only(_KEYS)
        info = PermissionInfo(
            name=entry.text("name"),
            name_zh=entry.optional_text("name_zh"),
            name_en=entry.optional_text("name_en"),
            group=entry.optional_text("group"),
            group_zh=entry.optional_text("group_zh"),
            protection_level=entry.optional_text("protection_level"),
            runtime=entry.flag("runtime", False),
            pi_types=entry.texts("pi_types"),
            sources=entry.texts("sources"),
            note=entry.optional_text("note"),
        )
        check_pi_types(entry, info.pi_types, taxonomy)
        check_sources(entry, info.sources, declared)
        permissions.append(info)
    check_unique(source, "permission", [p.name for p in permissions])
    return PermissionTable(permissions)
