"""The Determination Rules section: one row per item (31), machine verdicts with their evidence."""

from __future__ import annotations

from appaudit.checker.model import CheckResult, ItemResult
from appaudit.report.view.model import Availability, Badge, Cell, Fact, Notice, Row, Section
from appaudit.report.view.tables import TableMaker

# verdict → (label, badge class)
_VERDICTS = {
    "violation": ("violation", "b-bad"),
    "pass": ("pass", "b-ok"),
    "needs_review": ("needs review", "b-warn"),
    "inconclusive": ("inconclusive", "b-warn"),
    "not_assessed": ("not assessed", "b-muted"),
    "error": ("error", "b-bad"),
}
_COLUMNS = ("Item", "Verdict", "Confidence", "Finding", "Evidence / what would assess it")


def _row(r: ItemResult) -> Row:
    label, css = _VERDICTS.get(r.verdict.value, (r.verdict.value, "b-muted"))
    who = "machine verdict"
    if r.source == "auditor" and r.assessment is not None:
        was = f"; machine verdict was {r.machine_verdict.value.replace('_', ' ')}" if r.machine_verdict else ""
        who = f"auditor verdict: {r.assessment.auditor}, {r.assessment.date}{was}"
    suppressed = ""
    if getattr(r, "suppressed_by", None) is not None:
        suppressed = f"accepted until {r.suppressed_by.expires}: {r.suppressed_by.reason}"
    evidence = tuple(f"{e.ref}: {e.detail}" if e.detail else e.ref for e in r.evidence[:4])
    more = f"+ {len(r.evidence) - 4} more in verdicts.json" if len(r.evidence) > 4 else ""
    needs = tuple(f"needs: {n}" for n in r.needs)
    return Row(
        (
            Cell(text=r.item_id, mono=True),
            Cell(badge=Badge(label, css, title=who), sub=who if r.source == "auditor" else suppressed),
            Cell(text=r.confidence.value) if r.confidence else Cell(text=""),
            Cell(text=r.assessment.note if r.source == "auditor" and r.assessment else r.summary),
            Cell(items=evidence + needs, more=more, mono=bool(evidence), css="small"),
        ),
        css="row-bad" if r.verdict.value in ("violation", "error") else "",
    )


def items_section(check: CheckResult | None, max_rows: int) -> Section:
    """The 31 items with machine verdicts, or a plain statement that no verdicts were computed."""
    if check is None:
        avail = Availability(
            "missing",
            "Not evaluated",
            "No item of the Determination Rules was evaluated for this report.",
            "st-missing",
            "Not evaluated.",
        )
        return Section(id="items", title="Determination Rules: 31 items", availability=avail)
    avail = Availability("ok", "Evaluated", "", "st-ok")
    t = check.score.overall
    ratio = "—" if t.pass_ratio is None else f"{t.pass_ratio:.0%}"
    facts = (
        Fact("Grade", Cell(text=t.grade)),
        Fact("Decided", Cell(text=f"{t.decided} of {t.items} items ({t.coverage:.0%} coverage)")),
        Fact("Decided by evidence", Cell(text=check.score.decided_by_text())),
        Fact("Passed of decided", Cell(text=ratio)),
        Fact(
            "Verdicts",
            Cell(
                text=f"{t.violation} violation · {t.passed} pass · {t.needs_review} needs review · "
                f"{t.inconclusive} inconclusive · {t.not_assessed} not assessed · {t.error} error"
            ),
        ),
    )
    notices = (Notice("n-info", "How the score is computed", text=check.score.formula),)
    table = TableMaker(avail, max(max_rows, len(check.results)))
    return Section(
        id="items",
        title="Determination Rules: 31 items",
        availability=avail,
        intro=(
            "Machine verdicts for every item of 《App违法违规收集使用个人信息行为认定方法》 (2019). An item "
            "the evidence of this run cannot decide is marked not assessed, with the run that would assess it; "
            "it never counts as a pass.",
        ),
        notices=notices,
        facts=facts,
        tables=(table("Items", _COLUMNS, [_row(r) for r in check.results], "", noun="items"),),
    )
