"""IV. Collecting PI unrelated to the service (违反必要原则): items IV.1–IV.6."""

from __future__ import annotations

from appaudit.checker.model import EvidenceRef, ItemResult
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
from appaudit.evidence.model import EvidenceBundle, PermissionRequest


def _dangerous(p: PermissionRequest) -> bool:
    return "dangerous" in (p.protection_level or "").split("|")


@item("IV.1")
def unrelated_permissions(bundle: EvidenceBundle) -> ItemResult:
    if bundle.manifest is None or not usable(bundle.part("manifest")):
        return part_unavailable("IV.1", bundle, "manifest", AUDITOR)
    if not usable(bundle.part("api_calls")):
        return part_unavailable("IV.1", bundle, "api_calls", AUDITOR)
    touched = {pi for call in bundle.api_calls for pi in call.pi_types}
    unused = [
        (i, p)
        for i, p in enumerate(bundle.manifest.permissions)
        if _dangerous(p) and p.pi_types and not touched.intersection(p.pi_types)
    ]
    if unused:
        return review(
            "IV.1",
            f"{len(unused)} dangerous permission(s) are requested but no code found reads the personal information "
            "they guard: possibly unnecessary. Check each against the app's service.",
            tuple(
                EvidenceRef("permission", f"manifest.permissions[{i}]", f"{p.name} ({', '.join(p.pi_types)})")
                for i, p in unused
            ),
            AUDITOR,
            TRAFFIC,
        )
    return not_assessed(
        "IV.1",
        "Every dangerous permission is matched by code reading its PI; whether each is related to the service is "
        "the auditor's judgement (app type).",
        AUDITOR,
        TRAFFIC,
    )


@item("IV.2")
def refuses_service(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("IV.2", "Refusing service when a permission is denied is seen on a device.", DEVICE)


@item("IV.3")
def new_features(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("IV.3", "New features demanding wider consent is judged across versions.", BASELINE, AUDITOR)


@item("IV.4")
def frequency(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("IV.4", "Collection frequency is measured from captured traffic.", TRAFFIC)


@item("IV.5")
def forced_for_improvement(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed(
        "IV.5", "Consent forced for improvement, UX, push or R&D is judged from the consent dialog.", POLICY, DEVICE
    )


@item("IV.6")
def bundled_permissions(bundle: EvidenceBundle) -> ItemResult:
    return not_assessed("IV.6", "A burst of permission dialogs at start-up is seen on a device.", DEVICE)
