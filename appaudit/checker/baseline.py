"""Release over release: what the current evidence adds or removes compared with the previous release.

:func:`compare` takes two evidence bundles (``previous`` = the last release's ``evidence.json``) and
lists, by a stable key, what is new and what is gone:

* ``permission`` — ``<uses-permission>`` names;
* ``sdk`` — SDK ids;
* ``startup_finding`` — start-up findings keyed by kind + target + chain;
* ``endpoint`` — hosts;
* ``pi_type`` — PI types reached by sensitive API calls and start-up findings;
* ``policy_document`` / ``policy_url`` — the privacy-policy hints (bundled documents, policy URLs).

A kind whose evidence part is unusable (failed, skipped, missing) in either bundle is not compared:
it is listed in ``incomparable`` instead, never read as "nothing changed". Item II.2 (changes to the
collection rules must be notified) reads the diff: see ``appaudit.checks.logic.ii_purpose``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from appaudit.evidence.model import EvidenceBundle, Status

__all__ = ["RELEVANT_TO_NOTICE", "BaselineDiff", "Change", "compare"]

# Additions that change what the app collects or who receives it: users must be told again (II.2).
RELEVANT_TO_NOTICE: tuple[str, ...] = ("permission", "sdk", "pi_type", "policy_document", "policy_url")


@dataclass(frozen=True)
class Change:
    kind: str  # permission | sdk | startup_finding | endpoint | pi_type | policy_document | policy_url
    key: str  # the compared identity: a permission name, an sdk id, a host, ...
    ref: str  # path into the current evidence.json (added), or "baseline:<path>" into the previous one (removed)
    detail: str = ""


@dataclass(frozen=True)
class BaselineDiff:
    previous: str  # "com.x 2.3.1 (23)"
    current: str
    same_package: bool | None  # None when either bundle lacks its identity
    added: tuple[Change, ...]
    removed: tuple[Change, ...]
    incomparable: tuple[str, ...] = ()  # kinds not compared because a part is unusable on one side
    policy_hints_changed: bool | None = None  # None when policy hints are incomparable

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def added_of(self, *kinds: str) -> tuple[Change, ...]:
        return tuple(c for c in self.added if c.kind in kinds)

    def removed_of(self, *kinds: str) -> tuple[Change, ...]:
        return tuple(c for c in self.removed if c.kind in kinds)


# A collector yields (key, ref, detail) for one kind; the first occurrence of a key is cited.
Collector = Callable[[EvidenceBundle], Iterable[tuple[str, str, str]]]


def _permissions(b: EvidenceBundle) -> Iterable[tuple[str, str, str]]:
    for i, p in enumerate(b.manifest.permissions if b.manifest else ()):
        yield p.name, f"manifest.permissions[{i}]", p.name_en or p.name


def _sdks(b: EvidenceBundle) -> Iterable[tuple[str, str, str]]:
    for i, s in enumerate(b.sdks):
        yield s.sdk_id, f"sdks[{i}]", f"{s.name} ({s.vendor or 'unknown vendor'}), usage {s.usage}"


def _startup(b: EvidenceBundle) -> Iterable[tuple[str, str, str]]:
    for i, f in enumerate(b.startup.findings if b.startup else ()):
        key = f"{f.kind}:{f.target} via {' -> '.join(f.chain)}"
        guard = "guarded" if f.guarded else "unguarded"
        yield key, f"startup.findings[{i}]", f"{f.kind} {f.target} from {f.entry_point.kind} ({guard})"


def _endpoints(b: EvidenceBundle) -> Iterable[tuple[str, str, str]]:
    for i, e in enumerate(b.endpoints):
        yield e.host, f"endpoints[{i}]", f"{e.host} ({e.party}{', ' + e.sdk_id if e.sdk_id else ''})"


def _pi_types(b: EvidenceBundle) -> Iterable[tuple[str, str, str]]:
    for i, c in enumerate(b.api_calls):
        for t in c.pi_types:
            yield t, f"api_calls[{i}]", f"{t} via {c.api_id} in {c.caller.java_class}"
    for i, f in enumerate(b.startup.findings if b.startup else ()):
        for t in f.pi_types:
            yield t, f"startup.findings[{i}]", f"{t} via {f.target} at start-up"


def _policy_documents(b: EvidenceBundle) -> Iterable[tuple[str, str, str]]:
    for i, d in enumerate(b.policy_hints.documents if b.policy_hints else ()):
        yield d.path, f"policy_hints.documents[{i}]", d.title or d.path


def _policy_urls(b: EvidenceBundle) -> Iterable[tuple[str, str, str]]:
    for i, u in enumerate(b.policy_hints.urls if b.policy_hints else ()):
        yield u.text, f"policy_hints.urls[{i}]", f"{u.text} ({u.location})"


# kind -> (the evidence parts it needs, its collector)
_KINDS: tuple[tuple[str, tuple[str, ...], Collector], ...] = (
    ("permission", ("manifest",), _permissions),
    ("sdk", ("sdks",), _sdks),
    ("startup_finding", ("startup",), _startup),
    ("endpoint", ("endpoints",), _endpoints),
    ("pi_type", ("api_calls", "startup"), _pi_types),
    ("policy_document", ("policy_hints",), _policy_documents),
    ("policy_url", ("policy_hints",), _policy_urls),
)


def compare(previous: EvidenceBundle, current: EvidenceBundle) -> BaselineDiff:
    """What ``current`` adds and removes relative to ``previous`` (the last release)."""
    added: list[Change] = []
    removed: list[Change] = []
    incomparable: list[str] = []
    for kind, parts, collect in _KINDS:
        if not all(_usable(b, part) for b in (previous, current) for part in parts):
            incomparable.append(kind)
            continue
        before, after = _index(collect(previous)), _index(collect(current))
        added += [Change(kind, key, ref, detail) for key, (ref, detail) in after.items() if key not in before]
        removed += [
            Change(kind, key, f"baseline:{ref}", detail) for key, (ref, detail) in before.items() if key not in after
        ]
    policy_kinds = ("policy_document", "policy_url")
    policy_changed = (
        None
        if any(k in incomparable for k in policy_kinds)
        else any(c.kind in policy_kinds for c in (*added, *removed))
    )
    packages = {b.app.package for b in (previous, current) if b.app}
    return BaselineDiff(
        previous=_label(previous),
        current=_label(current),
        same_package=len(packages) == 1 if previous.app and current.app else None,
        added=tuple(added),
        removed=tuple(removed),
        incomparable=tuple(incomparable),
        policy_hints_changed=policy_changed,
    )


def _usable(bundle: EvidenceBundle, part: str) -> bool:
    status = bundle.part(part)
    return status is not None and status.status in (Status.OK, Status.PARTIAL)


def _index(items: Iterable[tuple[str, str, str]]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for key, ref, detail in items:
        out.setdefault(key, (ref, detail))
    return out


def _label(bundle: EvidenceBundle) -> str:
    if bundle.app is None:
        return bundle.input.file_name
    app = bundle.app
    return f"{app.package} {app.version_name or '?'} ({app.version_code or '?'})"
