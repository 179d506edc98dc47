"""Detect third-party SDKs from an app's classes, manifest, native libraries, assets and hosts.

Every signature of the :class:`~appaudit.knowledge.sdk_db.SdkDatabase` is tried; each SDK with at
least one match becomes one :class:`~appaudit.evidence.model.SdkHit` listing every signature that
matched (kind, signature, count, up to five examples).

Attribution
    A class belongs to the SDK with the longest matching class prefix only, so a child SDK
    (``umeng_push``) and its parent (``umeng_analytics``) never count the same class; a child that
    matches does not hide its parent. A signature listed by more than one SDK (e.g. the Baidu LBS
    ``com.baidu.lbsapi.API_KEY`` meta-data key) is kept as supporting evidence, but an SDK whose only
    matches are such shared signatures is not reported.

Confidence
    The signature kinds are ``class_prefix``, ``manifest_component``, ``meta_data``, ``native_lib``,
    ``asset`` (code and packaging) and ``domain``, ``permission`` (weak: a host string or a
    permission name alone proves little).

    * HIGH: two or more kinds agree and at least one of them is a code or packaging kind, e.g.
      classes plus a manifest component, meta-data or native library; or a native library plus a
      domain.
    * MEDIUM: a single kind, either classes alone with at least 3 classes, or one manifest
      component, meta-data, native-library or asset kind alone.
    * LOW: one or two classes alone, or only domain and/or permission matches.

    Signatures marked ``status: unverified`` in the data are never loaded, so they cannot raise
    confidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from appaudit.evidence.model import Confidence, SdkHit, SignatureMatch
from appaudit.knowledge.sdk_db import SdkDatabase, SdkEntry

MAX_EXAMPLES = 5
MIN_CLASSES_FOR_MEDIUM = 3

CLASS_PREFIX = "class_prefix"
MANIFEST_COMPONENT = "manifest_component"
META_DATA = "meta_data"
NATIVE_LIB = "native_lib"
ASSET = "asset"
DOMAIN = "domain"
PERMISSION = "permission"

KIND_ORDER = (CLASS_PREFIX, MANIFEST_COMPONENT, META_DATA, NATIVE_LIB, ASSET, DOMAIN, PERMISSION)
STRONG_KINDS = frozenset({CLASS_PREFIX, MANIFEST_COMPONENT, META_DATA, NATIVE_LIB, ASSET})
PACKAGING_KINDS = frozenset({MANIFEST_COMPONENT, META_DATA, NATIVE_LIB, ASSET})

_COMPONENT_KIND_ALIASES = {"activity-alias": "activity"}


def match_sdks(
    db: SdkDatabase,
    *,
    class_names: Iterable[str],
    components: Iterable[tuple[str, str]],
    meta_data_keys: Iterable[str],
    permissions: Iterable[str],
    native_libs: Iterable[str],
    assets: Iterable[str],
    hosts: Iterable[str],
) -> tuple[SdkHit, ...]:
    """Match every signature kind; one hit per detected SDK, sorted by SDK id.

    ``class_names`` are smali descriptors ("Lcom/x/Y;"), read in one pass; ``native_libs`` and
    ``assets`` are APK entry paths ("lib/arm64-v8a/libx.so", "assets/x.json").
    """
    tally = _Tally()
    _match_classes(db, class_names, tally)
    _match_components(db, components, tally)
    _match_meta_data(db, meta_data_keys, tally)
    _match_permissions(db, permissions, tally)
    _match_native_libs(db, native_libs, tally)
    _match_assets(db, assets, tally)
    _match_hosts(db, hosts, tally)
    shared = _shared_signatures(db)
    hits = []
    for sdk_id in sorted(tally.by_sdk):
        entry = db.get(sdk_id)
        found = tally.by_sdk[sdk_id]
        if entry is None or all((kind, signature) in shared for kind, signature in found):
            continue
        hits.append(_hit(entry, found))
    return tuple(hits)


def confidence_for(kinds: set[str], class_count: int) -> Confidence:
    """The documented confidence rule (see the module docstring)."""
    if len(kinds) >= 2 and kinds & STRONG_KINDS:
        return Confidence.HIGH
    if kinds & PACKAGING_KINDS or (kinds == {CLASS_PREFIX} and class_count >= MIN_CLASSES_FOR_MEDIUM):
        return Confidence.MEDIUM
    return Confidence.LOW


# --------------------------------------------------------------------------- tally


@dataclass
class _Found:
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str) -> None:
        self.count += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(example)


@dataclass
class _Tally:
    """sdk id -> (kind, signature) -> what matched."""

    by_sdk: dict[str, dict[tuple[str, str], _Found]] = field(default_factory=dict)

    def add(self, entry: SdkEntry, kind: str, signature: str, example: str) -> None:
        self.by_sdk.setdefault(entry.id, {}).setdefault((kind, signature), _Found()).add(example)

    def record(self, entry: SdkEntry, kind: str, signature: str, count: int, examples: list[str]) -> None:
        """Add a pre-counted signature (the class pass counts locally for speed)."""
        self.by_sdk.setdefault(entry.id, {})[(kind, signature)] = _Found(count, examples[:MAX_EXAMPLES])


def _hit(entry: SdkEntry, found: dict[tuple[str, str], _Found]) -> SdkHit:
    order = {kind: index for index, kind in enumerate(KIND_ORDER)}
    matches = tuple(
        SignatureMatch(kind=kind, signature=signature, count=item.count, examples=tuple(item.examples))
        for (kind, signature), item in sorted(found.items(), key=lambda pair: (order[pair[0][0]], pair[0][1]))
    )
    class_count = sum(m.count for m in matches if m.kind == CLASS_PREFIX)
    return SdkHit(
        sdk_id=entry.id,
        name=entry.name,
        name_zh=entry.name_zh,
        vendor=entry.vendor,
        categories=entry.categories,
        confidence=confidence_for({m.kind for m in matches}, class_count),
        class_count=class_count,
        matches=matches,
        parent=entry.parent,
    )


# --------------------------------------------------------------------------- per kind


def _match_classes(db: SdkDatabase, class_names: Iterable[str], tally: _Tally) -> None:
    """One pass; duplicates (the same class in two DEX files) are counted once."""
    counts: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    owners: dict[str, SdkEntry] = {}
    seen: set[str] = set()
    owning_prefix = db.owning_prefix
    for name in class_names:
        found = owning_prefix(name)
        if found is None or name in seen:
            continue
        seen.add(name)
        prefix, entry = found
        count = counts[prefix] = counts.get(prefix, 0) + 1
        if count <= MAX_EXAMPLES:
            examples.setdefault(prefix, []).append(name)
            owners[prefix] = entry
    for prefix, count in counts.items():
        tally.record(owners[prefix], CLASS_PREFIX, prefix, count, examples[prefix])


class _NameIndex:
    """Name signatures: exact names in a dict, "*.Suffix" / "prefix.*" patterns in a short list."""

    def __init__(self) -> None:
        self.exact: dict[str, list[tuple[SdkEntry, str]]] = {}
        self.patterns: list[tuple[str, SdkEntry]] = []

    def add(self, signature: str, entry: SdkEntry, *, patterns: bool = True) -> None:
        if patterns and (signature.startswith("*.") or signature.endswith(".*")):
            self.patterns.append((signature, entry))
        else:
            self.exact.setdefault(signature, []).append((entry, signature))

    def find(self, name: str) -> list[tuple[SdkEntry, str]]:
        found = list(self.exact.get(name, ()))
        found += [(entry, signature) for signature, entry in self.patterns if _pattern_matches(signature, name)]
        return found


def _pattern_matches(signature: str, name: str) -> bool:
    if signature.startswith("*."):
        return name.endswith(signature[1:])  # "*.wxapi.X" -> ends with ".wxapi.X"
    return name.startswith(signature[:-1])  # "a.b.*" -> starts with "a.b."


def _match_components(db: SdkDatabase, components: Iterable[tuple[str, str]], tally: _Tally) -> None:
    by_kind: dict[str, _NameIndex] = {}
    for entry in db.entries:
        for kind, name in entry.components:
            by_kind.setdefault(kind, _NameIndex()).add(name, entry)
    for kind, name in sorted({(_COMPONENT_KIND_ALIASES.get(k, k), n) for k, n in components}):
        index = by_kind.get(kind)
        for entry, signature in index.find(name) if index else ():
            tally.add(entry, MANIFEST_COMPONENT, signature, name)


def _match_meta_data(db: SdkDatabase, keys: Iterable[str], tally: _Tally) -> None:
    index = _NameIndex()
    for entry in db.entries:
        for key in entry.meta_data:
            index.add(key, entry, patterns=False)
    for key in sorted(set(keys)):
        for entry, signature in index.find(key):
            tally.add(entry, META_DATA, signature, key)


def _match_permissions(db: SdkDatabase, names: Iterable[str], tally: _Tally) -> None:
    index = _NameIndex()
    for entry in db.entries:
        for name in entry.permissions:
            index.add(name, entry)
    for name in sorted(set(names)):
        for entry, signature in index.find(name):
            tally.add(entry, PERMISSION, signature, name)


def _match_native_libs(db: SdkDatabase, paths: Iterable[str], tally: _Tally) -> None:
    """Matched on the file name; the same library under several ABIs counts once."""
    names = sorted({path.rsplit("/", 1)[-1] for path in paths})
    for entry in db.entries:
        for pattern in entry.native_libs:
            for name in names:
                if pattern.matches(name):
                    tally.add(entry, NATIVE_LIB, str(pattern), name)


def _match_assets(db: SdkDatabase, paths: Iterable[str], tally: _Tally) -> None:
    index: dict[str, list[SdkEntry]] = {}
    for entry in db.entries:
        for asset in entry.assets:
            index.setdefault(asset, []).append(entry)
    for path in sorted(set(paths)):
        for entry in index.get(path.removeprefix("assets/"), ()):
            tally.add(entry, ASSET, path.removeprefix("assets/"), path)


def _match_hosts(db: SdkDatabase, hosts: Iterable[str], tally: _Tally) -> None:
    for host in sorted({h.strip().rstrip(".").lower() for h in hosts if h.strip()}):
        found = db.domain_owner(host)
        if found is not None:
            domain, entry = found
            tally.add(entry, DOMAIN, domain, host)


def _shared_signatures(db: SdkDatabase) -> set[tuple[str, str]]:
    """(kind, signature) pairs that more than one SDK lists."""
    owners: dict[tuple[str, str], set[str]] = {}
    for entry in db.entries:
        keys = [(MANIFEST_COMPONENT, name) for _kind, name in entry.components]
        keys += [(META_DATA, key) for key in entry.meta_data]
        keys += [(PERMISSION, name) for name in entry.permissions]
        keys += [(NATIVE_LIB, str(pattern)) for pattern in entry.native_libs]
        keys += [(ASSET, asset) for asset in entry.assets]
        for key in keys:
            owners.setdefault(key, set()).add(entry.id)
    return {key for key, ids in owners.items() if len(ids) > 1}
