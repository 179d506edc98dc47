"""Read appaudit's YAML knowledge files and check their entries.

Every problem becomes a :class:`~appaudit.errors.DataFileError` that names the file and the entry,
so a curator (or a user with a custom SDK database) can fix the data without reading code.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from appaudit.errors import DataFileError

SCHEMA_VERSION = 1

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


class _UniqueKeyLoader(_BaseLoader):
    """A safe loader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_packaged_yaml(name: str) -> tuple[str, dict[str, Any]]:
    """Parse ``appaudit/data/<name>``; returns (display name, document)."""
    source = f"appaudit/data/{name}"
    try:
        text = files("appaudit").joinpath("data", name).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{source}: cannot read packaged data file: {exc}") from exc
    return source, parse_yaml(text, source)


def read_yaml_file(path: Path) -> tuple[str, dict[str, Any]]:
    """Parse a user-supplied YAML file; returns (display name, document)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{source}: cannot read data file: {exc}") from exc
    return source, parse_yaml(text, source)


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    """Parse one document, require a mapping with the supported ``schema_version``."""
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise DataFileError(f"{source}: invalid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise DataFileError(f"{source}: expected a mapping at the top level")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise DataFileError(
            f"{source}: unsupported schema_version {doc.get('schema_version')!r} (expected {SCHEMA_VERSION})"
        )
    return doc


def section(source: str, doc: Mapping[str, Any], key: str, kind: type) -> Any:
    """Return a required top-level section of the given type (``list`` or ``dict``)."""
    value = doc.get(key)
    if not isinstance(value, kind):
        raise DataFileError(f"{source}: top-level '{key}' must be a {kind.__name__}")
    return value


class Entry:
    """A checked view of one mapping in a data file; accessors raise DataFileError on bad values."""

    def __init__(self, source: str, label: str, data: object) -> None:
        self.source = source
        self.label = label
        if not isinstance(data, Mapping):
            raise self.error("expected a mapping")
        self.data: Mapping[str, Any] = data

    def error(self, message: str) -> DataFileError:
        return DataFileError(f"{self.source}: {self.label}: {message}")

    def only(self, allowed: set[str] | frozenset[str]) -> None:
        """Reject keys outside ``allowed`` (catches typos such as ``class_prefix``)."""
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            raise self.error(f"unknown key(s) {', '.join(unknown)}")

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"'{key}' must be a non-empty string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"'{key}' must be a non-empty string or null")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        """An optional list of non-empty strings (absent or null means empty)."""
        return tuple(self.text_item(key, item) for item in self.items(key))

    def text_item(self, key: str, item: object) -> str:
        if not isinstance(item, str) or not item.strip():
            raise self.error(f"'{key}' items must be non-empty strings, got {item!r}")
        return item

    def items(self, key: str) -> list[Any]:
        """An optional list of raw items (absent or null means empty)."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"'{key}' must be a list")
        return value

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(f"'{key}' must be a mapping")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"'{key}' must be true or false")
        return value

    def optional_int(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"'{key}' must be an integer or null")
        return value


def check_unique(source: str, what: str, values: list[str]) -> None:
    """Raise on the first duplicate in ``values``."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise DataFileError(f"{source}: duplicate {what} {value!r}")
        seen.add(value)


def check_pi_types(entry: Entry, pi_types: tuple[str, ...], known: Container[str]) -> None:
    """Every referenced PI type must exist in the taxonomy."""
    for pi_type in pi_types:
        if pi_type not in known:
            raise entry.error(f"unknown PI type {pi_type!r} (not in pi_types.yaml)")


def check_sources(entry: Entry, sources: tuple[str, ...], declared: Mapping[str, Any] | None) -> None:
    """Each entry needs at least one source; ``id`` or ``id: note`` with a declared id."""
    if not sources:
        raise entry.error("'sources' must list at least one source")
    if declared is None:
        return
    for ref in sources:
        source_id = ref.split(":", 1)[0].strip()
        if source_id not in declared:
            raise entry.error(f"source {source_id!r} is not declared in the file's top-level 'sources'")
