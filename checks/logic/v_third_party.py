"""V. Providing PI to others without consent (未经同意向他人提供个人信息): items V.1–V.3."""

from __future__ import annotations

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checks.logic import AUDITOR, DEVICE, POLICY, TRAFFIC, item, not_assessed, review
from appaudit.checks.logic.dynamic import (
    PiFlow,
    device_of,
    disclosure_review,
    fresh_runs,
    pi_flows,
    policy_of,
    traffic_of,
)
from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.policy_text import PolicyEvidence
from appaudit.evidence.timeline import Phase, place
from appaudit.evidence.traffic import Destination, TrafficEvidence

_WITHOUT_CONSENT = (Phase.BEFORE_CONSENT, Phase.AFTER_REFUSAL)

# SDK categories that connect the app to another app or platform that may receive PI (login, share, pay).
CONNECTED_APP_CATEGORIES = frozenset({"login_auth", "social_share", "payment", "one_click_login"})


def _disclosed(policy: PolicyEvidence, dest: Destination) -> bool:
    ids = {d.sdk_id for d in policy.declared_sdks if d.sdk_id}
    return dest.sdk_id is not None and dest.sdk_id in ids


def _hidden_third_party(bundle: EvidenceBundle, traffic: TrafficEvidence) -> list[EvidenceRef]:
    device = device_of(bundle)
    refs = [
        EvidenceRef("flow", f"traffic.flows[{i}]", f"opaque {f.request_bytes}-byte body to {f.destination.host}")
        for i, f in enumerate(traffic.flows)
        if f.opaque and f.destination.third_party and place(device, f.ts).phase in _WITHOUT_CONSENT
    ]
    refs += [
        EvidenceRef("unobservable_host", f"traffic.unobservable[{i}]", f"{u.host}: {u.reason} ({u.count}×)")
        for i, u in enumerate(traffic.unobservable)
        if u.destination is None or u.destination.third_party
    ]
    return refs


def _from_traffic(bundle: EvidenceBundle, traffic: TrafficEvidence) -> ItemResult | None:
    third = [p for p in pi_flows(bundle, traffic) if p.flow.destination.third_party]
    unconsented = [p for p in third if p.phase in _WITHOUT_CONSENT]
    policy = policy_of(bundle)
    undisclosed: list[PiFlow] = []
    if policy is not None and policy.policies:
        undisclosed = [p for p in third if p not in unconsented and not _disclosed(policy, p.flow.destination)]
    if unconsented or undisclosed:
        parts = []
        if unconsented:
            who = sorted({_who(p) for p in unconsented})
            parts.append(f"{len(unconsented)} request(s) sent personal information to {', '.join(who)} without consent")
        if undisclosed:
            who = sorted({_who(p) for p in undisclosed})
            parts.append(
                f"{len(undisclosed)} request(s) sent personal information to {', '.join(who)}, which the privacy "
                "policy does not name (a digest of an identifier is still an identifier, not anonymised)"
            )
        return ItemResult(
            "V.1",
            Verdict.VIOLATION,
            Confidence.HIGH if unconsented else Confidence.MEDIUM,
            "; ".join(parts).capitalize() + ". Traffic shows the transmission itself.",
            tuple(r for p in (*unconsented, *undisclosed) for r in p.refs()),
        )
    if not fresh_runs(bundle):
        return None  # without a consent moment, flows cannot be placed before or after consent
    hidden = _hidden_third_party(bundle, traffic)
    if hidden or not traffic.trustworthy_absence:
        return ItemResult(
            "V.1",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            "No personal information was seen going to a third party without consent, but some third-party "
            "traffic could not be read (opaque or unobservable) or interception was not verified.",
            tuple(hidden) or (EvidenceRef("capture", "traffic.capture", "interception not verified"),),
            needs=(f"{TRAFFIC} with the CA trusted by the app (no pinning)",),
        )
    named = policy is not None and bool(policy.policies)  # the parties were compared with a privacy policy
    return ItemResult(
        "V.1",
        Verdict.PASS,
        Confidence.HIGH if named else Confidence.MEDIUM,
        f"Personal information reached third parties only after consent ({len(third)} request(s))"
        + (", and only parties the privacy policy names." if named else ".")
        + " Back-end sharing is not visible here (V.2).",
        tuple(r for p in third[:10] for r in p.refs()[:1])
        or (EvidenceRef("capture", "traffic.capture", "no PI sent to third parties; interception verified"),),
        needs=() if named else (POLICY,),
    )


def _who(p: PiFlow) -> str:
    d = p.flow.destination
    return d.vendor or d.sdk_id or d.registrable_domain


@item("V.1")
def sdk_sends_before_consent(bundle: EvidenceBundle) -> ItemResult:
    traffic = traffic_of(bundle)
    if traffic is not None:
        decided = _from_traffic(bundle, traffic)
        if decided is not None:
            return decided
    findings = bundle.startup.findings if bundle.startup else ()
    started = {
        f.target: (i, f) for i, f in enumerate(findings) if f.kind == "sdk_init" and not f.guarded and f.pi_types
    }
    hits = [(i, s) for i, s in enumerate(bundle.sdks) if s.usage == "initialised_at_startup" and s.sdk_id in started]
    if hits:
        refs: list[EvidenceRef] = []
        for i, s in hits:
            j, f = started[s.sdk_id]
            refs.append(EvidenceRef("sdk", f"sdks[{i}]", f"{s.name} ({s.vendor or 'unknown vendor'})"))
            refs.append(EvidenceRef("startup_finding", f"startup.findings[{j}]", f"collects {', '.join(f.pi_types)}"))
        return review(
            "V.1",
            f"{len(hits)} third-party SDK(s) known to collect personal information start before any consent check; "
            "a traffic capture shows whether they send it to their vendors.",
            tuple(refs),
            TRAFFIC,
        )
    return not_assessed("V.1", "PI sent to third parties is judged from captured traffic.", TRAFFIC)


@item("V.2")
def backend_sharing(bundle: EvidenceBundle) -> ItemResult:
    reviewed = disclosure_review(
        "V.2",
        bundle,
        "backend_sharing",
        "The privacy policy discloses sharing, transfer or entrusted processing (quoted); the back end is not "
        "visible from the client, so whether each is consented or anonymised is for the auditor.",
        "The privacy policy discloses no back-end sharing that appaudit recognised; the back end is not visible "
        "from the client, so this is for the auditor.",
        AUDITOR,
    )
    if reviewed is not None:
        return reviewed
    return not_assessed(
        "V.2",
        "Back-end sharing is not visible from the client; the policy's disclosures go to the auditor.",
        POLICY,
        AUDITOR,
    )


@item("V.3")
def connected_apps(bundle: EvidenceBundle) -> ItemResult:
    hits = [(i, s) for i, s in enumerate(bundle.sdks) if CONNECTED_APP_CATEGORIES.intersection(s.categories)]
    if hits:
        return review(
            "V.3",
            "Login, share or payment SDKs connect the app to third-party apps; check what they are sent and that "
            "the user consented.",
            tuple(EvidenceRef("sdk", f"sdks[{i}]", f"{s.name}: {', '.join(s.categories)}") for i, s in hits),
            TRAFFIC,
            DEVICE,
        )
    return not_assessed("V.3", "PI given to connected third-party apps is judged from traffic and UI.", TRAFFIC, DEVICE)
