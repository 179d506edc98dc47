"""Views of the dynamic evidence (traffic, device runs, policy text) that several items share.

Each function reads only the bundle. The consent phase of a flow comes from
:mod:`appaudit.evidence.timeline`, so every item classifies time the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checks.logic import POLICY, usable
from appaudit.evidence.device import DeviceEvidence, DeviceRun, UiEvent
from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.policy_text import PolicyEvidence
from appaudit.evidence.timeline import Phase, Placement, place
from appaudit.evidence.traffic import Flow, PiMatch, TrafficEvidence


def traffic_of(bundle: EvidenceBundle) -> TrafficEvidence | None:
    return bundle.traffic if bundle.traffic is not None and usable(bundle.part("traffic")) else None


def device_of(bundle: EvidenceBundle) -> DeviceEvidence | None:
    return bundle.device if bundle.device is not None and usable(bundle.part("device")) else None


def policy_of(bundle: EvidenceBundle) -> PolicyEvidence | None:
    return bundle.policy if bundle.policy is not None and usable(bundle.part("policy")) else None


@dataclass(frozen=True)
class PiFlow:
    """A flow that carried personal information, with its matches and its place on the timeline."""

    index: int  # into traffic.flows
    flow: Flow
    matches: tuple[tuple[int, PiMatch], ...]  # (index into traffic.pi_matches, match)
    placement: Placement

    @property
    def pi_types(self) -> tuple[str, ...]:
        return tuple(sorted({m.pi_type for _, m in self.matches}))

    @property
    def phase(self) -> Phase:
        return self.placement.phase

    def refs(self) -> tuple[EvidenceRef, ...]:
        f = self.flow
        who = f.destination.vendor or f.destination.sdk_id or f.destination.registrable_domain
        head = EvidenceRef(
            "flow",
            f"traffic.flows[{self.index}]",
            f"{f.method} {f.url} → {who} ({f.destination.party}), {self.phase.value.replace('_', ' ')}",
        )
        return (head, *(match_ref(i, m) for i, m in self.matches))


def match_ref(index: int, m: PiMatch) -> EvidenceRef:
    chain = " → ".join(m.encodings) if m.encodings else "plain"
    return EvidenceRef(
        "pi_match",
        f"traffic.pi_matches[{index}]",
        f"{m.pi_type} ({m.value_name}, {m.detector}) in {m.location} via {chain}",
    )


def pi_flows(bundle: EvidenceBundle, traffic: TrafficEvidence) -> tuple[PiFlow, ...]:
    """Every flow with at least one PI match, in capture order."""
    by_flow: dict[str, list[tuple[int, PiMatch]]] = {}
    for i, m in enumerate(traffic.pi_matches):
        by_flow.setdefault(m.flow_id, []).append((i, m))
    device = device_of(bundle)
    return tuple(
        PiFlow(i, f, tuple(by_flow[f.id]), place(device, f.ts)) for i, f in enumerate(traffic.flows) if f.id in by_flow
    )


def event_ref(run_index: int, run: DeviceRun, event_index: int, event: UiEvent) -> EvidenceRef:
    screen = run.screen(event.screen)
    where = f" on {screen.kind} screen {screen.id}" + (f" ({screen.dump})" if screen.dump else "") if screen else ""
    return EvidenceRef(
        "ui_event",
        f"device.runs[{run_index}].events[{event_index}]",
        f"{run.id}: {event.kind}{' ' + repr(event.detail) if event.detail else ''} at +{event.ts - run.started:.2f}s"
        f"{where}",
    )


def screen_ref(run_index: int, run: DeviceRun, screen_id: str | None) -> EvidenceRef:
    index = next((i for i, s in enumerate(run.screens) if s.id == screen_id), None)
    screen = run.screens[index] if index is not None else None
    if screen is None:
        return EvidenceRef("ui_screen", f"device.runs[{run_index}]", f"{run.id}: screen {screen_id} not recorded")
    texts = ", ".join(screen.texts[:6])
    return EvidenceRef(
        "ui_screen",
        f"device.runs[{run_index}].screens[{index}]",
        f"{run.id}: {screen.kind} screen {screen.id} of {screen.package}"
        + (f" ({screen.dump})" if screen.dump else "")
        + (f": {texts}" if texts else ""),
    )


def policy_document_refs(policy: PolicyEvidence) -> tuple[EvidenceRef, ...]:
    """The documents read that are privacy policies, as evidence."""
    return tuple(
        EvidenceRef("policy_document", f"policy.documents[{i}]", d.location)
        for i, d in enumerate(policy.documents)
        if d.is_privacy_policy
    )


def sentence_ref(policy: PolicyEvidence, sentence_id: str, prefix: str = "") -> EvidenceRef:
    sentence = policy.sentence(sentence_id)
    text = sentence.text if sentence else "(sentence not recorded)"
    quoted = text if len(text) <= 160 else text[:157] + "…"
    return EvidenceRef("policy_sentence", policy.sentence_ref(sentence_id), f"{prefix}“{quoted}”")


def fresh_runs(bundle: EvidenceBundle) -> tuple[tuple[int, DeviceRun], ...]:
    device = device_of(bundle)
    return tuple((i, r) for i, r in enumerate(device.runs) if r.fresh_install) if device else ()


def rights_evidence(policy: PolicyEvidence, *kinds: str) -> tuple[EvidenceRef, ...]:
    """The policy sentences that offer the given rights (withdraw, delete, cancel_account, ...)."""
    return tuple(sentence_ref(policy, r.sentence, f"{r.kind}: ") for r in policy.rights if r.kind in kinds)


def launch_segment(bundle: EvidenceBundle, ts: float) -> tuple[int, int] | None:
    """Which app launch ``ts`` falls in: (run index, index of the launch event), None outside runs.

    Rates are measured within one launch: a driver that restarts the app twenty times (the policy
    search does) must not make the app's per-launch requests look like frequent collection.
    """
    device = device_of(bundle)
    placement = place(device, ts)
    if placement.run is None or placement.run_index is None:
        return None
    launches = [i for i, e in enumerate(placement.run.events) if e.kind == "launch" and e.ts <= ts]
    return (placement.run_index, launches[-1] if launches else -1)


def no_policy_text(item_id: str, policy: PolicyEvidence, looked_for: str, *needs: str) -> ItemResult:
    """Inconclusive: documents were read, but none of them is a privacy policy (I.1 judges that)."""
    return ItemResult(
        item_id,
        Verdict.INCONCLUSIVE,
        Confidence.LOW,
        f"No privacy-policy text was found to {looked_for} (see I.1).",
        (EvidenceRef("part", "policy", f"{len(policy.documents)} document(s) read, none a privacy policy"),),
        needs=(f"{POLICY} of the app's policy (supply it with --policy)", *needs),
    )


def disclosure_review(
    item_id: str, bundle: EvidenceBundle, kind: str, found_text: str, none_text: str, *needs: str
) -> ItemResult | None:
    """needs_review quoting the policy's ``kind`` disclosures; None when no policy text was analysed."""
    policy = policy_of(bundle)
    if policy is None or not policy.policies:
        return None
    quoted = tuple(sentence_ref(policy, d.sentence) for d in policy.disclosures if d.kind == kind)
    if quoted:
        return ItemResult(item_id, Verdict.NEEDS_REVIEW, Confidence.LOW, found_text, quoted[:10], needs=needs)
    refs = policy_document_refs(policy)
    return ItemResult(item_id, Verdict.NEEDS_REVIEW, Confidence.LOW, none_text, refs, needs=needs)
