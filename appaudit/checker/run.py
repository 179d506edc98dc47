"""Run every item's logic over one evidence bundle, in document order, and score the results."""

from __future__ import annotations

from appaudit.checker.model import CheckResult, ItemResult, Verdict
from appaudit.checker.score import score
from appaudit.evidence.model import EvidenceBundle


def evaluate(bundle: EvidenceBundle) -> CheckResult:
    """Evaluate all 31 items. A bug in one item gives that item an ``error`` verdict, not a crash."""
    from appaudit.checks.logic import ITEM_IDS

    results = tuple(_run_one(item_id, bundle) for item_id in ITEM_IDS)
    return CheckResult(results=results, score=score(results, ITEM_IDS))


def _run_one(item_id: str, bundle: EvidenceBundle) -> ItemResult:
    from appaudit.checks.logic import LOGIC

    logic = LOGIC.get(item_id)
    if logic is None:
        return ItemResult(item_id, Verdict.ERROR, None, "No logic is registered for this item.")
    try:
        result = logic(bundle)
    except Exception as exc:  # a check bug must not hide the other 30 items
        return ItemResult(item_id, Verdict.ERROR, None, f"The check failed: {type(exc).__name__}: {exc}")
    if result.item_id != item_id:
        return ItemResult(item_id, Verdict.ERROR, None, f"The check returned a result for {result.item_id}.")
    return result
