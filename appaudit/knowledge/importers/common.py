"""What every importer shares: the import's provenance, bounded reading, and signature conversion.

An importer turns one third-party file into SDK entries in the ``sdks.yaml`` entry shape. A value
that cannot be used as a signature (a regular expression, an over-broad class prefix, a class name
where a package is expected...) never fails the import: it is kept in the entry as a
``status: unverified`` item with a note, which the loader ignores, and reported as a
:class:`SkippedItem` with the reason.
"""

from __future__ import annotations

import hashlib
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appaudit.knowledge.user_db import PrefixPolicy, UserDataError

# Mirrors appaudit.knowledge.sdk_db, so that what an importer accepts also loads.
_SEGMENT = r"[A-Za-z_$][\w$]*"
_PACKAGE_RE = re.compile(rf"^{_SEGMENT}(?:\.{_SEGMENT})*$")
_DOTTED_NAME_RE = re.compile(rf"^{_SEGMENT}(?:\.{_SEGMENT})+$")
_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]*[a-z][a-z0-9-]*$")
_REGEX_CHARS = frozenset("\\^$*+?()[]{}|")
_FILE_NAME_RE = re.compile(r"^[\w.+@-]+$")

MAX_TEXT = 300  # longest name or signature taken from an imported file
MAX_REGEX = 200


@dataclass(frozen=True)
class ImportSource:
    """Where imported entries come from: ``{id: import, file, format, sha256}``."""

    format: str
    file: str  # base name only: a user's directory layout is not data
    sha256: str

    @classmethod
    def of(cls, format: str, file_name: str, data: bytes) -> ImportSource:
        return cls(format, clean_text(Path(file_name).name) or "-", hashlib.sha256(data).hexdigest())

    def as_dict(self) -> dict[str, str]:
        return {"id": "import", "file": self.file, "format": self.format, "sha256": self.sha256}

    def ref(self, record: str) -> str:
        """The entry's ``sources`` item: source id ``import``, then format, file, digest and record."""
        return f"import: {self.format} {self.file} sha256:{self.sha256} {record}"


@dataclass(frozen=True)
class SkippedItem:
    """A record or signature of the imported file that was not imported, and why."""

    record: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.record}: '{self.value}': {self.reason}" if self.value else f"{self.record}: {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    source: ImportSource
    entries: tuple[dict[str, Any], ...]
    skipped: tuple[SkippedItem, ...]


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (a FIFO or device is refused, not read)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise UserDataError(f"{path}: not a regular file")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UserDataError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise UserDataError(f"{path}: larger than the {limit // (1024 * 1024)} MiB limit for {what}")
    return data


def decode_text(data: bytes, file_name: str, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserDataError(
            f"{file_name}: {what} is not UTF-8 text (byte {exc.start}); convert it first, e.g. "
            "with iconv -f GB18030 -t UTF-8"
        ) from exc


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` with control and format characters replaced, whitespace collapsed, length capped."""
    chars = (" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value)
    return " ".join("".join(chars).split())[:limit]


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits joined by underscores ("" when there are none)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60].rstrip("_")


def is_ascii_name(text: str) -> bool:
    return text.isascii() and bool(slug(text))


def unique_id(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}_{number}", number + 1
    taken.add(candidate)
    return candidate


def unverified(value: str, reason: str, *, key: str = "value") -> dict[str, str]:
    """A signature kept for curators but not loaded."""
    return {key: value, "status": "unverified", "note": f"not used: {reason}"}


# --------------------------------------------------------------------------- signature conversion


def looks_like_regex(text: str) -> bool:
    return any(ch in _REGEX_CHARS for ch in text)


def class_prefix(raw: str, policy: PrefixPolicy) -> tuple[str | None, str | None]:
    """A package prefix ("com.x.y.") from ``raw``, or (None, why not).

    Accepts "com.x.y", "com.x.y.", "com\\.x\\.y", "com.x.y.*", "com.x.y.(.*)" and "com/x/y".
    """
    text = raw.strip().replace("\\.", ".")
    for suffix in (".(.*)", "(.*)", ".*"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    text = text.removeprefix("^").removesuffix(".")
    if "/" in text and "." not in text:
        text = text.strip("/").replace("/", ".")
    if not _PACKAGE_RE.match(text):
        return None, ("a regular expression, not a plain package prefix" if looks_like_regex(text)
                      else "not a Java package name")  # fmt: skip
    if text.rsplit(".", 1)[-1][:1].isupper():
        return None, "names a class, not a package"
    return (None, reason) if (reason := prefix_policy_problem(text + ".", policy)) else (text + ".", None)


def prefix_policy_problem(dotted_prefix: str, policy: PrefixPolicy) -> str | None:
    """Why the packaged prefix policy refuses ``dotted_prefix`` ("com.x."), or None."""
    smali = "L" + dotted_prefix[:-1].replace(".", "/") + "/"
    for root in policy.vendor_roots:
        if root.startswith(smali):
            return f"over-broad: covers the vendor root {root[1:].replace('/', '.')}"
    segments = smali.count("/")
    if segments < policy.min_segments:
        return (
            f"over-broad: {segments} package segment(s), the database needs {policy.min_segments} "
            "(a curator may keep it with allow_short and a reason)"
        )
    return None


def domain(raw: str) -> tuple[str | None, str | None]:
    """A host name from a plain domain regex ("\\.flurry\\.com" -> "flurry.com"), or (None, why not)."""
    text = raw.strip().removeprefix("^").removesuffix("$").replace("\\.", ".").replace("\\-", "-")
    text = text.removeprefix("*").lstrip(".").rstrip(".").lower()
    if _HOST_RE.match(text):
        return text, None
    if looks_like_regex(text):
        return None, "a regular expression, not a plain domain"
    return None, "not a host name"


def component_name(raw: str) -> tuple[str | None, str | None]:
    """A manifest component name or "prefix.*" pattern from an exact name or "prefix.(.*)" regex."""
    text = raw.strip()
    for suffix in (".(.*)", ".*"):
        if text.endswith(suffix) and _PACKAGE_RE.match(text[: -len(suffix)]):
            return text[: -len(suffix)] + ".*", None
    if _DOTTED_NAME_RE.match(text):
        return text, None
    if looks_like_regex(text):
        return None, "a regular expression that is not a whole-package pattern"
    return None, "not a component class name"


def native_lib_name(raw: str) -> tuple[str | None, str | None]:
    text = raw.strip()
    if _FILE_NAME_RE.match(text) and text not in (".", ".."):
        return text, None
    return None, "not a file name"


def native_lib_regex(raw: str) -> tuple[str | None, str | None]:
    """A full-match file-name regex; LibChecker's "(.*)" becomes the equivalent ".*"."""
    text = raw.strip().replace("(.*)", ".*")
    if len(text) > MAX_REGEX:
        return None, f"longer than {MAX_REGEX} characters"
    if "/" in text:
        return None, "matches paths, not file names"
    try:
        re.compile(text)
    except (re.error, RecursionError, OverflowError) as exc:
        return None, f"invalid regular expression: {exc}"
    return text, None


def new_entry(
    sdk_id: str,
    name: str,
    categories: list[str],
    source_ref: str,
    signatures: dict[str, Any],
    **informational: Any,
) -> dict[str, Any]:
    """An entry dict in ``sdks.yaml`` key order, leaving out empty fields."""
    entry: dict[str, Any] = {"id": sdk_id, "name": name, "categories": categories}
    for key in ("class_prefixes", "components", "meta_data", "native_libs", "domains"):
        if signatures.get(key):
            entry[key] = signatures[key]
    entry.update({key: value for key, value in informational.items() if value})
    entry["sources"] = [source_ref]
    return entry


def has_loaded_signature(entry: dict[str, Any]) -> bool:
    """Whether any signature of ``entry`` is loaded (not ``status: unverified``)."""

    def loaded(items: Any) -> bool:
        return any(not (isinstance(item, dict) and item.get("status") == "unverified") for item in items)

    lists = [entry.get(key, []) for key in ("class_prefixes", "meta_data", "native_libs", "domains")]
    lists += list(entry.get("components", {}).values())
    return any(loaded(items) for items in lists)
