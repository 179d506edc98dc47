"""User SDK databases layered on top of the packaged one (``appaudit scan --sdk-db FILE``, repeatable).

Each user file is validated exactly as :func:`~appaudit.knowledge.sdk_db.load_sdk_database` validates
it (packaged prefix policy and categories, the file's own additions), and then against everything
below it:

* an entry whose ``id`` is already known (packaged, or from an earlier user file) **replaces** that
  entry, keeping its place in the order; each replacement is reported as a note;
* any other entry is added;
* ``parent`` and ``bundles`` may name entries of any lower layer; they must exist, and parent chains
  must not loop;
* a class prefix, domain or init call still leads to one SDK across all layers: a user entry cannot
  take one that a remaining lower entry owns (override that entry instead).

A problem in a user file raises :class:`UserDataError` (a :class:`DataFileError` with exit code 2:
the user's input, not appaudit, is at fault).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from appaudit.errors import DataFileError, ExitCode
from appaudit.knowledge.loader import SCHEMA_VERSION, read_packaged_yaml, read_yaml_file, section
from appaudit.knowledge.pi_types import load_pi_taxonomy
from appaudit.knowledge.sdk_db import (
    DATA_FILE,
    SdkDatabase,
    SdkEntry,
    build_sdk_database,
    check_relations,
    load_sdk_database,
    packaged_rules,  # the packaged prefix policy and categories, the floor for every user file
)

PACKAGED = "packaged"
_HAS_BUNDLES = any(item.name == "bundles" for item in fields(SdkEntry))


class UserDataError(DataFileError):
    """A user-supplied SDK database or import file is invalid (exit code 2)."""

    exit_code = ExitCode.INPUT_ERROR


@dataclass(frozen=True)
class PrefixPolicy:
    """The packaged class-prefix policy: vendor roots (smali form) and the minimum segment count."""

    vendor_roots: tuple[str, ...]
    min_segments: int


def packaged_prefix_policy() -> PrefixPolicy:
    rules = packaged_rules()
    return PrefixPolicy(tuple(rules.vendor_roots), rules.min_segments)


def packaged_categories() -> frozenset[str]:
    return frozenset(packaged_rules().categories)


@dataclass
class LayeredDatabase:
    """The packaged database with user files on top, plus what an editor or ``sdks show`` needs."""

    database: SdkDatabase
    raw_entries: dict[str, dict[str, Any]]  # id -> the entry as written in its file
    origins: dict[str, str]  # id -> "packaged" or the user file that defined it
    declared_sources: dict[str, Any]  # source id -> declaration, packaged and user files merged
    notes: list[str] = field(default_factory=list)


def load_with_user_databases(paths: Sequence[Path], on_note: Callable[[str], None] | None = None) -> SdkDatabase:
    """The packaged database with the user files in ``paths`` added on top, in order.

    ``on_note`` receives one message per overridden entry. With no paths this is the cached packaged
    database itself.
    """
    if not paths:
        return load_sdk_database()
    layered = load_layers(paths)
    if on_note is not None:
        for note in layered.notes:
            on_note(note)
    return layered.database


def load_layers(paths: Iterable[Path]) -> LayeredDatabase:
    """Like :func:`load_with_user_databases`, keeping raw entries, origins and notes."""
    layered = _packaged_layer()
    for path in paths:
        try:
            source, doc = read_yaml_file(path)
        except DataFileError as exc:
            raise UserDataError(str(exc)) from exc
        add_layer(layered, source, doc)
    return layered


def add_layer(layered: LayeredDatabase, source: str, doc: Mapping[str, Any]) -> None:
    """Validate one parsed user document against ``layered`` and put its entries on top (in place)."""
    try:
        _add_layer(layered, source, doc)
    except UserDataError:
        raise
    except DataFileError as exc:
        raise UserDataError(str(exc)) from exc


def check_entry(raw: Mapping[str, Any]) -> str | None:
    """Why the entry dict ``raw`` would be rejected in a user database on its own, or None.

    ``parent`` and ``bundles`` are not checked here (they may name entries of a lower layer).
    """
    entry = {key: value for key, value in raw.items() if key not in ("parent", "bundles")}
    try:
        build_sdk_database("entry", {"sdks": [entry]}, load_pi_taxonomy(), packaged_rules())
    except DataFileError as exc:
        return str(exc).removeprefix("entry: ")
    return None


def entry_as_dict(sdk: SdkEntry, *, loadable: bool = False) -> dict[str, Any]:
    """A loaded entry in the ``sdks.yaml`` shape (class prefixes dotted), leaving out empty fields.

    With ``loadable``, a class prefix shorter than the policy minimum gets an ``allow_short`` (the
    original reason is not kept in a loaded entry), so the dict loads again as a user entry.
    """
    min_segments = packaged_rules().min_segments
    prefixes: list[Any] = []
    for prefix in sdk.class_prefixes:
        dotted = prefix[1:].replace("/", ".")
        if loadable and prefix.count("/") < min_segments:
            prefixes.append({"value": dotted, "allow_short": "accepted by the database it was copied from"})
        else:
            prefixes.append(dotted)
    components: dict[str, list[str]] = {}
    for kind, name in sdk.components:
        components.setdefault(kind, []).append(name)
    result: dict[str, Any] = {
        "id": sdk.id,
        "parent": sdk.parent,
        "name": sdk.name,
        "name_zh": sdk.name_zh,
        "vendor": sdk.vendor,
        "vendor_zh": sdk.vendor_zh,
        "categories": list(sdk.categories),
        "class_prefixes": prefixes,
        "components": components,
        "meta_data": list(sdk.meta_data),
        "permissions": list(sdk.permissions),
        "native_libs": [lib.exact if lib.exact is not None else {"regex": lib.regex} for lib in sdk.native_libs],
        "assets": list(sdk.assets),
        "domains": list(sdk.domains),
        "init_calls": list(sdk.init_calls),
        "pi_types": list(sdk.pi_types),
        "pi_types_basis": sdk.pi_types_basis,
        "privacy_policy_url": sdk.privacy_policy_url,
    }
    for extra in fields(sdk):  # fields added to SdkEntry later (e.g. region) come along as they are
        if extra.name not in result and extra.name != "sources":
            result[extra.name] = _plain(getattr(sdk, extra.name))
    result["sources"] = list(sdk.sources)
    return {key: value for key, value in result.items() if value not in (None, [], {}, ())}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


USER_DATABASE_HEADER = """\
# appaudit user SDK database (format: appaudit/data/README.md), written by `appaudit sdks import`.
# Use it with `appaudit scan --sdk-db FILE`: its entries are added to the built-in database, and an
# entry whose id is a built-in SDK replaces that entry. Signatures with `status: unverified` are kept
# for review only and are not used; confirm one and remove its status to use it.
"""


def dump_user_database(entries: Sequence[Mapping[str, Any]]) -> str:
    """A user database document holding ``entries``, as YAML text."""
    body = yaml.safe_dump(
        {"schema_version": SCHEMA_VERSION, "sdks": [dict(entry) for entry in entries]},
        allow_unicode=True,
        sort_keys=False,
        width=110,
    )
    return USER_DATABASE_HEADER + body


def packaged_raw_entries() -> dict[str, dict[str, Any]]:
    """The packaged entries as written in ``sdks.yaml`` (deep copies), by id."""
    return copy.deepcopy(_packaged_raw()[1])


# --------------------------------------------------------------------------- internals


@functools.cache
def _packaged_raw() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    _source, doc = read_packaged_yaml(DATA_FILE)
    sources = dict(doc.get("sources") or {})
    return sources, {raw["id"]: raw for raw in doc["sdks"]}


def _packaged_layer() -> LayeredDatabase:
    sources, raw = _packaged_raw()
    database = load_sdk_database()
    return LayeredDatabase(
        database=database,
        raw_entries=copy.deepcopy(raw),
        origins={sdk.id: PACKAGED for sdk in database.entries},
        declared_sources=dict(sources),
    )


def _add_layer(layered: LayeredDatabase, source: str, doc: Mapping[str, Any]) -> None:
    raw_items = section(source, doc, "sdks", list)
    below = {sdk.id: sdk for sdk in layered.database.entries}
    own_ids = {raw.get("id") for raw in raw_items if isinstance(raw, dict) and isinstance(raw.get("id"), str)}
    # The file is checked on its own, as load_sdk_database(path) would; references to entries of a
    # lower layer (parent, bundles) are set aside for that check and restored afterwards.
    set_aside: dict[int, dict[str, Any]] = {}
    checked_items: list[Any] = []
    for index, raw in enumerate(raw_items):
        if isinstance(raw, dict):
            checked, restore = _without_outside_references(raw, own_ids, below)
            if restore:
                set_aside[index] = restore
                raw = checked
        checked_items.append(raw)
    own = build_sdk_database(source, {**doc, "sdks": checked_items}, load_pi_taxonomy(), packaged_rules())

    merged = dict(below)
    added: list[SdkEntry] = []
    for index, sdk in enumerate(own.entries):
        if index in set_aside:
            sdk = replace(sdk, **set_aside[index])
        if sdk.id in below:
            previous = layered.origins[sdk.id]
            what = "the packaged entry" if previous == PACKAGED else f"the entry from {previous}"
            layered.notes.append(f"{source}: SDK entry {sdk.id!r} overrides {what}")
        merged[sdk.id] = sdk  # an override keeps the overridden entry's place
        added.append(sdk)
    added_ids = {sdk.id for sdk in added}
    lower = [sdk for sdk in merged.values() if sdk.id not in added_ids]
    _check_unique_owners(source, lower, added, layered.origins)
    check_relations(source, merged, UserDataError)

    layered.database = SdkDatabase(merged.values())
    for index, sdk in enumerate(added):
        layered.raw_entries[sdk.id] = copy.deepcopy(dict(raw_items[index]))
        layered.origins[sdk.id] = source
    if isinstance(doc.get("sources"), dict):
        layered.declared_sources.update(doc["sources"])


def _check_unique_owners(source: str, lower: list[SdkEntry], added: list[SdkEntry], origins: Mapping[str, str]) -> None:
    """Class prefixes, domains and init calls of ``added`` must not be owned by any other entry."""
    owners: dict[tuple[str, str], str] = {}
    for sdk in lower:
        for key in _exclusive_keys(sdk):
            owners[key] = sdk.id
    for sdk in added:
        for kind, value in _exclusive_keys(sdk):
            owner = owners.setdefault((kind, value), sdk.id)
            if owner != sdk.id:
                where = origins.get(owner, source)
                raise UserDataError(
                    f"{source}: SDK entry {sdk.id!r}: {kind} {value!r} is already used by SDK entry "
                    f"{owner!r} ({where}); override that entry to move it"
                )


def _exclusive_keys(sdk: SdkEntry) -> Iterable[tuple[str, str]]:
    for prefix in sdk.class_prefixes:
        yield "class prefix", prefix
    for domain in sdk.domains:
        yield "domain", domain
    for call in sdk.init_calls:
        yield "init call", call


def _without_outside_references(
    raw: dict[str, Any], own_ids: set[Any], below: Mapping[str, SdkEntry]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``raw`` minus references to lower-layer entries, and the SdkEntry fields that restore them."""
    checked = dict(raw)
    restore: dict[str, Any] = {}
    parent = raw.get("parent")
    if isinstance(parent, str) and parent not in own_ids and parent in below:
        del checked["parent"]
        restore["parent"] = parent
    bundles = raw.get("bundles")
    if _HAS_BUNDLES and isinstance(bundles, list) and all(isinstance(item, str) for item in bundles):
        outside = [item for item in bundles if item not in own_ids and item in below]
        if outside:
            checked["bundles"] = [item for item in bundles if item not in outside]
            restore["bundles"] = tuple(bundles)
    return checked, restore
