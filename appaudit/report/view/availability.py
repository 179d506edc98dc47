"""Whether a section's evidence was collected, and what its absence means.

The difference between "none found" and "not assessed" is decided here, from the status each
evidence part recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from appaudit.evidence.model import EvidenceBundle, ManifestEvidence, PartStatus, Status
from appaudit.report.i18n import tr
from appaudit.report.view.cells import join_list, sentences
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

# English labels, the message ids of their translations: show them through part_label().
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

# A part's status in words (message ids); "ok" is also the scope table's badge.
STATUS_WORDS: dict[str, str] = {
    "ok": "ok",
    "partial": "partial",
    "failed": "failed",
    "skipped": "skipped",
}


def part_label(name: str) -> str:
    """An evidence part's label in the current language; an unknown part keeps its name."""
    return tr(PART_LABELS[name]) if name in PART_LABELS else name


def status_word(status: Status | str) -> str:
    """A part's status in the current language ("ok", "partial", ...)."""
    value = str(status.value if isinstance(status, Status) else status)
    return tr(STATUS_WORDS[value]) if value in STATUS_WORDS else value


def _errors(part: PartStatus) -> str:
    n = len(part.errors)
    return tr("{n} error", n=n) if n == 1 else tr("{n} errors", n=n)


def _note(part: PartStatus) -> str:
    """The step's own note (recorded by the collector, shown as it is), as a sentence."""
    return f"{part.note.rstrip('.')}." if part.note else ""


def part_availability(bundle: EvidenceBundle, name: str, *, present: bool = True) -> Availability:
    """How far a section can be trusted, from its evidence part's status."""
    label = part_label(name)
    part = bundle.part(name)
    not_none_found = tr("This is not a “none found” result.")
    if part is None:
        return Availability(
            "missing",
            tr("Not collected"),
            sentences(
                tr("This run recorded no “{label}” step, so nothing here was assessed.", label=label), not_none_found
            ),
            "st-missing",
            sentences(tr("Not assessed: this run recorded no “{label}” step.", label=label), not_none_found),
        )
    nothing_assessed = tr("Nothing here was assessed.")
    if part.status is Status.FAILED:
        failed = (
            tr("The “{label}” step failed ({errors}).", label=label, errors=_errors(part))
            if part.errors
            else tr("The “{label}” step failed.", label=label)
        )
        return Availability(
            "failed",
            tr("Failed — not assessed"),
            sentences(failed, _note(part), nothing_assessed, not_none_found),
            "st-failed",
            sentences(tr("Not assessed: the “{label}” step failed.", label=label), not_none_found),
        )
    if part.status is Status.SKIPPED:
        return Availability(
            "skipped",
            tr("Skipped — not assessed"),
            sentences(
                tr("The “{label}” step was skipped.", label=label), _note(part), nothing_assessed, not_none_found
            ),
            "st-skipped",
            sentences(tr("Not assessed: the “{label}” step was skipped.", label=label), not_none_found),
        )
    if not present:
        return Availability(
            "missing",
            tr("Not collected"),
            sentences(
                tr(
                    "The “{label}” step reported {status} but left no data.",
                    label=label,
                    status=status_word(part.status),
                ),
                not_none_found,
            ),
            "st-missing",
            sentences(tr("Not assessed: the “{label}” step left no data.", label=label), not_none_found),
        )
    if part.status is Status.PARTIAL:
        incomplete = (
            tr("The “{label}” step could not analyse every input ({errors}).", label=label, errors=_errors(part))
            if part.errors
            else tr("The “{label}” step could not analyse every input.", label=label)
        )
        return Availability(
            "partial",
            tr("Incomplete"),
            sentences(incomplete, _note(part), tr("Items may be missing; an absence is inconclusive.")),
            "st-partial",
        )
    return Availability("ok", tr("Collected"), "", "st-ok")


def degrade(avail: Availability, bundle: EvidenceBundle, depends_on: Iterable[str]) -> Availability:
    """A section built on another step (e.g. DEX parsing) is incomplete when that step was."""
    if not avail.assessed:
        return avail
    weak = [p for p in (bundle.part(n) for n in depends_on) if p is not None and p.status is not Status.OK]
    if not weak:
        return avail
    parts = join_list([tr("“{label}” {status}", label=part_label(p.name), status=status_word(p.status)) for p in weak])
    message = sentences(
        avail.message,
        tr(
            "This section depends on steps that did not complete ({parts}): items may be missing; "
            "an absence is inconclusive.",
            parts=parts,
        ),
    )
    return Availability("partial", tr("Incomplete"), message, "st-partial")


def dex_availability(bundle: EvidenceBundle, name: str, *, present: bool = True) -> Availability:
    """Availability of a part found in the bytecode: incomplete when DEX parsing was."""
    return degrade(part_availability(bundle, name, present=present), bundle, ("dex",))


def assessed_manifest(bundle: EvidenceBundle) -> tuple[ManifestEvidence | None, Availability]:
    """The manifest evidence, or None when it cannot be shown; and the manifest step's availability."""
    avail = part_availability(bundle, "manifest", present=bundle.manifest is not None)
    return (bundle.manifest if avail.assessed else None), avail
