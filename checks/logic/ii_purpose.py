"""II. Purpose, method and scope not stated (未明示收集使用个人信息的目的、方式和范围): items II.1–II.4."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checks.logic import (
    AUDITOR,
    BASELINE,
    DEVICE,
    POLICY,
    TRAFFIC,
    item,
    not_assessed,
    part_unavailable,
    review,
    usable,
)
from appaudit.checks.logic.dynamic import no_policy_text, policy_document_refs, policy_of, sentence_ref, traffic_of
from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.policy_text import PolicyEvidence

if TYPE_CHECKING:
    from appaudit.checker.baseline import BaselineDiff, Change


def _sdk_covered(policy: PolicyEvidence, sdk_id: str, parent: str | None) -> bool:
    declared = {d.sdk_id for d in policy.declared_sdks if d.sdk_id}
    return sdk_id in declared or (parent is not None and parent in declared)


def _against_policy(bundle: EvidenceBundle, policy: PolicyEvidence) -> ItemResult:
    if not policy.policies:
        return no_policy_text("II.1", policy, "look for the listed purposes, methods and SDKs in")
    missing: list[EvidenceRef] = []
    for i, s in enumerate(bundle.sdks):
        if not _sdk_covered(policy, s.sdk_id, s.parent):
            missing.append(
                EvidenceRef("sdk", f"sdks[{i}]", f"{s.name} ({s.vendor or 'unknown vendor'}) embedded, usage {s.usage}")
            )
    traffic = traffic_of(bundle)
    contacted: dict[str, EvidenceRef] = {}
    for i, f in enumerate(traffic.flows if traffic else ()):
        d = f.destination
        known = d.sdk_id is not None and (d.sdk_id in contacted or any(s.sdk_id == d.sdk_id for s in bundle.sdks))
        if d.party == "sdk" and d.sdk_id and not known and not _sdk_covered(policy, d.sdk_id, None):
            contacted[d.sdk_id] = EvidenceRef("flow", f"traffic.flows[{i}]", f"{d.sdk_id} contacted at {d.host}")
    missing += contacted.values()
    if not missing and not usable(bundle.part("sdks")):
        return part_unavailable("II.1", bundle, "sdks", TRAFFIC)
    no_purpose = [d for d in policy.declared_sdks if not d.purpose]
    if missing:
        return ItemResult(
            "II.1",
            Verdict.VIOLATION,
            Confidence.HIGH if policy.has_sdk_list else Confidence.MEDIUM,
            f"{len(missing)} third-party SDK(s) embedded in or contacted by the app are not named in the privacy "
            "policy"
            + (" (which has an SDK list)" if policy.has_sdk_list else " (no SDK list was found in it)")
            + ", so their purposes, methods and scope are not stated one by one.",
            (
                *missing,
                *(sentence_ref(policy, d.sentence, f"the policy names {d.name}: ") for d in policy.declared_sdks[:5]),
            ),
        )
    if no_purpose:
        return review(
            "II.1",
            f"Every SDK is named, but {len(no_purpose)} listed SDK(s) have no stated purpose; check the policy "
            "states why each receives personal information.",
            tuple(sentence_ref(policy, d.sentence, f"{d.name}: ") for d in no_purpose),
            AUDITOR,
        )
    refs = tuple(sentence_ref(policy, d.sentence, f"{d.name}: ") for d in policy.declared_sdks[:10])
    return ItemResult(
        "II.1",
        Verdict.PASS,
        Confidence.MEDIUM,
        f"Every one of the {len(bundle.sdks)} embedded SDK(s)"
        + (" and every SDK contacted in the traffic" if traffic else "")
        + " is named in the privacy policy with its purpose.",
        refs or (EvidenceRef("part", "sdks", "no third-party SDK embedded"),),
        needs=() if traffic else (TRAFFIC,),
    )


@item("II.1")
def purposes_listed(bundle: EvidenceBundle) -> ItemResult:
    policy = policy_of(bundle)
    if policy is not None:
        return _against_policy(bundle, policy)
    if bundle.sdks:
        return review(
            "II.1",
            f"{len(bundle.sdks)} third-party SDK(s) are embedded; the privacy policy must name each with its "
            "purpose, method and scope. Compare this list with the policy.",
            tuple(
                EvidenceRef("sdk", f"sdks[{i}]", f"{s.name} ({s.vendor or 'unknown vendor'}), usage {s.usage}")
                for i, s in enumerate(bundle.sdks)
            ),
            POLICY,
            TRAFFIC,
        )
    return not_assessed(
        "II.1", "Whether every SDK and PI type is named in the policy needs the policy text.", POLICY, TRAFFIC
    )


@item("II.2")
def changes_notified(bundle: EvidenceBundle, *, baseline: BaselineDiff | None = None) -> ItemResult:
    """Against the previous release: new collection needs a renewed notice, which only a person can confirm.

    Static evidence shows *what* changed, never whether users were told, so the machine never gives a
    violation here: new permissions, SDKs, PI types or policy hints give ``needs_review`` citing them;
    nothing relevant changed gives a low-confidence ``pass`` citing the comparison.
    """
    if baseline is None:
        return not_assessed(
            "II.2", "Changes are judged against the previous release and its policy.", BASELINE, POLICY, DEVICE
        )
    from appaudit.checker.baseline import RELEVANT_TO_NOTICE

    since = f"since {baseline.previous}"
    other = (
        ""
        if baseline.same_package is not False
        else f" Note: the baseline is another package ({baseline.previous} -> {baseline.current})."
    )
    new = baseline.added_of(*RELEVANT_TO_NOTICE)
    if new:
        counts = ", ".join(f"{k}: {sum(1 for c in new if c.kind == k)}" for k in RELEVANT_TO_NOTICE if _any(new, k))
        context = (
            *baseline.added_of("startup_finding", "endpoint"),
            *baseline.removed_of("policy_document", "policy_url"),
        )
        return review(
            "II.2",
            f"New {since} ({counts}). Confirm that users were told of the changed collection "
            f"rules (updated policy and a renewed notice) before it applies.{other}",
            tuple(_ref(c) for c in (*new, *context)),
            AUDITOR,
            POLICY,
            DEVICE,
        )
    if baseline.policy_hints_changed:
        return review(
            "II.2",
            f"The privacy-policy hints changed {since}; confirm the change was notified to users.{other}",
            tuple(_ref(c) for c in baseline.removed_of("policy_document", "policy_url")),
            AUDITOR,
            POLICY,
        )
    missing = [k for k in RELEVANT_TO_NOTICE if k in baseline.incomparable]
    if missing:
        return ItemResult(
            "II.2",
            Verdict.INCONCLUSIVE,
            Confidence.LOW,
            f"Nothing new was found {since}, but {', '.join(missing)} could not be compared "
            f"(an evidence part is unusable in one of the two bundles).{other}",
            needs=(f"static scans of both releases with working parts for {', '.join(missing)}",),
        )
    return ItemResult(
        "II.2",
        Verdict.PASS,
        Confidence.LOW,
        f"No permission, SDK, PI type or privacy-policy hint was added {since}, so there was no change in the "
        f"collection rules to notify (static evidence only).{other}",
        (EvidenceRef("baseline", "baseline", f"{baseline.previous} -> {baseline.current}: nothing relevant added"),),
        needs=(POLICY,),
    )


def _any(changes: tuple[Change, ...], kind: str) -> bool:
    return any(c.kind == kind for c in changes)


def _ref(change: Change) -> EvidenceRef:
    state = "removed" if change.ref.startswith("baseline:") else "new"
    return EvidenceRef(change.kind, change.ref, f"{state} since baseline: {change.detail or change.key}")


@item("II.3")
def purpose_at_request(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "II.3", "Whether each permission request is explained at the same time is seen on a device.", DEVICE
    )


@item("II.4")
def rules_clear(bundle: EvidenceBundle) -> ItemResult:
    policy = policy_of(bundle)
    if policy is not None and policy.policies:
        signals = [n for n in policy.note.split("; ") if n.startswith("readability")]
        return review(
            "II.4",
            "Whether the rules are clear is a reader's judgement; the readability signals measured on the policy: "
            + (" | ".join(signals) if signals else "none recorded")
            + ". Jargon counts are a hint, not a verdict.",
            policy_document_refs(policy),
            AUDITOR,
        )
    return not_assessed("II.4", "Clarity of the rules needs the policy text.", POLICY)
