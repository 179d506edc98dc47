"""Exodus Privacy tracker list (the ``/api/trackers`` JSON).

Shape: ``{"trackers": {"<id>": {"name", "code_signature", "network_signature", "website",
"categories", ...}}}``. ``code_signature`` is package prefixes joined by ``|`` (matched by Exodus as
regular expressions); ``network_signature`` is domain regexes joined by ``|``. Plain values become
class prefixes and domains; regexes, class names and prefixes the packaged prefix policy refuses
(``com.google``, ``com.umeng``, two-segment packages) are kept unverified and reported.

The list carries no explicit licence: appaudit imports it on the user's machine and never ships it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from appaudit.knowledge.importers.common import (
    ImportResult,
    ImportSource,
    SkippedItem,
    class_prefix,
    clean_text,
    decode_text,
    domain,
    has_loaded_signature,
    is_ascii_name,
    new_entry,
    slug,
    unique_id,
    unverified,
)
from appaudit.knowledge.user_db import PrefixPolicy, UserDataError, packaged_prefix_policy

FORMAT = "exodus"
MAX_BYTES = 32 * 1024 * 1024  # the full public list is well under 1 MiB
MAX_TRACKERS = 20_000
MAX_SIGNATURES = 200  # per tracker and kind

# Exodus categories -> appaudit categories (anything else -> "other").
CATEGORIES = {
    "advertisement": "advertising",
    "analytics": "analytics",
    "crash reporting": "crash_reporting",
    "location": "map_location",
    "profiling": "analytics",
}


def import_exodus(data: bytes, file_name: str, *, policy: PrefixPolicy | None = None) -> ImportResult:
    """SDK entries, one per tracker with at least one usable signature, from a tracker list."""
    policy = policy or packaged_prefix_policy()
    source = ImportSource.of(FORMAT, file_name, data)
    text = decode_text(data, source.file, "the Exodus tracker list")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UserDataError(f"{source.file}: not JSON: {exc}") from exc
    trackers = doc.get("trackers") if isinstance(doc, dict) else None
    if isinstance(trackers, dict):
        records: Iterable[tuple[str, Any]] = trackers.items()
    elif isinstance(trackers, list):
        records = ((str(item.get("id", index)) if isinstance(item, dict) else str(index), item)
                   for index, item in enumerate(trackers))  # fmt: skip
    else:
        raise UserDataError(f'{source.file}: not an Exodus tracker list: expected {{"trackers": {{"<id>": {{...}}}}}}')
    if len(trackers) > MAX_TRACKERS:
        raise UserDataError(f"{source.file}: more than {MAX_TRACKERS} trackers")

    entries: list[dict[str, Any]] = []
    skipped: list[SkippedItem] = []
    taken: set[str] = set()
    for key, tracker in records:
        entry = _tracker_entry(source, key, tracker, policy, taken, skipped)
        if entry is not None:
            entries.append(entry)
    return ImportResult(source, tuple(entries), tuple(skipped))


def _tracker_entry(
    source: ImportSource,
    key: str,
    tracker: Any,
    policy: PrefixPolicy,
    taken: set[str],
    skipped: list[SkippedItem],
) -> dict[str, Any] | None:
    label = f"tracker {clean_text(key, 40)!r}"
    if not isinstance(tracker, dict):
        raise UserDataError(f"{source.file}: {label}: expected an object")
    name = tracker.get("name")
    if not isinstance(name, str) or not clean_text(name):
        raise UserDataError(f"{source.file}: {label}: 'name' must be a non-empty string")
    name = clean_text(name)
    tracker_id = _tracker_id(tracker.get("id"), key)
    record = f"tracker {tracker_id} ({name})"
    code = _text_field(source, label, tracker, "code_signature")
    network = _text_field(source, label, tracker, "network_signature")
    website = _text_field(source, label, tracker, "website")
    categories = tracker.get("categories") or []
    if not isinstance(categories, list) or not all(isinstance(item, str) for item in categories):
        raise UserDataError(f"{source.file}: {label}: 'categories' must be a list of strings")

    prefixes: list[Any] = []
    for part in _parts(code):
        value, reason = class_prefix(part, policy)
        if value is None:
            skipped.append(SkippedItem(record, part, f"code signature is {reason}"))
            prefixes.append(unverified(clean_text(part), f"Exodus code signature is {reason}"))
        elif value not in prefixes:
            prefixes.append(value)
    domains: list[Any] = []
    for part in _parts(network):
        host, reason = domain(part)
        if host is None:
            skipped.append(SkippedItem(record, part, f"network signature is {reason}"))
            domains.append(unverified(clean_text(part), f"Exodus network signature is {reason}"))
        elif host not in domains:
            domains.append(host)

    mapped = sorted({CATEGORIES.get(category.strip().lower(), "other") for category in categories})
    base = slug(name) if is_ascii_name(name) else slug(str(tracker_id)) or "tracker"
    entry = new_entry(
        unique_id(f"{FORMAT}_{base}", taken),
        name,
        mapped or ["other"],
        source.ref(record),
        {"class_prefixes": prefixes[:MAX_SIGNATURES], "domains": domains[:MAX_SIGNATURES]},
        website=website if website.startswith(("https://", "http://")) else None,
        registry_ids={"exodus": int(tracker_id) if _is_number(tracker_id) else tracker_id},
    )
    if not has_loaded_signature(entry):
        skipped.append(SkippedItem(record, "", "no usable code or network signature"))
        return None
    return entry


def _tracker_id(value: Any, key: str) -> str:
    """The tracker's numeric id when it has one, else its key in the list."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return clean_text(value if isinstance(value, str) and value.strip() else key, 40) or "?"


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _text_field(source: ImportSource, label: str, tracker: dict[str, Any], key: str) -> str:
    value = tracker.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserDataError(f"{source.file}: {label}: {key!r} must be a string")
    return value.strip()


def _parts(signature: str) -> list[str]:
    """The top-level alternatives of ``signature`` ("a|b(c|d)" -> "a", "b(c|d)")."""
    parts: list[str] = []
    depth, start, escaped = 0, 0, False
    for index, char in enumerate(signature):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char == "|" and depth == 0:
            parts.append(signature[start:index])
            start = index + 1
    parts.append(signature[start:])
    return [part.strip() for part in parts if part.strip()][:MAX_SIGNATURES]
