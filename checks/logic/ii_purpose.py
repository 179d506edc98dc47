"""II. Purpose, method and scope not stated (未明示收集使用个人信息的目的、方式和范围): items II.1–II.4."""

from __future__ import annotations

from appaudit.checker.model import EvidenceRef, ItemResult
from appaudit.checks.logic import BASELINE, DEVICE, POLICY, TRAFFIC, item, not_assessed, review
from appaudit.evidence.model import EvidenceBundle


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
def changes_notified(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "II.2", "Changes are judged against the previous release and its policy.", BASELINE, POLICY, DEVICE
    )


@item("II.3")
def purpose_at_request(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "II.3", "Whether each permission request is explained at the same time is seen on a device.", DEVICE
    )


@item("II.4")
def rules_clear(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("II.4", "Clarity of the rules needs the policy text.", POLICY)
