"""VI. No deletion, correction or complaint channel (未按法律规定提供删除或更正个人信息功能): items VI.1–VI.5."""

from __future__ import annotations

from appaudit.checker.model import ItemResult
from appaudit.checks.logic import AUDITOR, DEVICE, POLICY, item, not_assessed
from appaudit.evidence.model import EvidenceBundle


@item("VI.1")
def correction_deletion(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "VI.1", "Correction, deletion and account cancellation are judged from the policy and the UI.", POLICY, DEVICE
    )


@item("VI.2")
def unreasonable_conditions(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("VI.2", "Conditions on these rights are an auditor's judgement.", POLICY, AUDITOR)


@item("VI.3")
def handled_in_time(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("VI.3", "The committed handling time is read from the policy.", POLICY, AUDITOR)


@item("VI.4")
def backend_effect(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("VI.4", "Whether UI actions take effect in the back end is an auditor's finding.", AUDITOR)


@item("VI.5")
def complaint_channel(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("VI.5", "The complaint channel and its time limit are read from the policy.", POLICY)
