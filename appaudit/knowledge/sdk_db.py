"""The SDK signature database: the packaged ``sdks.yaml`` or a user file in the same format.

Class prefixes are normalised to smali form (``Lcom/umeng/analytics/``) and checked against the
file's ``prefix_policy``: a prefix equal to or shorter than a vendor root (``com.google.``,
``com.tencent.`` ...) or with fewer than ``min_segments`` package segments is rejected, unless the
entry gives ``allow_short: <reason>``. A user database is always held to the packaged policy too.
Signatures marked ``status: unverified`` are skipped (kept in the file for curators only).

Relations between entries: ``parent`` names the SDK family an entry belongs to (JPush on JCore,
Umeng Push under Umeng's common component); ``bundles`` names other SDKs an entry carries inside
it (ShareSDK's WeChat plugin carries the WeChat OpenSDK). Both must name existing entries.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appaudit.errors import DataFileError
from appaudit.knowledge.loader import (
    Entry,
    check_pi_types,
    check_sources,
    read_packaged_yaml,
    read_yaml_file,
    section,
)
from appaudit.knowledge.pi_types import PiTaxonomy, load_pi_taxonomy

DATA_FILE = "sdks.yaml"

COMPONENT_KINDS = ("activity", "service", "receiver", "provider")
PI_TYPES_BASES = frozenset(
    {"vendor_declared", "integrator_declared", "observed_dynamic", "observed_static", "unverified"}
)
REGIONS = frozenset({"cn", "global"})  # cn: a vendor in mainland China, under the Determination Rules
HARD_MIN_SEGMENTS = 2  # not even allow_short may go below this

_ENTRY_KEYS = frozenset(
    {
        "id", "name", "name_zh", "vendor", "vendor_zh", "categories", "parent", "class_prefixes",
        "components", "meta_data", "permissions", "native_libs", "assets", "domains", "init_calls",
        "pi_types", "pi_types_basis", "privacy_policy_url", "sources", "region", "bundles",
        # informational only, not loaded:
        "website", "docs_url", "registry_ids", "notes",
    }
)  # fmt: skip
_SIGNATURE_KEYS = frozenset({"value", "regex", "status", "note", "allow_short"})
_PLURAL_KINDS = {f"{kind}s": kind for kind in COMPONENT_KINDS} | {"activities": "activity"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_SEGMENT_RE = re.compile(r"^[A-Za-z_$][\w$]*$")
_DOTTED_NAME_RE = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$")
_NAME_PART_RE = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$")
_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]*[a-z][a-z0-9-]*$")
_INIT_CALL_RE = re.compile(r"^L[A-Za-z_$][\w$]*(?:/[A-Za-z_$][\w$]*)*;->(?:<init>|<clinit>|[A-Za-z_$][\w$]*)$")


@dataclass(frozen=True)
class NativeLibPattern:
    """A native library file name (``libjcore220.so``): exact, or a full-match regex."""

    exact: str | None
    regex: str | None

    def matches(self, file_name: str) -> bool:
        if self.exact is not None:
            return file_name == self.exact
        return self.regex is not None and re.fullmatch(self.regex, file_name) is not None

    def __str__(self) -> str:
        return self.exact if self.exact is not None else f"regex:{self.regex}"


@dataclass(frozen=True)
class SdkEntry:
    """One SDK and every signature that reveals it."""

    id: str
    name: str
    name_zh: str | None
    vendor: str | None
    vendor_zh: str | None
    categories: tuple[str, ...]
    parent: str | None
    class_prefixes: tuple[str, ...]  # smali, ending in "/": "Lcom/umeng/analytics/"
    components: tuple[tuple[str, str], ...]  # (kind, name); name exact, "*.Suffix" or "prefix.*"
    meta_data: tuple[str, ...]
    permissions: tuple[str, ...]  # exact, "*.Suffix" or "prefix.*"
    native_libs: tuple[NativeLibPattern, ...]
    assets: tuple[str, ...]  # paths under assets/
    domains: tuple[str, ...]  # registrable domains or hosts, lower-case
    init_calls: tuple[str, ...]  # smali "Lcom/umeng/commonsdk/UMConfigure;->init"
    pi_types: tuple[str, ...]
    pi_types_basis: str | None
    privacy_policy_url: str | None
    sources: tuple[str, ...]
    region: str | None = None  # "cn" | "global"; None when a user file does not say
    bundles: tuple[str, ...] = ()  # ids of SDKs this one carries inside it


class SdkDatabase:
    """SDK entries with fast lookups by class, host and initialisation call."""

    def __init__(self, entries: Iterable[SdkEntry]) -> None:
        self.entries: tuple[SdkEntry, ...] = tuple(entries)
        self._by_id = {entry.id: entry for entry in self.entries}
        # Every prefix in one dict, and every package that leads to one ("Lcom/", no; "Lcom/umeng/",
        # "Lcom/umeng/message/", yes): owning_prefix walks a class's packages from the second segment
        # down and stops at the first one that leads nowhere (see owning_prefix).
        self._prefixes = {prefix: entry for entry in self.entries for prefix in entry.class_prefixes}
        self._paths = frozenset(path for prefix in self._prefixes for path in _paths_to(prefix))
        self._domains = {domain: entry for entry in self.entries for domain in entry.domains}
        self._init_calls = {call: entry for entry in self.entries for call in entry.init_calls}
        children: dict[str, list[SdkEntry]] = {}
        for entry in self.entries:
            if entry.parent is not None:
                children.setdefault(entry.parent, []).append(entry)
        self._children = {sdk_id: tuple(kids) for sdk_id, kids in children.items()}

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, sdk_id: str) -> SdkEntry | None:
        return self._by_id.get(sdk_id)

    def children(self, sdk_id: str) -> tuple[SdkEntry, ...]:
        """Entries whose ``parent`` is ``sdk_id``, in file order."""
        return self._children.get(sdk_id, ())

    def ancestors(self, sdk_id: str) -> tuple[SdkEntry, ...]:
        """The parent chain of ``sdk_id``, nearest first (empty for a top-level or unknown id)."""
        chain: list[SdkEntry] = []
        entry = self._by_id.get(sdk_id)
        while entry is not None and entry.parent is not None and len(chain) < len(self.entries):
            entry = self._by_id.get(entry.parent)  # the length bound guards against a looping chain
            if entry is not None:
                chain.append(entry)
        return tuple(chain)

    def related(self, first_id: str, second_id: str) -> bool:
        """True when one id is the other or one of its ancestors (the same SDK family line)."""
        if first_id == second_id:
            return True
        return any(a.id == second_id for a in self.ancestors(first_id)) or any(
            a.id == first_id for a in self.ancestors(second_id)
        )

    def owning_prefix(self, smali_class: str) -> tuple[str, SdkEntry] | None:
        """The longest class prefix covering ``smali_class`` ("Lcom/x/Y;") and its entry.

        Called once per class of the app (10^6 for a large one), so it walks the class's own package
        boundaries from the second segment down, one set probe each, and stops at the first package
        that leads to no prefix: a class outside every SDK root costs two ``str.find`` calls and one
        set probe, whatever the size of the database.
        """
        first = smali_class.find("/", 1)
        if first < 0:
            return None
        end = smali_class.find("/", first + 1)
        paths, prefixes = self._paths, self._prefixes
        found: tuple[str, SdkEntry] | None = None
        while end >= 0:
            package = smali_class[: end + 1]
            if package not in paths:
                break
            entry = prefixes.get(package)
            if entry is not None:
                found = (package, entry)
            end = smali_class.find("/", end + 1)
        return found

    def owner_of_class(self, smali_class: str) -> SdkEntry | None:
        found = self.owning_prefix(smali_class)
        return found[1] if found else None

    def domain_owner(self, host: str) -> tuple[str, SdkEntry] | None:
        """The longest database domain that ``host`` equals or is a subdomain of, and its entry."""
        name = host.strip().rstrip(".").lower()
        while name:
            entry = self._domains.get(name)
            if entry is not None:
                return name, entry
            dot = name.find(".")
            if dot < 0:
                return None
            name = name[dot + 1 :]
        return None

    def sdk_for_host(self, host: str) -> SdkEntry | None:
        found = self.domain_owner(host)
        return found[1] if found else None

    def init_call_owner(self, method_ref_prefix: str) -> SdkEntry | None:
        """The SDK whose init call ``method_ref_prefix`` is ("Lx/Y;->init", descriptor optional)."""
        return self._init_calls.get(method_ref_prefix.split("(", 1)[0])


# --------------------------------------------------------------------------- loading


def load_sdk_database(path: Path | None = None) -> SdkDatabase:
    """Load the packaged database (cached), or a user file at ``path`` in the same format."""
    if path is None:
        return _packaged_database()
    source, doc = read_yaml_file(path)
    return build_sdk_database(source, doc, load_pi_taxonomy(), packaged_rules())


@functools.cache
def _packaged_database() -> SdkDatabase:
    source, doc = read_packaged_yaml(DATA_FILE)
    return build_sdk_database(source, doc, load_pi_taxonomy(), None)


@dataclass(frozen=True)
class _Rules:
    """What every entry is checked against: prefix policy and the category vocabulary."""

    vendor_roots: tuple[str, ...]  # smali form
    min_segments: int
    categories: frozenset[str]


@functools.cache
def packaged_rules() -> _Rules:
    source, doc = read_packaged_yaml(DATA_FILE)
    return _rules_of(source, doc, None)


def _rules_of(source: str, doc: Mapping[str, Any], base: _Rules | None) -> _Rules:
    """The file's own rules, tightened by ``base`` (the packaged rules) for user files."""
    roots: set[str] = set(base.vendor_roots) if base else set()
    min_segments = base.min_segments if base else HARD_MIN_SEGMENTS
    categories = set(base.categories) if base else set()
    if "prefix_policy" in doc or base is None:
        policy = Entry(source, "prefix_policy", section(source, doc, "prefix_policy", dict))
        policy.only({"min_segments", "vendor_roots"})
        own_min = policy.optional_int("min_segments")
        min_segments = max(min_segments, own_min or HARD_MIN_SEGMENTS)
        roots |= {_to_smali_prefix(policy, root) for root in policy.texts("vendor_roots")}
    if "categories" in doc or base is None:
        categories |= set(section(source, doc, "categories", list))
    return _Rules(tuple(sorted(roots)), min_segments, frozenset(categories))


def build_sdk_database(
    source: str, doc: Mapping[str, Any], taxonomy: PiTaxonomy, base_rules: _Rules | None
) -> SdkDatabase:
    """Validate a parsed SDK database document; ``base_rules`` apply on top of the file's own."""
    rules = _rules_of(source, doc, base_rules)
    declared_sources = doc.get("sources") if isinstance(doc.get("sources"), dict) else None
    entries: list[SdkEntry] = []
    owners: dict[tuple[str, str], str] = {}  # (kind, value) -> entry id, for unique prefixes/domains/calls
    for index, raw in enumerate(section(source, doc, "sdks", list)):
        sdk_id = raw.get("id") if isinstance(raw, dict) else None
        entry = Entry(source, f"SDK entry {sdk_id or f'#{index}'!r}", raw)
        sdk = _build_entry(entry, rules, taxonomy, declared_sources)
        if any(other.id == sdk.id for other in entries):
            raise entry.error("duplicate SDK id")
        # A class, host or call must lead to one SDK; shared keys belong on a common parent entry.
        for kind, values in (
            ("class prefix", sdk.class_prefixes),
            ("domain", sdk.domains),
            ("init call", sdk.init_calls),
        ):
            for value in values:
                owner = owners.setdefault((kind, value), sdk.id)
                if owner != sdk.id:
                    raise entry.error(f"{kind} {value!r} is already used by SDK entry {owner!r}")
        entries.append(sdk)
    check_relations(source, entries)
    return SdkDatabase(entries)


def _build_entry(
    entry: Entry, rules: _Rules, taxonomy: PiTaxonomy, declared_sources: Mapping[str, Any] | None
) -> SdkEntry:
    entry.only(_ENTRY_KEYS)
    sdk_id = entry.text("id")
    if not _ID_RE.match(sdk_id):
        raise entry.error("'id' must be lower-case letters, digits and underscores")
    categories = entry.texts("categories")
    if not categories:
        raise entry.error("'categories' must list at least one category")
    for category in categories:
        if category not in rules.categories:
            raise entry.error(f"unknown category {category!r}")
    basis = entry.optional_text("pi_types_basis")
    if basis is not None and basis not in PI_TYPES_BASES:
        raise entry.error(f"unknown pi_types_basis {basis!r}")
    region = entry.optional_text("region")
    if region is not None and region not in REGIONS:
        raise entry.error(f"unknown region {region!r} (use {' or '.join(sorted(REGIONS))})")
    sdk = SdkEntry(
        id=sdk_id,
        name=entry.text("name"),
        name_zh=entry.optional_text("name_zh"),
        vendor=entry.optional_text("vendor"),
        vendor_zh=entry.optional_text("vendor_zh"),
        categories=categories,
        parent=entry.optional_text("parent"),
        class_prefixes=tuple(_class_prefix(entry, item, rules) for item in _loaded(entry, "class_prefixes")),
        components=_components(entry),
        meta_data=tuple(item["value"] for item in _loaded(entry, "meta_data")),
        permissions=tuple(_name_pattern(entry, "permissions", item["value"]) for item in _loaded(entry, "permissions")),
        native_libs=tuple(_native_lib(entry, item) for item in _loaded(entry, "native_libs", regex=True)),
        assets=tuple(_asset(item["value"]) for item in _loaded(entry, "assets")),
        domains=tuple(_domain(entry, item["value"]) for item in _loaded(entry, "domains")),
        init_calls=tuple(_init_call(entry, item["value"]) for item in _loaded(entry, "init_calls")),
        pi_types=entry.texts("pi_types"),
        pi_types_basis=basis,
        privacy_policy_url=entry.optional_text("privacy_policy_url"),
        sources=entry.texts("sources"),
        region=region,
        bundles=entry.texts("bundles"),
    )
    check_pi_types(entry, sdk.pi_types, taxonomy)
    check_sources(entry, sdk.sources, declared_sources)
    if not (sdk.class_prefixes or sdk.components or sdk.meta_data or sdk.native_libs or sdk.assets):
        raise entry.error("needs at least one code, manifest, native-library or asset signature")
    return sdk


def _loaded(entry: Entry, key: str, *, regex: bool = False) -> list[dict[str, Any]]:
    """The signature items of ``key`` as dicts, minus those marked ``status: unverified``."""
    items = []
    for raw in entry.items(key):
        if isinstance(raw, str):
            item: dict[str, Any] = {"value": entry.text_item(key, raw)}
        elif isinstance(raw, Mapping):
            unknown = set(raw) - _SIGNATURE_KEYS
            if unknown:
                raise entry.error(f"'{key}' item has unknown key(s) {', '.join(sorted(unknown))}")
            item = dict(raw)
            if raw.get("status", "verified") not in ("verified", "unverified"):
                raise entry.error(f"'{key}' item status must be verified or unverified")
            if ("value" in item) == ("regex" in item) or ("regex" in item and not regex):
                raise entry.error(f"'{key}' item needs exactly one of 'value'{' or regex' if regex else ''}")
            for field in ("value", "regex"):
                if field in item:
                    entry.text_item(key, item[field])
            if item.get("status") == "unverified":
                continue
        else:
            raise entry.error(f"'{key}' items must be strings or mappings, got {raw!r}")
        items.append(item)
    return items


def _class_prefix(entry: Entry, item: Mapping[str, Any], rules: _Rules) -> str:
    prefix = _to_smali_prefix(entry, item["value"])
    segments = prefix.count("/")
    reason = item.get("allow_short")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise entry.error(f"class prefix {item['value']!r}: 'allow_short' must give a reason")
    for root in rules.vendor_roots:
        if root.startswith(prefix):
            raise entry.error(
                f"class prefix {item['value']!r} is over-broad: it covers the vendor root {_dotted(root)!r}"
            )
    if segments < HARD_MIN_SEGMENTS or (segments < rules.min_segments and reason is None):
        raise entry.error(
            f"class prefix {item['value']!r} has {segments} package segment(s); at least "
            f"{rules.min_segments} are required unless 'allow_short' gives a reason"
        )
    return prefix


def _to_smali_prefix(entry: Entry, raw: str) -> str:
    """``com.umeng.analytics.`` or ``Lcom/umeng/analytics/`` -> ``Lcom/umeng/analytics/``."""
    if raw.startswith("L") and "/" in raw:
        if not raw.endswith("/"):
            raise entry.error(f"smali class prefix {raw!r} must end with '/'")
        segments = raw[1:-1].split("/")
    else:
        if not raw.endswith("."):
            raise entry.error(f"class prefix {raw!r} must end with '.' (a whole package)")
        segments = raw[:-1].split(".")
    if not all(_SEGMENT_RE.match(segment) for segment in segments):
        raise entry.error(f"class prefix {raw!r} is not a package name")
    return "L" + "/".join(segments) + "/"


def _dotted(smali_prefix: str) -> str:
    return smali_prefix[1:].replace("/", ".")


def _paths_to(smali_prefix: str) -> list[str]:
    """The packages of two or more segments leading to a prefix, the prefix included:
    "Lcom/umeng/message/" -> ["Lcom/umeng/", "Lcom/umeng/message/"]."""
    paths = []
    end = smali_prefix.find("/", smali_prefix.find("/", 1) + 1)
    while end >= 0:
        paths.append(smali_prefix[: end + 1])
        end = smali_prefix.find("/", end + 1)
    return paths


def _components(entry: Entry) -> tuple[tuple[str, str], ...]:
    components = []
    for raw_kind, names in entry.mapping("components").items():
        kind = _PLURAL_KINDS.get(raw_kind, raw_kind)
        if kind not in COMPONENT_KINDS:
            raise entry.error(f"unknown component kind {raw_kind!r} (use {', '.join(COMPONENT_KINDS)})")
        if not isinstance(names, list):
            raise entry.error(f"components.{raw_kind} must be a list")
        sub = Entry(entry.source, entry.label, {raw_kind: names})
        for item in _loaded(sub, raw_kind):
            components.append((kind, _name_pattern(entry, f"components.{raw_kind}", item["value"])))
    return tuple(components)


def _name_pattern(entry: Entry, key: str, name: str) -> str:
    """A dotted name, "*.Suffix" (any package) or "prefix.*" (anything below)."""
    if name.startswith("*."):
        valid = _NAME_PART_RE.match(name[2:])
    elif name.endswith(".*"):
        valid = _NAME_PART_RE.match(name[:-2])
    else:
        valid = _DOTTED_NAME_RE.match(name)
    if not valid:
        raise entry.error(f"'{key}' value {name!r} is not a dotted name, '*.Suffix' or 'prefix.*'")
    return name


def _native_lib(entry: Entry, item: Mapping[str, Any]) -> NativeLibPattern:
    if "regex" in item:
        try:
            re.compile(item["regex"])
        except re.error as exc:
            raise entry.error(f"native_libs regex {item['regex']!r} is invalid: {exc}") from exc
        return NativeLibPattern(exact=None, regex=item["regex"])
    if "/" in item["value"]:
        raise entry.error(f"native_libs value {item['value']!r} must be a file name, not a path")
    return NativeLibPattern(exact=item["value"], regex=None)


def _asset(path: str) -> str:
    return path.removeprefix("assets/")


def _domain(entry: Entry, raw: str) -> str:
    domain = raw.strip().rstrip(".").lower()
    if not _HOST_RE.match(domain):
        raise entry.error(f"domain {raw!r} is not a host name (no scheme, path or wildcard)")
    return domain


def _init_call(entry: Entry, call: str) -> str:
    if not _INIT_CALL_RE.match(call):
        raise entry.error(f"init call {call!r} is not a smali member reference like 'Lpkg/Class;->name'")
    return call


def check_relations(
    source: str, entries: list[SdkEntry] | Mapping[str, SdkEntry], error: type[DataFileError] = DataFileError
) -> None:
    """Every ``parent`` and ``bundles`` id exists; parent chains do not loop. Raises ``error``."""
    by_id = dict(entries) if isinstance(entries, Mapping) else {sdk.id: sdk for sdk in entries}
    for sdk in by_id.values():
        for bundled in sdk.bundles:
            if bundled not in by_id or bundled == sdk.id:
                what = "itself" if bundled == sdk.id else f"unknown entry {bundled!r}"
                raise error(f"{source}: SDK entry {sdk.id!r}: 'bundles' names {what}")
        seen = {sdk.id}
        parent = sdk.parent
        while parent is not None:
            if parent not in by_id:
                raise error(f"{source}: SDK entry {sdk.id!r}: unknown parent {parent!r}")
            if parent in seen:
                raise error(f"{source}: SDK entry {sdk.id!r}: parent chain loops through {parent!r}")
            seen.add(parent)
            parent = by_id[parent].parent
