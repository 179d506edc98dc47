"""LibChecker rules database (``rules.db``, SQLite): ``rules_table(name, label, type, isRegexRule, ...)``.

``type``: 0 native library, 1 service, 2 activity, 3 receiver, 4 provider, 5 dex package prefix.
One entry per ``label``. Regex rules become ``{regex: ...}`` native libraries, ``prefix.*`` component
patterns or package prefixes where they have that shape, and are kept unverified otherwise.

The file is opened read-only through a ``file:...?mode=ro`` URI with untrusted-schema protection,
a cap on value length, row count and work, so a hostile or corrupt file ends in
:class:`~appaudit.knowledge.user_db.UserDataError`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from appaudit.knowledge.importers.common import (
    ImportResult,
    ImportSource,
    SkippedItem,
    class_prefix,
    clean_text,
    component_name,
    has_loaded_signature,
    is_ascii_name,
    native_lib_name,
    native_lib_regex,
    new_entry,
    read_limited,
    slug,
    unique_id,
    unverified,
)
from appaudit.knowledge.user_db import PrefixPolicy, UserDataError, packaged_prefix_policy

FORMAT = "libchecker"
MAX_BYTES = 64 * 1024 * 1024  # the v3 database is about 130 KiB
MAX_ROWS = 100_000
MAX_VALUE_BYTES = 4096
MAX_PROGRESS_CALLS = 200_000  # SQLite calls the handler every 1000 VM steps: ~2e8 steps
_COMPONENT_KINDS = {1: "service", 2: "activity", 3: "receiver", 4: "provider"}
_REQUIRED_COLUMNS = frozenset({"name", "label", "type", "isRegexRule"})


def import_libchecker(path: Path, *, policy: PrefixPolicy | None = None) -> ImportResult:
    """SDK entries, one per LibChecker label with at least one usable rule."""
    policy = policy or packaged_prefix_policy()
    data = read_limited(path, MAX_BYTES, "a LibChecker rules database")
    source = ImportSource.of(FORMAT, path.name, data)
    rows = _read_rules(path, source.file)

    by_label: dict[str, list[tuple[str, int, bool]]] = {}
    skipped: list[SkippedItem] = []
    for index, (name, label, rule_type, is_regex) in enumerate(rows):
        where = f"rule #{index + 1}"
        if not isinstance(name, str) or not name.strip() or not isinstance(label, str) or not clean_text(label):
            skipped.append(SkippedItem(where, "", "name and label must be non-empty text"))
            continue
        if not isinstance(rule_type, int) or is_regex not in (0, 1):
            skipped.append(SkippedItem(where, name, "type and isRegexRule must be integers"))
            continue
        by_label.setdefault(clean_text(label), []).append((name.strip(), rule_type, bool(is_regex)))

    entries: list[dict[str, Any]] = []
    taken: set[str] = set()
    for label, rules in by_label.items():
        entry = _label_entry(source, label, rules, policy, taken, skipped)
        if entry is not None:
            entries.append(entry)
    return ImportResult(source, tuple(entries), tuple(skipped))


def _read_rules(path: Path, file_name: str) -> list[tuple[Any, Any, Any, Any]]:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    calls = 0

    def budget() -> int:
        nonlocal calls
        calls += 1
        return 1 if calls > MAX_PROGRESS_CALLS else 0  # non-zero aborts the statement

    try:
        connection = sqlite3.connect(uri, uri=True, timeout=1.0)
    except sqlite3.Error as exc:
        raise UserDataError(f"{file_name}: cannot open as SQLite: {exc}") from exc
    try:
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        connection.set_progress_handler(budget, 1000)
        connection.execute("PRAGMA trusted_schema = OFF")  # no functions run from views or triggers
        connection.execute("PRAGMA query_only = ON")
        kind = connection.execute("SELECT type FROM sqlite_master WHERE name = 'rules_table'").fetchone()
        if kind is None or kind[0] != "table":
            raise UserDataError(f"{file_name}: not a LibChecker rules database: no table rules_table")
        columns = {row[1] for row in connection.execute("PRAGMA table_info(rules_table)")}
        missing = _REQUIRED_COLUMNS - columns
        if missing:
            raise UserDataError(f"{file_name}: rules_table lacks column(s) {', '.join(sorted(missing))}")
        rows = connection.execute(
            "SELECT name, label, type, isRegexRule FROM rules_table LIMIT ?", (MAX_ROWS + 1,)
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        message = "too large or too slow to read" if calls > MAX_PROGRESS_CALLS else str(exc)
        raise UserDataError(f"{file_name}: not a readable LibChecker rules database: {message}") from exc
    except sqlite3.Error as exc:
        raise UserDataError(f"{file_name}: cannot read the rules database: {exc}") from exc
    finally:
        connection.close()
    if len(rows) > MAX_ROWS:
        raise UserDataError(f"{file_name}: more than {MAX_ROWS} rules")
    return rows


def _label_entry(
    source: ImportSource,
    label: str,
    rules: list[tuple[str, int, bool]],
    policy: PrefixPolicy,
    taken: set[str],
    skipped: list[SkippedItem],
) -> dict[str, Any] | None:
    record = f"label {label}"
    prefixes: list[Any] = []
    components: dict[str, list[Any]] = {}
    native_libs: list[Any] = []
    for name, rule_type, is_regex in rules:
        item, reason = _rule_item(name, rule_type, is_regex, policy)
        if reason is not None:
            skipped.append(SkippedItem(record, name, f"rule is {reason}" if item is not None else reason))
            if item is None:
                continue  # an unsupported rule type: nowhere to keep it
        target = (
            native_libs if rule_type == 0
            else prefixes if rule_type == 5
            else components.setdefault(_COMPONENT_KINDS[rule_type], [])
        )  # fmt: skip
        if item not in target:
            target.append(item)

    names = [name for name, rule_type, _ in rules if rule_type in (1, 2, 3, 4, 5)]
    base = slug(label) if is_ascii_name(label) else _package_slug(names) or _native_slug(rules) or "rule"
    entry = new_entry(
        unique_id(f"{FORMAT}_{base}", taken),
        label,
        ["other"],  # LibChecker's rules carry no category
        source.ref(record),
        {"class_prefixes": prefixes, "components": components, "native_libs": native_libs},
    )
    if not has_loaded_signature(entry):
        skipped.append(SkippedItem(record, "", "no usable rule"))
        return None
    return entry


def _rule_item(name: str, rule_type: int, is_regex: bool, policy: PrefixPolicy) -> tuple[Any, str | None]:
    """The YAML item for one rule and, when it cannot be used, why (the item is then unverified)."""
    shown = clean_text(name)
    if rule_type == 0:
        value, reason = native_lib_regex(name) if is_regex else native_lib_name(name)
        if value is None:
            return unverified(shown, f"native library rule is {reason}",
                              key="regex" if is_regex else "value"), reason  # fmt: skip
        return ({"regex": value} if is_regex else value), None
    if rule_type in _COMPONENT_KINDS:
        value, reason = component_name(name)
        if value is None:
            return unverified(shown, f"component rule is {reason}"), reason
        return value, None
    if rule_type == 5:
        value, reason = class_prefix(name, policy)
        if value is None:
            return unverified(shown, f"package rule is {reason}"), reason
        return value, None
    return None, f"rule type {rule_type} is not supported"


def _package_slug(names: list[str]) -> str:
    """The packages shared by a label's rule names, as an id part ("com_umeng_message")."""
    split = [name.replace("(.*)", "").replace("*", "").split(".") for name in names]
    if not split:
        return ""
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    if len(common) < 3:  # "com.tencent" alone names a vendor, not an SDK
        common = split[0][:3]
    return slug("_".join(part for part in common if part and not part[:1].isupper()))


def _native_slug(rules: list[tuple[str, int, bool]]) -> str:
    for name, rule_type, _ in rules:
        if rule_type == 0:
            return slug(name.removesuffix(".so").replace("(.*)", ""))
    return ""
