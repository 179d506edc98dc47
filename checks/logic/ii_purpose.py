"""II. Purpose, method and scope not stated (未明示收集使用个人信息的目的、方式和范围): items II.1–II.4."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.checks.logic import AUDITOR, BASELINE, DEVICE, POLICY, TRAFFIC, item, not_assessed, review
from appaudit.evidence.model import EvidenceBundle

if TYPE_CHECKING:
    from appaudit.checker.baseline import BaselineDiff, Change


@item("II.1")
def purposes_listed(bundle: EvidenceBundle) -> ItemResult:
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
    return not_assessed("II.4", "Clarity of the rules needs the policy text.", POLICY)
