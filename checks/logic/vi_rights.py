"""VI. No deletion, correction or complaint channel (未按法律规定提供删除或更正个人信息功能): items VI.1–VI.5."""

from __future__ import annotations

from appaudit.checker.model import Confidence, ItemResult, Verdict
from appaudit.checks.logic import AUDITOR, DEVICE, POLICY, item, not_assessed, review
from appaudit.checks.logic.dynamic import (
    disclosure_review,
    no_policy_text,
    policy_document_refs,
    policy_of,
    rights_evidence,
    sentence_ref,
)
from appaudit.evidence.model import EvidenceBundle
from appaudit.evidence.policy_text import ResponseTime

# VI.5: the longest handling time the rules allow ("承诺时限不得超过15个工作日").
MAX_WORKING_DAYS = 15


@item("VI.1")
def correction_deletion(bundle: EvidenceBundle) -> ItemResult:
    policy = policy_of(bundle)
    if policy is not None and policy.policies:
        offered = {r.kind for r in policy.rights}
        missing = [k for k in ("correct", "delete", "cancel_account") if k not in offered]
        refs = rights_evidence(policy, "correct", "delete", "cancel_account")
        text = (
            "The privacy policy describes correction, deletion and account cancellation"
            if not missing
            else f"The privacy policy does not describe: {', '.join(m.replace('_', ' ') for m in missing)}"
        )
        return review(
            "VI.1",
            f"{text}. Check in the app that each function exists and works.",
            refs or policy_document_refs(policy),
            DEVICE,
        )
    return not_assessed(
        "VI.1", "Correction, deletion and account cancellation are judged from the policy and the UI.", POLICY, DEVICE
    )


@item("VI.2")
def unreasonable_conditions(bundle: EvidenceBundle) -> ItemResult:
    reviewed = disclosure_review(
        "VI.2",
        bundle,
        "rights_condition",
        "The privacy policy puts conditions on correction, deletion or account cancellation (quoted); judge "
        "whether each is necessary and reasonable.",
        "The privacy policy states no condition on correction, deletion or cancellation that appaudit recognised; "
        "check the in-app flows for unreasonable conditions.",
        AUDITOR,
        DEVICE,
    )
    if reviewed is not None:
        return reviewed
    return not_assessed("VI.2", "Conditions on these rights are an auditor's judgement.", POLICY, AUDITOR)


@item("VI.3")
def handled_in_time(bundle: EvidenceBundle) -> ItemResult:
    policy = policy_of(bundle)
    if policy is not None and policy.policies and policy.response_times:
        over = [t for t in policy.response_times if t.working_days > MAX_WORKING_DAYS]
        return review(
            "VI.3",
            "The privacy policy commits to "
            + "; ".join(_limit(t) for t in policy.response_times)
            + (f", beyond {MAX_WORKING_DAYS} working days" if over else "")
            + ". Whether requests are handled within it is for the auditor (test requests, records).",
            tuple(sentence_ref(policy, t.sentence, "time limit: ") for t in policy.response_times),
            AUDITOR,
        )
    return not_assessed("VI.3", "The committed handling time is read from the policy.", POLICY, AUDITOR)


@item("VI.4")
def backend_effect(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("VI.4", "Whether UI actions take effect in the back end is an auditor's finding.", AUDITOR)


def _limit(t: ResponseTime) -> str:
    unit = {"working_days": "working days", "days": "calendar days", "hours": "hours"}.get(t.unit, t.unit)
    return f"{t.amount} {unit}" + (f" (about {t.working_days:.1f} working days)" if t.unit == "days" else "")


@item("VI.5")
def complaint_channel(bundle: EvidenceBundle) -> ItemResult:
    policy = policy_of(bundle)
    if policy is None:
        return not_assessed("VI.5", "The complaint channel and its time limit are read from the policy.", POLICY)
    if not policy.policies:
        return no_policy_text("VI.5", policy, "read a complaint channel from", DEVICE)
    too_long = [
        t for t in policy.response_times if t.applies_to in ("complaints", "both") and t.working_days > MAX_WORKING_DAYS
    ]
    if not policy.contacts or too_long:
        parts = []
        if not policy.contacts:
            parts.append("the privacy policy publishes no complaint or reporting channel with a concrete contact")
        if too_long:
            parts.append(
                "the privacy policy commits to handling complaints in "
                + ", ".join(_limit(t) for t in too_long)
                + f", beyond the {MAX_WORKING_DAYS} working days allowed"
            )
        return ItemResult(
            "VI.5",
            Verdict.VIOLATION,
            Confidence.HIGH if too_long else Confidence.MEDIUM,
            "; ".join(parts).capitalize() + ".",
            tuple(sentence_ref(policy, t.sentence, "time limit: ") for t in too_long) or policy_document_refs(policy),
        )
    stated = [t for t in policy.response_times if t.applies_to in ("complaints", "both")]
    limit = (
        f"a time limit of {_limit(stated[0])}"
        if stated
        else f"no time limit (the rules then apply {MAX_WORKING_DAYS} working days)"
    )
    return ItemResult(
        "VI.5",
        Verdict.PASS,
        Confidence.MEDIUM,
        f"The privacy policy publishes {len(policy.contacts)} complaint channel(s) and {limit}. Whether complaints "
        "are actually handled in time is for the auditor (VI.3).",
        (
            *(sentence_ref(policy, c.sentence, f"{c.kind} {c.value}: ") for c in policy.contacts[:4]),
            *(sentence_ref(policy, t.sentence, "time limit: ") for t in stated[:2]),
        ),
    )
