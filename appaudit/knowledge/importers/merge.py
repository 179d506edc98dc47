"""Fold imported entries into an SDK database without duplicating SDKs it already knows.

For each imported entry, every loaded signature is looked up in the database (and in the entries
this merge has already produced). A signature *votes* for the SDK that lists it exactly (a component
name matched by a ``prefix.*`` pattern and a library matched by a regex count as listed). A class
under another SDK's prefix does not vote: family prefixes such as ``org.android.agoo.`` (shared by
Umeng and Aliyun push) or ``cn.jiguang.`` would otherwise absorb every sibling product. Then:

* no votes: a genuinely new SDK, written under the importer's id (``exodus_…``, ``libchecker_…``);
* otherwise the entry is attached to the SDK with most votes: its signatures that no SDK has yet are
  added there (each with a note naming the import) together with the import as a source, and the
  result is written as an override of that SDK (a user entry with the same id). A signature another
  SDK owns, a class prefix or domain under another SDK's, or broader than one the database
  deliberately keeps narrow, is not attached and is reported.

An SDK the import only confirms (nothing new to add) is reported but not written: an override would
freeze the packaged entry at this version for no gain. Every written entry is validated like a user
database entry first; one that fails is reported and left out.
"""

from __future__ import annotations

import bisect
import copy
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from appaudit.knowledge.importers.common import unique_id
from appaudit.knowledge.sdk_db import COMPONENT_KINDS, SdkDatabase, SdkEntry
from appaudit.knowledge.user_db import check_entry, entry_as_dict, packaged_raw_entries

EXCLUSIVE_FIELDS = ("class_prefixes", "domains", "init_calls")
SHARED_FIELDS = ("meta_data", "permissions", "assets", "native_libs")
_PLURAL_KINDS = {f"{kind}s": kind for kind in COMPONENT_KINDS} | {"activities": "activity"}
_SHOWN = {
    "class_prefixes": "class prefix", "domains": "domain", "init_calls": "init call",
    "meta_data": "meta-data", "permissions": "permission", "assets": "asset", "native_libs": "native lib",
}  # fmt: skip
ENTRY_KEY_ORDER = (
    "id", "parent", "name", "name_zh", "vendor", "vendor_zh", "categories", "class_prefixes", "components",
    "meta_data", "permissions", "native_libs", "assets", "domains", "init_calls", "pi_types", "pi_types_basis",
    "privacy_policy_url", "website", "docs_url", "registry_ids", "notes",
)  # fmt: skip


@dataclass(frozen=True)
class _Sig:
    """One loaded signature, normalised for lookup; ``item`` is what the YAML file holds."""

    field: str
    kind: str  # component kind, "" for other fields
    key: str  # smali prefix, lower-case domain, "exact:lib.so" / "regex:...", or the name
    item: Any = field(compare=False, hash=False, default=None)

    def __str__(self) -> str:
        if self.field == "components":
            return f"{self.kind} {self.key}"
        if self.field == "class_prefixes":
            return f"class prefix {_dotted(self.key)}"
        return f"{_SHOWN[self.field]} {self.key.removeprefix('exact:')}"


def merge_entries(
    base: SdkDatabase,
    imported: Iterable[dict[str, Any]],
    *,
    raw_entries: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """(entries to write as a user database, report lines).

    Report lines start with ``added``, ``merged``, ``confirmed`` or ``skipped``. ``raw_entries`` are
    the base entries as written in their files (default: the packaged ones); an override starts from
    that text, so comments aside nothing of the original entry is lost.
    """
    raw = raw_entries if raw_entries is not None else packaged_raw_entries()
    state = _Merge(base, raw)
    for entry in imported:
        state.merge(entry)
    return [_ordered(entry) for entry in state.written.values()], state.report


class _Merge:
    def __init__(self, base: SdkDatabase, raw: Mapping[str, Mapping[str, Any]]) -> None:
        self.base = base
        self.raw = raw
        self.index = _Index()
        for sdk in base.entries:
            for sig in _loaded_signatures(sdk):
                self.index.add(sig, sdk.id, trusted=True)
        self.ids = {sdk.id for sdk in base.entries}
        self.written: dict[str, dict[str, Any]] = {}
        self.report: list[str] = []

    def merge(self, entry: dict[str, Any]) -> None:
        label = f"{entry.get('id')} ({entry.get('name')})"
        sigs = _raw_signatures(entry)
        owners = {sig: self.index.owners(sig) for sig in sigs}
        votes: Counter[str] = Counter()
        for sig in sigs:
            votes.update(sorted(owners[sig][0]))
        if not votes:
            self._add_new(entry, label, sigs, owners)
            return
        first = list(votes)  # Counter keeps first-vote order: ties go to the earliest signature's SDK
        target = max(first, key=lambda owner: (votes[owner], -first.index(owner)))
        additions: list[_Sig] = []
        skipped: list[str] = []
        for sig in sigs:
            reason = self._why_not_attached(sig, *owners[sig], target)
            if reason == "":
                additions.append(sig)
            elif reason is not None:
                skipped.append(f"skipped {label}: {sig}: {reason}")
        also = sorted(owner for owner in votes if owner != target)
        also_text = f" (also matches {', '.join(also)})" if also else ""
        if additions:
            self._attach(entry, label, target, additions, also_text)
        else:
            if target in self.written:
                _add_provenance(self.written[target], entry)
            self.report.append(f"confirmed {label}: already in {target}, nothing new{also_text}")
        self.report.extend(skipped)

    def _why_not_attached(self, sig: _Sig, exact: set[str], namespace: set[str], target: str) -> str | None:
        """None: the target has it already; "": attach it; otherwise why it is not attached."""
        if target in exact:
            return None
        if exact:
            return f"already belongs to {', '.join(sorted(exact))}"
        if namespace and target not in namespace:
            return f"its class lies under the class prefixes of {', '.join(sorted(namespace))}"
        if sig.field in EXCLUSIVE_FIELDS:
            enclosing = self.index.enclosing(sig)
            if enclosing is not None:
                owner, key = enclosing
                return None if owner == target else f"lies under {owner}'s {_key_text(sig.field, key)}"
            covered = self.index.covered(sig)
            if covered:
                owner, key = covered[0]
                return f"broader than {owner}'s {_key_text(sig.field, key)}; the database keeps the narrower one"
        return ""

    def _add_new(
        self, entry: dict[str, Any], label: str, sigs: list[_Sig], owners: Mapping[_Sig, tuple[set[str], set[str]]]
    ) -> None:
        candidate = copy.deepcopy(entry)
        candidate["id"] = unique_id(str(entry.get("id")), self.ids)
        problem = check_entry(candidate)
        if problem is not None:
            self.ids.discard(candidate["id"])
            self.report.append(f"skipped {label}: {problem}")
            return
        self.written[candidate["id"]] = candidate
        for sig in sigs:
            self.index.add(sig, candidate["id"])
        counts = Counter(_SHOWN.get(sig.field, "component") for sig in sigs)
        summary = ", ".join(f"{count} {_plural(kind, count)}" for kind, count in counts.items())
        neighbours = sorted({owner for sig in sigs for owner in owners[sig][1]})
        near = f"; some component classes lie under the class prefixes of {', '.join(neighbours)}" if neighbours else ""
        self.report.append(f"added {candidate['id']}: new SDK {entry.get('name')!r} ({summary}{near})")

    def _attach(self, entry: dict[str, Any], label: str, target: str, additions: list[_Sig], also_text: str) -> None:
        if target in self.written:
            current = self.written[target]
        elif target in self.raw:
            current = copy.deepcopy(dict(self.raw[target]))
        else:
            current = entry_as_dict(_require(self.base.get(target)), loadable=True)
        candidate = copy.deepcopy(current)
        note = f"from {entry['sources'][0]}" if entry.get("sources") else "from an import"
        for sig in additions:
            _append(candidate, sig, note)
        _add_provenance(candidate, entry)
        problem = check_entry(candidate)
        if problem is not None:
            self.report.append(f"skipped {label}: cannot attach to {target}: {problem}")
            return
        self.written[target] = candidate
        for sig in additions:
            self.index.add(sig, target)
        added = ", ".join(str(sig) for sig in additions)
        self.report.append(f"merged {label} into {target}: + {added}{also_text}")


class _Index:
    """Who owns which signature, with prefix and domain neighbourhoods."""

    def __init__(self) -> None:
        self.exact: dict[tuple[str, str, str], set[str]] = {}
        self.prefixes: dict[str, str] = {}
        self.sorted_prefixes: list[str] = []
        self.domains: dict[str, str] = {}
        self.component_patterns: list[tuple[str, str, str]] = []  # (kind, pattern, owner)
        self.lib_regexes: list[tuple[re.Pattern[str], str]] = []

    def add(self, sig: _Sig, owner: str, *, trusted: bool = False) -> None:
        """Record ``owner`` for ``sig``; only ``trusted`` (database) regexes are ever run."""
        self.exact.setdefault((sig.field, sig.kind, sig.key), set()).add(owner)
        if sig.field == "class_prefixes" and sig.key not in self.prefixes:
            self.prefixes[sig.key] = owner
            bisect.insort(self.sorted_prefixes, sig.key)
        elif sig.field == "domains":
            self.domains.setdefault(sig.key, owner)
        elif sig.field == "components" and _is_pattern(sig.key):
            self.component_patterns.append((sig.kind, sig.key, owner))
        elif sig.field == "native_libs" and sig.key.startswith("regex:") and trusted:
            self.lib_regexes.append((re.compile(sig.key.removeprefix("regex:")), owner))

    def owners(self, sig: _Sig) -> tuple[set[str], set[str]]:
        """(SDKs that list ``sig``, SDKs whose class prefix covers a component's class)."""
        exact = set(self.exact.get((sig.field, sig.kind, sig.key), ()))
        namespace: set[str] = set()
        if sig.field == "components":
            name = sig.key
            if _is_pattern(name):
                package = name[:-2] if name.endswith(".*") else ""
            else:
                exact |= {
                    owner
                    for kind, pattern, owner in self.component_patterns
                    if kind == sig.kind and _pattern_matches(pattern, name)
                }
                package = name.rsplit(".", 1)[0]
            class_owner = self._package_owner(package)
            if class_owner is not None:
                namespace.add(class_owner)
        elif sig.field == "native_libs" and sig.key.startswith("exact:"):
            file_name = sig.key.removeprefix("exact:")
            exact |= {owner for regex, owner in self.lib_regexes if regex.fullmatch(file_name)}
        return exact, namespace

    def enclosing(self, sig: _Sig) -> tuple[str, str] | None:
        """The owner and key of the nearest strictly broader class prefix or parent domain."""
        if sig.field == "class_prefixes":
            parts = sig.key[1:-1].split("/")
            for end in range(len(parts) - 1, 0, -1):
                prefix = "L" + "/".join(parts[:end]) + "/"
                if prefix in self.prefixes:
                    return self.prefixes[prefix], prefix
        elif sig.field == "domains":
            name = sig.key
            while "." in name:
                name = name.split(".", 1)[1]
                if name in self.domains:
                    return self.domains[name], name
        return None

    def covered(self, sig: _Sig) -> list[tuple[str, str]]:
        """Owners and keys of class prefixes or domains strictly inside ``sig``."""
        if sig.field == "class_prefixes":
            start = bisect.bisect_right(self.sorted_prefixes, sig.key)
            found = []
            for prefix in self.sorted_prefixes[start:]:
                if not prefix.startswith(sig.key):
                    break
                found.append((self.prefixes[prefix], prefix))
            return found
        if sig.field == "domains":
            suffix = "." + sig.key
            return [(owner, name) for name, owner in self.domains.items() if name.endswith(suffix)]
        return []

    def _package_owner(self, package: str) -> str | None:
        parts = package.split(".") if package else []
        for end in range(len(parts), 0, -1):
            owner = self.prefixes.get("L" + "/".join(parts[:end]) + "/")
            if owner is not None:
                return owner
        return None


# --------------------------------------------------------------------------- signatures


def _loaded_signatures(sdk: SdkEntry) -> list[_Sig]:
    sigs = [_Sig("class_prefixes", "", prefix) for prefix in sdk.class_prefixes]
    sigs += [_Sig("domains", "", name) for name in sdk.domains]
    sigs += [_Sig("init_calls", "", call) for call in sdk.init_calls]
    sigs += [_Sig("meta_data", "", key) for key in sdk.meta_data]
    sigs += [_Sig("permissions", "", name) for name in sdk.permissions]
    sigs += [_Sig("assets", "", path) for path in sdk.assets]
    sigs += [_Sig("components", kind, name) for kind, name in sdk.components]
    sigs += [
        _Sig("native_libs", "", f"exact:{lib.exact}" if lib.exact is not None else f"regex:{lib.regex}")
        for lib in sdk.native_libs
    ]
    return sigs


def _raw_signatures(entry: Mapping[str, Any]) -> list[_Sig]:
    """The loaded signatures of an entry dict (``status: unverified`` items left out)."""
    sigs: list[_Sig] = []
    for name in (*EXCLUSIVE_FIELDS, *SHARED_FIELDS):
        for item in _items(entry.get(name)):
            key = _normalise(name, item)
            if key is not None:
                sigs.append(_Sig(name, "", key, item))
    components = entry.get("components")
    if isinstance(components, Mapping):
        for raw_kind, items in components.items():
            kind = _PLURAL_KINDS.get(raw_kind, raw_kind)
            for item in _items(items):
                value = item if isinstance(item, str) else item.get("value")
                if isinstance(value, str):
                    sigs.append(_Sig("components", kind, value, item))
    return list(dict.fromkeys(sigs))


def _items(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return []
    return [
        item for item in value
        if isinstance(item, str) or (isinstance(item, Mapping) and item.get("status") != "unverified")
    ]  # fmt: skip


def _normalise(name: str, item: Any) -> str | None:
    value = item if isinstance(item, str) else item.get("value")
    if name == "native_libs":
        if isinstance(item, Mapping) and isinstance(item.get("regex"), str):
            return f"regex:{item['regex']}"
        return f"exact:{value}" if isinstance(value, str) else None
    if not isinstance(value, str):
        return None
    if name == "class_prefixes":
        if value.startswith("L") and "/" in value:
            return value
        return "L" + value.removesuffix(".").replace(".", "/") + "/"
    if name == "domains":
        return value.strip().rstrip(".").lower()
    if name == "assets":
        return value.removeprefix("assets/")
    return value


def _plural(noun: str, count: int) -> str:
    if count == 1 or noun == "meta-data":
        return noun
    return noun + "es" if noun.endswith("x") else noun + "s"


def _is_pattern(name: str) -> bool:
    return name.startswith("*.") or name.endswith(".*")


def _pattern_matches(pattern: str, name: str) -> bool:
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    return name.startswith(pattern[:-1])


def _dotted(smali_prefix: str) -> str:
    return smali_prefix[1:].replace("/", ".")


def _key_text(field_name: str, key: str) -> str:
    return f"class prefix {_dotted(key)}" if field_name == "class_prefixes" else f"{_SHOWN[field_name]} {key}"


# --------------------------------------------------------------------------- editing entries


def _append(entry: dict[str, Any], sig: _Sig, note: str) -> None:
    item = dict(sig.item) if isinstance(sig.item, Mapping) else {"value": sig.item}
    item["note"] = note
    if sig.field == "components":
        components = entry.get("components")
        if not isinstance(components, dict):
            components = entry["components"] = {}
        key = next((k for k in components if _PLURAL_KINDS.get(k, k) == sig.kind), sig.kind)
        if not isinstance(components.get(key), list):
            components[key] = []
        components[key].append(item)
        return
    if not isinstance(entry.get(sig.field), list):
        entry[sig.field] = []
    entry[sig.field].append(item)


def _add_provenance(target: dict[str, Any], imported: Mapping[str, Any]) -> None:
    """The import's source references and registry ids, on the entry that absorbs it."""
    sources = target.get("sources")
    if not isinstance(sources, list):
        sources = target["sources"] = []
    for ref in imported.get("sources") or []:
        if ref not in sources:
            sources.append(ref)
    registry = imported.get("registry_ids")
    if isinstance(registry, Mapping):
        existing = target.get("registry_ids")
        if existing is None:
            existing = target["registry_ids"] = {}
        if isinstance(existing, dict):
            for name, value in registry.items():
                existing.setdefault(name, value)


def _ordered(entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` with keys in ``sdks.yaml`` order: known keys first, others next, ``sources`` last."""
    ordered = {key: entry[key] for key in ENTRY_KEY_ORDER if key in entry}
    ordered |= {key: value for key, value in entry.items() if key not in ordered and key != "sources"}
    if "sources" in entry:
        ordered["sources"] = entry["sources"]
    return ordered


def _require(sdk: SdkEntry | None) -> SdkEntry:
    if sdk is None:  # votes only name entries of the base or of this merge
        raise AssertionError("merge target vanished from the database")
    return sdk
