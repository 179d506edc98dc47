"""Score a set of item results.

Formula (per category "I" … "VI", and overall across all 31 items):

* Only *decided* items count towards the score: ``decided = violation + pass``.
  ``needs_review``, ``inconclusive``, ``not_assessed`` and ``error`` are counted and shown, but they
  neither raise nor lower the score; in particular an item that was not assessed never counts as a pass.
* ``pass_ratio = pass / decided`` (``None`` when nothing was decided).
* ``coverage = decided / items in the scope`` (31 overall; 4, 4, 9, 6, 3, 5 per category).
* A grade is given only when ``coverage >= COVERAGE_FLOOR`` (0.5); below it the grade is
  ``"insufficient evidence"``. Grades by pass_ratio: A = 1.0 (no violation), B >= 0.9, C >= 0.75,
  D >= 0.5, E below.

The floor keeps a static-only scan (which decides two or three items) from looking like a clean bill.

Coverage is also counted by evidence source: ``decided_by`` says, for static, traffic, ui, policy and
auditor, how many decided items cite evidence of that source (an item citing two sources counts for
both), read from the kinds of the evidence references.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from appaudit.checker.model import ItemResult, Score, Tally, Verdict

COVERAGE_FLOOR = 0.5
INSUFFICIENT = "insufficient evidence"
GRADES: tuple[tuple[float, str], ...] = ((1.0, "A"), (0.9, "B"), (0.75, "C"), (0.5, "D"), (0.0, "E"))
FORMULA = (
    "pass ratio = pass / (pass + violation); coverage = (pass + violation) / items; "
    "needs_review, inconclusive, not_assessed and error are counted but never scored; "
    f"a grade (A=no violation, B>=0.9, C>=0.75, D>=0.5, E) only when coverage >= {COVERAGE_FLOOR:.0%}, "
    f"else '{INSUFFICIENT}'"
)


# Which evidence source an evidence reference kind belongs to.
SOURCE_OF_REF_KIND: dict[str, str] = {
    **dict.fromkeys(
        (
            "startup_finding",
            "api_call",
            "sdk",
            "permission",
            "policy_hint",
            "component",
            "part",
            "endpoint",
            "entry_point",
            "baseline",
        ),
        "static",
    ),
    **dict.fromkeys(("flow", "pi_match", "pi_stream", "capture", "unobservable_host"), "traffic"),
    **dict.fromkeys(("ui_event", "ui_screen", "policy_search", "device_run"), "ui"),
    **dict.fromkeys(("policy_sentence", "policy_document"), "policy"),
}
SOURCES = ("static", "traffic", "ui", "policy", "auditor")


def sources_of(result: ItemResult) -> frozenset[str]:
    """The evidence sources a result rests on."""
    if result.source == "auditor":
        return frozenset({"auditor"})
    return frozenset(SOURCE_OF_REF_KIND.get(ref.kind, "static") for ref in result.evidence)


def decided_by(results: Sequence[ItemResult]) -> tuple[tuple[str, int], ...]:
    decided = [r for r in results if r.verdict in (Verdict.PASS, Verdict.VIOLATION)]
    return tuple((source, sum(1 for r in decided if source in sources_of(r))) for source in SOURCES)


def category_of(item_id: str) -> str:
    """``"III.4"`` → ``"III"``."""
    return item_id.split(".", 1)[0]


def grade_for(pass_ratio: float | None, coverage: float) -> str:
    if pass_ratio is None or coverage < COVERAGE_FLOOR:
        return INSUFFICIENT
    return next(letter for threshold, letter in GRADES if pass_ratio >= threshold)


def tally(scope: str, results: Sequence[ItemResult], items: int) -> Tally:
    def count(verdict: Verdict) -> int:
        return sum(1 for r in results if r.verdict is verdict)

    passed, violation = count(Verdict.PASS), count(Verdict.VIOLATION)
    decided = passed + violation
    pass_ratio = passed / decided if decided else None
    coverage = decided / items if items else 0.0
    return Tally(
        scope=scope,
        items=items,
        violation=violation,
        passed=passed,
        needs_review=count(Verdict.NEEDS_REVIEW),
        inconclusive=count(Verdict.INCONCLUSIVE),
        not_assessed=count(Verdict.NOT_ASSESSED),
        error=count(Verdict.ERROR),
        decided=decided,
        pass_ratio=pass_ratio,
        coverage=coverage,
        grade=grade_for(pass_ratio, coverage),
    )


def score(results: Sequence[ItemResult], item_ids: Iterable[str]) -> Score:
    """Score ``results`` against the full list of ``item_ids`` (so a missing item lowers coverage)."""
    ids = tuple(item_ids)
    categories: dict[str, int] = {}
    for item_id in ids:
        categories[category_of(item_id)] = categories.get(category_of(item_id), 0) + 1
    per_category = tuple(
        tally(cat, [r for r in results if category_of(r.item_id) == cat], n) for cat, n in categories.items()
    )
    return Score(
        overall=tally("overall", results, len(ids)),
        categories=per_category,
        coverage_floor=COVERAGE_FLOOR,
        formula=FORMULA,
        decided_by=decided_by(results),
    )
