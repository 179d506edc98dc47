"""III. Collecting or using without consent (未经用户同意收集使用个人信息): items III.1–III.9."""

from __future__ import annotations

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checks.logic import (
    AUDITOR,
    DEVICE,
    POLICY,
    REFUSE_RUN,
    TRAFFIC,
    UPGRADE,
    item,
    not_assessed,
    part_ref,
    part_unavailable,
    review,
)
from appaudit.evidence.model import EvidenceBundle, StartupFinding, Status
from appaudit.knowledge.pi_types import load_pi_taxonomy

_STATIC_CAVEAT = (
    "Static reachability shows code that can run before consent; a traffic capture will confirm transmission."
)
# SDK categories whose presence suggests targeted (personalised) push or advertising.
TARGETING_SDK_CATEGORIES = frozenset({"push", "advertising"})


def _identifies_or_locates(finding: StartupFinding) -> bool:
    """A device identifier (persistent or resettable) or a location: the reads the rules single out."""
    taxonomy = load_pi_taxonomy()
    for pi in finding.pi_types:
        t = taxonomy.get(pi)
        if t is not None and (t.persistent or t.resettable or t.category == "location"):
            return True
    return False


def _finding_ref(i: int, f: StartupFinding) -> EvidenceRef:
    return EvidenceRef("startup_finding", f"startup.findings[{i}]", " → ".join(f.chain))


@item("III.1")
def before_consent(bundle: EvidenceBundle) -> ItemResult:
    startup, status = bundle.startup, bundle.part("startup")
    if startup is None or status is None or status.status in (Status.FAILED, Status.SKIPPED):
        return part_unavailable("III.1", bundle, "startup", TRAFFIC, DEVICE)
    unguarded = [
        (i, f) for i, f in enumerate(startup.findings) if f.kind in ("sensitive_api", "sdk_init") and not f.guarded
    ]
    if unguarded:
        high = any(f.kind == "sensitive_api" and _identifies_or_locates(f) for _, f in unguarded)
        targets = sorted({f.target for _, f in unguarded})
        return ItemResult(
            "III.1",
            Verdict.VIOLATION,
            Confidence.HIGH if high else Confidence.MEDIUM,
            f"{len(unguarded)} sensitive call(s) or SDK initialisation(s) run at start-up with no consent check "
            f"({', '.join(targets)}). {_STATIC_CAVEAT}",
            tuple(_finding_ref(i, f) for i, f in unguarded),
            needs=(TRAFFIC,),
        )
    if startup.budget_exhausted or status.status is not Status.OK:
        why = "a search limit cut the exploration" if startup.budget_exhausted else "the startup part is partial"
        return ItemResult(
            "III.1",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            f"No unguarded start-up collection was found, but {why}, so absence is not proven. {_STATIC_CAVEAT}",
            (part_ref(bundle, "startup"),),
            needs=(TRAFFIC, DEVICE),
        )
    guarded = [(i, f) for i, f in enumerate(startup.findings) if f.guard is not None]
    if guarded:
        refs = tuple(
            EvidenceRef(
                "startup_finding",
                f"startup.findings[{i}].guard",
                f"{f.target} behind {f.guard.condition} in {f.guard.method}" if f.guard else f.target,
            )
            for i, f in guarded
        )
        summary = (
            f"Every start-up call to a sensitive API or SDK initialisation ({len(guarded)}) is behind a recognised "
            f"consent check. {_STATIC_CAVEAT}"
        )
    else:
        refs = (
            part_ref(bundle, "startup"),
            *(
                EvidenceRef("entry_point", f"startup.entry_points[{i}]", f"{e.kind}: {e.method}")
                for i, e in enumerate(startup.entry_points)
            ),
        )
        summary = (
            f"No sensitive API or SDK initialisation is reachable from the {len(startup.entry_points)} start-up "
            f"entry point(s) searched (depth {startup.max_depth}). {_STATIC_CAVEAT}"
        )
    return ItemResult("III.1", Verdict.PASS, Confidence.MEDIUM, summary, refs, needs=(TRAFFIC,))


@item("III.2")
def after_refusal(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "III.2", "Collection after refusal and repeated prompts are seen in a refuse-path session.", REFUSE_RUN, TRAFFIC
    )


@item("III.3")
def beyond_authorised(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "III.3", "PI beyond what was authorised is judged from observed traffic and grants.", TRAFFIC, DEVICE, POLICY
    )


@item("III.4")
def consent_by_default(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("III.4", "A pre-ticked consent box is seen on the first screen of a device run.", DEVICE)


@item("III.5")
def settings_changed(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("III.5", "Permission settings changed on update need an upgrade run.", UPGRADE, AUDITOR)


@item("III.6")
def targeted_push(bundle: EvidenceBundle) -> ItemResult:
    hits = [(i, s) for i, s in enumerate(bundle.sdks) if TARGETING_SDK_CATEGORIES.intersection(s.categories)]
    if hits:
        return review(
            "III.6",
            "Push or advertising SDKs are embedded; if the app does targeted push or personalised ads, check "
            "that the policy says so and that a non-targeted option exists in settings.",
            tuple(
                EvidenceRef("sdk", f"sdks[{i}]", f"{s.name}: {', '.join(s.categories)}, usage {s.usage}")
                for i, s in hits
            ),
            POLICY,
            DEVICE,
        )
    return not_assessed(
        "III.6", "Targeted push and its opt-out are judged from the policy and settings.", POLICY, DEVICE
    )


@item("III.7")
def misleading_inducement(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("III.7", "Misleading inducement to consent is an auditor's judgement.", AUDITOR, DEVICE)


@item("III.8")
def withdrawal(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("III.8", "A way to withdraw consent is judged from the policy and settings.", POLICY, DEVICE)


@item("III.9")
def against_own_rules(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "III.9", "Collection against the declared rules needs the policy text to compare with.", POLICY, TRAFFIC
    )
