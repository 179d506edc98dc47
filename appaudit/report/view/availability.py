"""Whether a section's evidence was collected, and what its absence means.

The difference between "none found" and "not assessed" is decided here, from the status each
evidence part recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from appaudit.evidence.model import EvidenceBundle, ManifestEvidence, Status
from appaudit.report.view.model import Availability

# The order the collector runs its steps in; parts the bundle does not record are shown as such.
EXPECTED_PARTS: tuple[str, ...] = (
    "identity",
    "manifest",
    "dex",
    "sdks",
    "api_calls",
    "startup",
    "sdk_usage",
    "policy_hints",
    "endpoints",
)

PART_LABELS: dict[str, str] = {
    "identity": "App identity",
    "manifest": "Manifest",
    "dex": "DEX bytecode",
    "sdks": "Embedded SDKs",
    "api_calls": "Sensitive API call sites",
    "startup": "Start-up reachability",
    "sdk_usage": "SDK usage",
    "policy_hints": "Privacy-policy hints",
    "endpoints": "Network endpoints",
    "traffic": "Captured traffic",
    "device": "Device runs",
    "policy": "Privacy-policy text",
}


def part_availability(bundle: EvidenceBundle, name: str, *, present: bool = True) -> Availability:
    """How far a section can be trusted, from its evidence part's status."""
    label = PART_LABELS.get(name, name)
    part = bundle.part(name)
    not_none_found = "This is not a “none found” result."
    if part is None:
        return Availability(
            "missing",
            "Not collected",
            f"This run recorded no “{label}” step, so nothing here was assessed. {not_none_found}",
            "st-missing",
            f"Not assessed: this run recorded no “{label}” step. {not_none_found}",
        )
    errors = f" ({len(part.errors)} error{'s' if len(part.errors) != 1 else ''})" if part.errors else ""
    note = f" {part.note.rstrip('.')}." if part.note else ""
    if part.status is Status.FAILED:
        return Availability(
            "failed",
            "Failed — not assessed",
            f"The “{label}” step failed{errors}.{note} Nothing here was assessed. {not_none_found}",
            "st-failed",
            f"Not assessed: the “{label}” step failed. {not_none_found}",
        )
    if part.status is Status.SKIPPED:
        return Availability(
            "skipped",
            "Skipped — not assessed",
            f"The “{label}” step was skipped.{note} Nothing here was assessed. {not_none_found}",
            "st-skipped",
            f"Not assessed: the “{label}” step was skipped. {not_none_found}",
        )
    if not present:
        return Availability(
            "missing",
            "Not collected",
            f"The “{label}” step reported {part.status.value} but left no data. {not_none_found}",
            "st-missing",
            f"Not assessed: the “{label}” step left no data. {not_none_found}",
        )
    if part.status is Status.PARTIAL:
        return Availability(
            "partial",
            "Incomplete",
            f"The “{label}” step could not analyse every input{errors}.{note} "
            "Items may be missing; an absence is inconclusive.",
            "st-partial",
        )
    return Availability("ok", "Collected", "", "st-ok")


def degrade(avail: Availability, bundle: EvidenceBundle, depends_on: Iterable[str]) -> Availability:
    """A section built on another step (e.g. DEX parsing) is incomplete when that step was."""
    if not avail.assessed:
        return avail
    weak = [p for p in (bundle.part(n) for n in depends_on) if p is not None and p.status is not Status.OK]
    if not weak:
        return avail
    parts = ", ".join(f"“{PART_LABELS.get(p.name, p.name)}” {p.status.value}" for p in weak)
    message = (avail.message + " " if avail.message else "") + (
        f"This section depends on steps that did not complete ({parts}): items may be missing; "
        "an absence is inconclusive."
    )
    return Availability("partial", "Incomplete", message, "st-partial")


def dex_availability(bundle: EvidenceBundle, name: str, *, present: bool = True) -> Availability:
    """Availability of a part found in the bytecode: incomplete when DEX parsing was."""
    return degrade(part_availability(bundle, name, present=present), bundle, ("dex",))


def assessed_manifest(bundle: EvidenceBundle) -> tuple[ManifestEvidence | None, Availability]:
    """The manifest evidence, or None when it cannot be shown; and the manifest step's availability."""
    avail = part_availability(bundle, "manifest", present=bundle.manifest is not None)
    return (bundle.manifest if avail.assessed else None), avail
