"""The Chinese-community ``sdk.json`` list: a Python literal list of
``{'sdk_name': ..., 'package_name': ...}`` dicts (single-quoted, so not JSON).

Parsed with :func:`ast.literal_eval` only, which builds literals and never calls, imports or looks up
anything; the input is size-limited first because even literal parsing costs memory. One entry per
``sdk_name``; ``package_name`` may list several packages separated by ``|`` or ``,``.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from appaudit.knowledge.importers.common import (
    ImportResult,
    ImportSource,
    SkippedItem,
    class_prefix,
    clean_text,
    decode_text,
    has_loaded_signature,
    is_ascii_name,
    new_entry,
    slug,
    unique_id,
    unverified,
)
from appaudit.knowledge.user_db import PrefixPolicy, UserDataError, packaged_prefix_policy

FORMAT = "sdkjson"
MAX_BYTES = 4 * 1024 * 1024
MAX_ITEMS = 50_000
_SEPARATORS = re.compile(r"[|,;\s]+")


def import_sdkjson(data: bytes, file_name: str, *, policy: PrefixPolicy | None = None) -> ImportResult:
    """SDK entries, one per ``sdk_name`` with at least one usable package prefix."""
    policy = policy or packaged_prefix_policy()
    source = ImportSource.of(FORMAT, file_name, data)
    if len(data) > MAX_BYTES:
        raise UserDataError(f"{source.file}: larger than the {MAX_BYTES // (1024 * 1024)} MiB limit")
    items = _literal_list(decode_text(data, source.file, "the sdk.json list"), source.file)

    packages_by_name: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        where = f"{source.file}: item #{index + 1}"
        if not isinstance(item, dict):
            raise UserDataError(f"{where}: expected a dict with 'sdk_name' and 'package_name'")
        name, packages = item.get("sdk_name"), item.get("package_name")
        if not isinstance(name, str) or not clean_text(name):
            raise UserDataError(f"{where}: 'sdk_name' must be a non-empty string")
        if not isinstance(packages, str) or not packages.strip():
            raise UserDataError(f"{where}: 'package_name' must be a non-empty string")
        bucket = packages_by_name.setdefault(clean_text(name), [])
        bucket.extend(part for part in _SEPARATORS.split(packages) if part and part not in bucket)

    entries: list[dict[str, Any]] = []
    skipped: list[SkippedItem] = []
    taken: set[str] = set()
    for name, packages in packages_by_name.items():
        record = f"sdk_name {name}"
        prefixes: list[Any] = []
        for package in packages:
            value, reason = class_prefix(package, policy)
            if value is None:
                skipped.append(SkippedItem(record, package, f"package_name is {reason}"))
                prefixes.append(unverified(clean_text(package), f"package_name is {reason}"))
            elif value not in prefixes:
                prefixes.append(value)
        base = slug(name) if is_ascii_name(name) else slug(packages[0] if packages else "") or "sdk"
        entry = new_entry(
            unique_id(f"{FORMAT}_{base}", taken), name, ["other"], source.ref(record),
            {"class_prefixes": prefixes},
        )  # fmt: skip
        if has_loaded_signature(entry):
            entries.append(entry)
        else:
            skipped.append(SkippedItem(record, "", "no usable package prefix"))
    return ImportResult(source, tuple(entries), tuple(skipped))


def _literal_list(text: str, file_name: str) -> list[Any]:
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserDataError(
            f"{file_name}: not a Python literal list of {{'sdk_name': ..., 'package_name': ...}} dicts ({reason[:200]})"
        ) from exc
    if not isinstance(value, list | tuple):
        raise UserDataError(f"{file_name}: expected a list of dicts, got a {type(value).__name__}")
    if len(value) > MAX_ITEMS:
        raise UserDataError(f"{file_name}: more than {MAX_ITEMS} items")
    return list(value)
