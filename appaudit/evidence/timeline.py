"""The consent phase of a moment: before consent, after it, after a refusal, or in between.

One clock: host wall time, which both the proxy (flow timestamps) and the device driver (events)
use. A run's first consent action is the tap the driver sent, stamped just *before* the tap. Until
the first screen that differs from the prompt is seen, the outcome is not yet visible: that window is
*ambiguous* and is never counted as consent given. There is no symmetric grace window: a flow one
millisecond before the tap is before consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appaudit.evidence.device import CONSENT_AGREE, CONSENT_REFUSE, SCREEN, DeviceEvidence, DeviceRun, UiEvent


class Phase(StrEnum):
    BEFORE_CONSENT = "before_consent"  # in a fresh run, before any consent answer (or none was ever given)
    AMBIGUOUS = "ambiguous"  # between the consent tap and the first changed screen
    AFTER_CONSENT = "after_consent"
    AFTER_REFUSAL = "after_refusal"
    UNKNOWN = "unknown"  # outside every run, or in a run that did not start from a fresh install


@dataclass(frozen=True)
class Placement:
    phase: Phase
    run_index: int | None = None
    run: DeviceRun | None = None


def run_at(device: DeviceEvidence | None, ts: float) -> tuple[int, DeviceRun] | None:
    if device is None:
        return None
    return next(((i, r) for i, r in enumerate(device.runs) if r.started <= ts <= r.ended), None)


def settled_at(run: DeviceRun, action: UiEvent) -> UiEvent | None:
    """The first changed screen after a consent tap: where the ambiguous window after ``action`` ends."""
    return next((e for e in run.events if e.kind == SCREEN and e.ts > action.ts), None)


def phase_in_run(run: DeviceRun, ts: float) -> Phase:
    """The phase of ``ts`` inside ``run`` (the caller checked that ``ts`` lies in the run)."""
    actions = [e for e in run.events if e.kind in (CONSENT_AGREE, CONSENT_REFUSE)]
    if not actions or ts < actions[0].ts:
        # Nothing answered yet. Only a fresh install guarantees no consent from an earlier run.
        return Phase.BEFORE_CONSENT if run.fresh_install else Phase.UNKNOWN
    action = max((a for a in actions if a.ts <= ts), key=lambda a: a.ts)
    settled = settled_at(run, action)
    if settled is None or ts < settled.ts:
        return Phase.AMBIGUOUS
    return Phase.AFTER_CONSENT if action.kind == CONSENT_AGREE else Phase.AFTER_REFUSAL


def place(device: DeviceEvidence | None, ts: float) -> Placement:
    """Where ``ts`` falls: which run and which consent phase."""
    found = run_at(device, ts)
    if found is None:
        return Placement(Phase.UNKNOWN)
    index, run = found
    return Placement(phase_in_run(run, ts), index, run)
