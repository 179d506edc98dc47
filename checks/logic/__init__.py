"""The logic of each item: one pure function of the evidence bundle per item ID.

``@item("III.1")`` registers a function in :data:`LOGIC`. :data:`ITEM_IDS` lists the 31 IDs in the
document's order; ``appaudit.checker.run.evaluate`` runs them in that order. The helpers here keep the
"not assessed" and "part unavailable" wording the same across items.
"""

from __future__ import annotations

from collections.abc import Callable

from appaudit.checker.model import Confidence, EvidenceRef, ItemResult, Verdict
from appaudit.evidence.model import EvidenceBundle, PartStatus, Status

ItemLogic = Callable[[EvidenceBundle], ItemResult]

# Chinese numbering, document order; the count per category is fixed by the 2019 Determination Rules.
_ITEMS_PER_CATEGORY = (("I", 4), ("II", 4), ("III", 9), ("IV", 6), ("V", 3), ("VI", 5))
ITEM_IDS: tuple[str, ...] = tuple(f"{cat}.{n}" for cat, count in _ITEMS_PER_CATEGORY for n in range(1, count + 1))

LOGIC: dict[str, ItemLogic] = {}

# The runs that would assess an item, named the same way everywhere ("needs").
TRAFFIC = "traffic capture (appaudit capture)"
DEVICE = "device run (UI session from a clean install)"
REFUSE_RUN = "device run that refuses consent"
POLICY = "privacy-policy text analysis"
AUDITOR = "auditor assessment"
BASELINE = "evidence from the previous release (baseline)"
UPGRADE = "device run across an upgrade (two APKs)"


def item(item_id: str) -> Callable[[ItemLogic], ItemLogic]:
    """Register ``fn`` as the logic of ``item_id``."""
    if item_id not in ITEM_IDS:
        raise ValueError(f"unknown item id {item_id!r}")

    def register(fn: ItemLogic) -> ItemLogic:
        if item_id in LOGIC:
            raise ValueError(f"item {item_id} registered twice")
        LOGIC[item_id] = fn
        return fn

    return register


def part_ref(bundle: EvidenceBundle, name: str) -> EvidenceRef:
    index = next((i for i, p in enumerate(bundle.parts) if p.name == name), None)
    status = bundle.part(name)
    return EvidenceRef("part", f"parts[{index}]", f"{name}: {status.status if status else 'missing'}")


def usable(status: PartStatus | None) -> bool:
    """A part whose absence of findings may be read as "nothing there" (ok) or at least used (partial)."""
    return status is not None and status.status in (Status.OK, Status.PARTIAL)


def not_assessed(item_id: str, summary: str, *needs: str) -> ItemResult:
    return ItemResult(item_id, Verdict.NOT_ASSESSED, None, summary, needs=needs)


def part_unavailable(item_id: str, bundle: EvidenceBundle, part: str, *needs: str) -> ItemResult:
    status = bundle.part(part)
    why = f"{status.status}" + (f" ({status.note})" if status and status.note else "") if status else "missing"
    return ItemResult(
        item_id,
        Verdict.NOT_ASSESSED,
        None,
        f"The {part} evidence part is {why}, so this item could not be assessed from static evidence.",
        needs=(f"a static scan with a working {part} part", *needs),
    )


def review(item_id: str, summary: str, evidence: tuple[EvidenceRef, ...], *needs: str) -> ItemResult:
    return ItemResult(item_id, Verdict.NEEDS_REVIEW, Confidence.LOW, summary, evidence, needs=needs)


from appaudit.checks.logic import (  # noqa: E402  (the modules register themselves with @item)
    i_publish,
    ii_purpose,
    iii_consent,
    iv_necessity,
    v_third_party,
    vi_rights,
)

__all__ = [
    "ITEM_IDS",
    "LOGIC",
    "i_publish",
    "ii_purpose",
    "iii_consent",
    "item",
    "iv_necessity",
    "not_assessed",
    "v_third_party",
    "vi_rights",
]
