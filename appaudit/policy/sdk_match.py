"""Match an SDK name as a policy writes it ("友盟+统计SDK（U-App）") to an SDK database id.

Conservative by design: a wrong id would mark an undisclosed SDK as disclosed (item II.1), so a name
that could mean two SDKs matches none. Names are normalised (lower case; spaces, punctuation, "+" and
the word SDK dropped); the probes are the whole name, the name without its bracketed parts, and each
bracketed part. Keys come from each database entry's name and name_zh (whole, without brackets, and
bracketed parts) and from the lexicon's ``sdk_aliases``; a database key shared by two entries is
dropped. A probe matches a key exactly; failing that, the whole name may contain a key of at least
:data:`MIN_CONTAINED_KEY` characters, and the longest contained keys must all lead to one id. The
vendor, when written, can veto a match: if it names a company in the database and the matched SDK is
not one of that company's, the match is dropped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from appaudit.knowledge.sdk_db import SdkDatabase

MIN_CONTAINED_KEY = 4
MIN_VENDOR_KEY = 4
_BRACKETED = re.compile(r"[（(\[【]([^（()）\]】]*)[)）\]】]")
_DROP = re.compile(r"[\s+＋·・\-_—–/、，,.。:：;；'\"“”‘’!！?？&＆|（）()\[\]【】]|sdk|软件开发工具包")


def normalise(name: str) -> str:
    return _DROP.sub("", name.lower())


def _variants(name: str) -> list[str]:
    """The whole name, the name without bracketed parts, and each bracketed part, normalised."""
    found = [normalise(name), normalise(_BRACKETED.sub("", name))]
    found += [normalise(part) for part in _BRACKETED.findall(name)]
    return [v for v in dict.fromkeys(found) if v]


class SdkMatcher:
    """Name (and vendor) to SDK id, or None when unknown or ambiguous."""

    def __init__(self, db: SdkDatabase, aliases: Mapping[str, Iterable[str]]) -> None:
        self._db = db
        owners: dict[str, set[str]] = defaultdict(set)
        for entry in db.entries:
            for name in (entry.name, entry.name_zh):
                for key in _variants(name or ""):
                    owners[key].add(entry.id)
        keys = {key: next(iter(ids)) for key, ids in owners.items() if len(ids) == 1}
        for sdk_id, names in aliases.items():  # curated aliases win over database-derived keys
            if db.get(sdk_id) is None:
                continue
            for alias in names:
                keys[normalise(alias)] = sdk_id
        self._keys = keys
        self._contained = sorted((k for k in keys if len(k) >= MIN_CONTAINED_KEY), key=len, reverse=True)
        vendors: dict[str, set[str]] = defaultdict(set)
        for entry in db.entries:
            for vendor in (entry.vendor, entry.vendor_zh):
                key = (
                    normalise(_BRACKETED.sub("", vendor or "")) if vendor and "(" in vendor else normalise(vendor or "")
                )
                if len(key) >= MIN_VENDOR_KEY:
                    vendors[key].add(entry.id)
        self._vendors = dict(vendors)

    def match(self, name: str, vendor: str | None = None) -> str | None:
        sdk_id = self._by_name(name)
        if sdk_id is None or not vendor:
            return sdk_id
        written = normalise(vendor)
        companies = [ids for key, ids in self._vendors.items() if key in written]
        if companies and not any(sdk_id in ids for ids in companies):
            return None  # the written vendor is a known company that does not make this SDK
        return sdk_id

    def _by_name(self, name: str) -> str | None:
        probes = _variants(name)
        exact = {self._keys[p] for p in probes if p in self._keys}
        if len(exact) == 1:
            return exact.pop()
        if exact:
            return None
        whole = probes[0] if probes else ""
        contained = [k for k in self._contained if k in whole]
        if not contained:
            return None
        longest = len(contained[0])
        ids = {self._keys[k] for k in contained if len(k) == longest}
        return ids.pop() if len(ids) == 1 else None
