"""What a check says about one item: a verdict from a closed set, with the evidence behind it.

A violation or a pass must cite at least one :class:`EvidenceRef`; :class:`ItemResult` refuses to be
built otherwise, so a check that forgets its evidence fails loudly (and ``evaluate`` records an
``error`` for that item) instead of producing an unfounded verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from appaudit.evidence.model import Confidence

if TYPE_CHECKING:
    from appaudit.checker.baseline import BaselineDiff

__all__ = [
    "Assessment",
    "CheckResult",
    "Confidence",
    "EvidenceRef",
    "ItemResult",
    "Score",
    "Suppression",
    "Tally",
    "Verdict",
]


class Verdict(StrEnum):
    VIOLATION = "violation"
    PASS = "pass"
    NEEDS_REVIEW = "needs_review"  # the evidence gives a reviewer something concrete; a human decides
    NOT_ASSESSED = "not_assessed"  # the evidence this item needs was not collected (see ``needs``)
    INCONCLUSIVE = "inconclusive"  # the evidence was collected but cannot settle the item
    ERROR = "error"  # the check itself failed


DECIDED = frozenset({Verdict.VIOLATION, Verdict.PASS})
# The verdicts an auditor may record (``error`` describes appaudit, not the app).
AUDITOR_VERDICTS = frozenset(Verdict) - {Verdict.ERROR}
# The verdicts a suppression may mark: the ones that gate CI.
SUPPRESSIBLE = frozenset({Verdict.VIOLATION, Verdict.NEEDS_REVIEW})


@dataclass(frozen=True)
class EvidenceRef:
    """A pointer into ``evidence.json`` that supports a verdict."""

    # startup_finding | api_call | sdk | permission | policy_hint | component | part | endpoint | entry_point
    kind: str
    ref: str  # a stable path into evidence.json, e.g. "startup.findings[3]" or "policy_hints.documents[0]"
    detail: str = ""  # human-readable: the chain, the URL, the permission name, ...


@dataclass(frozen=True)
class Assessment:
    """An auditor's verdict on one item, read from an assessment file (see ``appaudit.checker.assessment``)."""

    item_id: str
    verdict: Verdict
    note: str
    auditor: str
    date: str  # ISO date of the assessment
    evidence: tuple[str, ...] = ()  # free-text references: "screenshot 3 in the audit file"
    source: str = ""  # "assessments.yaml, entry 2 (line 9)"


@dataclass(frozen=True)
class Suppression:
    """An accepted finding, with a reason and an expiry (see ``appaudit.checker.suppress``)."""

    item_id: str
    reason: str
    expires: str  # ISO date; the suppression applies up to and including this day
    match: str | None = None  # only results with an evidence ref (ref or detail) containing this
    source: str = ""


@dataclass(frozen=True)
class ItemResult:
    item_id: str  # "III.1"
    verdict: Verdict
    confidence: Confidence | None  # None for not_assessed and error
    summary: str
    evidence: tuple[EvidenceRef, ...] = ()
    needs: tuple[str, ...] = ()  # the runs that would (better) assess the item
    source: str = "machine"  # "machine", or "auditor" when an assessment set the verdict
    machine_verdict: Verdict | None = None  # with source "auditor": the machine verdict it replaced
    assessment: Assessment | None = None  # with source "auditor": the assessment itself
    # Set when an unexpired suppression accepted this violation / needs_review: the verdict is kept
    # and shown, but the result no longer gates CI (see ``CheckResult.findings``).
    suppressed_by: Suppression | None = None

    def __post_init__(self) -> None:
        if self.verdict in DECIDED and not self.evidence:
            raise ValueError(f"{self.item_id}: a {self.verdict} verdict must cite evidence")


@dataclass(frozen=True)
class Tally:
    """Verdict counts and the score of one scope: a category ("I" … "VI") or "overall"."""

    scope: str
    items: int  # how many items the scope has (31 overall)
    violation: int
    passed: int
    needs_review: int
    inconclusive: int
    not_assessed: int
    error: int
    decided: int  # violation + passed
    pass_ratio: float | None  # passed / decided; None when nothing was decided
    coverage: float  # decided / items
    grade: str  # a letter, or "insufficient evidence" below the coverage floor


@dataclass(frozen=True)
class Score:
    overall: Tally
    categories: tuple[Tally, ...]
    coverage_floor: float
    formula: str  # the scoring rule in words, so a report can show it
    # (source, decided items citing it) for static, traffic, ui, policy, auditor
    decided_by: tuple[tuple[str, int], ...] = ()

    def decided_by_text(self) -> str:
        return ", ".join(f"{source} {n}" for source, n in self.decided_by) or "—"


@dataclass(frozen=True)
class CheckResult:
    results: tuple[ItemResult, ...]
    score: Score
    baseline: BaselineDiff | None = None  # the release-over-release diff, when a baseline was given
    expired_suppressions: tuple[Suppression, ...] = ()  # ignored because past their expiry: renew or fix

    def result(self, item_id: str) -> ItemResult | None:
        return next((r for r in self.results if r.item_id == item_id), None)

    def findings(self) -> tuple[ItemResult, ...]:
        """The results that gate CI: every result except those an unexpired suppression accepted."""
        return tuple(r for r in self.results if r.suppressed_by is None)
