"""V. Providing PI to others without consent (未经同意向他人提供个人信息): items V.1–V.3."""

from __future__ import annotations

from appaudit.checker.model import EvidenceRef, ItemResult
from appaudit.checks.logic import AUDITOR, DEVICE, POLICY, TRAFFIC, item, not_assessed, review
from appaudit.evidence.model import EvidenceBundle

# SDK categories that connect the app to another app or platform that may receive PI (login, share, pay).
CONNECTED_APP_CATEGORIES = frozenset({"login_auth", "social_share", "payment", "one_click_login"})


@item("V.1")
def sdk_sends_before_consent(bundle: EvidenceBundle) -> ItemResult:
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
