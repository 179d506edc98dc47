"""Lossless JSON round trip for the frozen evidence dataclasses."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from appaudit.errors import InputError
from appaudit.evidence.model import SCHEMA_VERSION, EvidenceBundle

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    """Convert evidence objects into plain JSON-compatible structures."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def dumps(bundle: EvidenceBundle) -> str:
    return json.dumps(to_jsonable(bundle), ensure_ascii=False, indent=2, sort_keys=False)


def write(bundle: EvidenceBundle, path: Path) -> None:
    """Write atomically so a crash never leaves a half-written evidence file."""
    write_json(bundle, path)


def write_json(value: Any, path: Path) -> None:
    """Any dataclass tree as JSON, written atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def _decode(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _decode(args[0], value)
    if origin is tuple:
        (item_tp, *_rest) = typing.get_args(tp)
        return tuple(_decode(item_tp, v) for v in value)
    if origin is dict:
        _k, v_tp = typing.get_args(tp)
        return {k: _decode(v_tp, v) for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value)
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def from_dict[T](cls: type[T], data: dict[str, Any]) -> T:
    """Build dataclass ``cls`` from a decoded JSON object, ignoring unknown keys."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = hints
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _decode(hints[f.name], data[f.name])
    return cls(**kwargs)


def loads(text: str) -> EvidenceBundle:
    """Parse an evidence.json; refuse a different major schema version."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"evidence file is not valid JSON: {exc}") from None
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise InputError(f"evidence schema {version!r} is not supported (this appaudit reads {SCHEMA_VERSION})")
    try:
        return from_dict(EvidenceBundle, data)
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError(f"evidence file does not match schema {SCHEMA_VERSION}: {exc}") from None


def read(path: Path) -> EvidenceBundle:
    return loads(path.read_text(encoding="utf-8"))
