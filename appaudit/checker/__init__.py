"""Evaluate the 31 Determination Rules items against an evidence bundle.

The stage between evidence and report: :func:`appaudit.checker.run.evaluate` runs each item's pure
logic (``appaudit.checks.logic``) and scores the results (:mod:`appaudit.checker.score`).
"""

from appaudit.checker.model import CheckResult, EvidenceRef, ItemResult, Score, Tally, Verdict

__all__ = ["CheckResult", "EvidenceRef", "ItemResult", "Score", "Tally", "Verdict"]
