"""The catalogue of privacy-sensitive Android APIs (``sensitive_apis.yaml``).

Members are in smali notation without descriptor: ``Landroid/telephony/TelephonyManager;->getImei``
matches every overload. See ``appaudit/data/README.md`` for how ``strings`` and ``required_strings``
are meant to be matched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
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

DATA_FILE = "sensitive_apis.yaml"

# "Lpkg/Outer$Inner;->member": a class descriptor, "->", a Java identifier (or <init>/<clinit>)
MEMBER_RE = re.compile(r"^L[A-Za-z_$][\w$]*(?:/[A-Za-z_$][\w$]*)*;->(?:<init>|<clinit>|[A-Za-z_$][\w$]*)$")

_KEYS = frozenset(
    {
        "id", "title_en", "title_zh", "category", "pi_types", "permissions", "since_api", "note", "sources",
        "methods", "fields", "strings", "required_strings",
    }
)  # fmt: skip


@dataclass(frozen=True)
class SensitiveApi:
    """One sensitive API and the bytecode signatures that reveal its use."""

    id: str
    title_en: str
    title_zh: str | None
    category: str
    pi_types: tuple[str, ...]
    permissions: tuple[str, ...]  # human-readable gating per API level, e.g. "<=28: android.permission.X"
    since_api: int | None
    note: str | None
    sources: tuple[str, ...]
    methods: tuple[str, ...]  # "Lowner;->name": an invoke of that member, any descriptor
    fields: tuple[str, ...]  # "Lowner;->FIELD": a static or instance field read
    strings: tuple[str, ...]  # const-string values that by themselves indicate the access
    required_strings: tuple[str, ...]  # a `methods` call counts only with one of these in the caller


@functools.cache
def load_sensitive_apis() -> tuple[SensitiveApi, ...]:
    """Load and validate the packaged catalogue (cached), in file order."""
    source, doc = read_packaged_yaml(DATA_FILE)
    return build_sensitive_apis(source, doc, load_pi_taxonomy())


def build_sensitive_apis(source: str, doc: Mapping[str, Any], taxonomy: PiTaxonomy) -> tuple[SensitiveApi, ...]:
    """Validate a parsed ``sensitive_apis.yaml`` document against the PI taxonomy."""
    categories = set(section(source, doc, "categories", list))
    apis = []
    for index, raw in enumerate(section(source, doc, "apis", list)):
        api_id = raw.get("id") if isinstance(raw, dict) else None
        entry = Entry(source, f"API {api_id or f'#{index}'!r}", raw)
        entry.only(_KEYS)
        api = SensitiveApi(
            id=entry.text("id"),
            title_en=entry.text("title_en"),
            title_zh=entry.optional_text("title_zh"),
            category=entry.text("category"),
            pi_types=entry.texts("pi_types"),
            permissions=entry.texts("permissions"),
            since_api=entry.optional_int("since_api"),
            note=entry.optional_text("note"),
            sources=entry.texts("sources"),
            methods=entry.texts("methods"),
            fields=entry.texts("fields"),
            strings=entry.texts("strings"),
            required_strings=entry.texts("required_strings"),
        )
        _check(entry, api, categories, taxonomy)
        apis.append(api)
    check_unique(source, "API id", [api.id for api in apis])
    return tuple(apis)


def _check(entry: Entry, api: SensitiveApi, categories: set[str], taxonomy: PiTaxonomy) -> None:
    if api.category not in categories:
        raise entry.error(f"unknown category {api.category!r}")
    check_pi_types(entry, api.pi_types, taxonomy)
    check_sources(entry, api.sources, None)
    if not (api.methods or api.fields or api.strings):
        raise entry.error("needs at least one of 'methods', 'fields' or 'strings'")
    if api.required_strings and not api.methods:
        raise entry.error("'required_strings' only qualifies 'methods'")
    for member in api.methods + api.fields:
        if not MEMBER_RE.match(member):
            raise entry.error(f"{member!r} is not a smali member reference like 'Lpkg/Class;->name'")
