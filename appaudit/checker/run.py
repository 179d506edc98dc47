"""Run every item's logic over one evidence bundle, in document order, and score the results."""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from appaudit.checker.model import Assessment, CheckResult, ItemResult, Suppression, Verdict
from appaudit.checker.score import score
from appaudit.errors import InputError
from appaudit.evidence.model import EvidenceBundle

if TYPE_CHECKING:
    from appaudit.checker.baseline import BaselineDiff


def evaluate(bundle: EvidenceBundle, *, baseline: BaselineDiff | None = None) -> CheckResult:
    """Evaluate all 31 items. A bug in one item gives that item an ``error`` verdict, not a crash.

    ``baseline`` (``appaudit.checker.baseline.compare(previous, bundle)``) is passed to the items whose
    logic takes a ``baseline`` keyword (II.2); the diff is kept on the result for the report.
    """
    from appaudit.checks.logic import ITEM_IDS

    results = tuple(_run_one(item_id, bundle, baseline) for item_id in ITEM_IDS)
    return CheckResult(results=results, score=score(results, ITEM_IDS), baseline=baseline)


def _run_one(item_id: str, bundle: EvidenceBundle, baseline: BaselineDiff | None = None) -> ItemResult:
    from appaudit.checks.logic import LOGIC

    logic = LOGIC.get(item_id)
    if logic is None:
        return ItemResult(item_id, Verdict.ERROR, None, "No logic is registered for this item.")
    try:
        if baseline is not None and "baseline" in inspect.signature(logic).parameters:
            result = logic(bundle, baseline=baseline)  # type: ignore[call-arg]
        else:
            result = logic(bundle)
    except Exception as exc:  # a check bug must not hide the other 30 items
        return ItemResult(item_id, Verdict.ERROR, None, f"The check failed: {type(exc).__name__}: {exc}")
    if result.item_id != item_id:
        return ItemResult(item_id, Verdict.ERROR, None, f"The check returned a result for {result.item_id}.")
    return result


# --------------------------------------------------------------------------- the auditor's inputs


@dataclass(frozen=True)
class ReviewInputs:
    """What people add to a run: the previous release's evidence, assessments, suppressions."""

    previous: EvidenceBundle | None = None
    assessments: tuple[Assessment, ...] = ()
    suppressions: tuple[Suppression, ...] = ()


def load_review_inputs(
    *,
    baseline: Path | None = None,
    assessment: Path | None = None,
    suppressions: Path | None = None,
    today: dt.date | None = None,
) -> ReviewInputs:
    """Read and validate the ``--baseline``, ``--assessment`` and ``--suppressions`` files (InputError if bad).

    Call it before a long scan so a typo in an auditor file fails in a second, not after the scan.
    """
    from appaudit.checker.assessment import load_assessments
    from appaudit.checker.suppress import load_suppressions
    from appaudit.evidence import codec

    previous = None
    if baseline is not None:
        try:
            previous = codec.read(baseline)
        except InputError as exc:
            raise InputError(f"{baseline}: baseline: {exc}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{baseline}: cannot read the baseline evidence: {exc}") from exc
    return ReviewInputs(
        previous=previous,
        assessments=load_assessments(assessment, today=today) if assessment is not None else (),
        suppressions=load_suppressions(suppressions) if suppressions is not None else (),
    )


def evaluate_reviewed(bundle: EvidenceBundle, inputs: ReviewInputs, *, today: dt.date | None = None) -> CheckResult:
    """``evaluate`` against the baseline, then the auditor's assessments, then the suppressions (in that order)."""
    from appaudit.checker.assessment import apply_assessments
    from appaudit.checker.baseline import compare
    from appaudit.checker.suppress import apply_suppressions

    diff = compare(inputs.previous, bundle) if inputs.previous is not None else None
    result = apply_assessments(evaluate(bundle, baseline=diff), inputs.assessments)
    return apply_suppressions(result, inputs.suppressions, today) if inputs.suppressions else result
