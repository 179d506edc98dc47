"""The first screen: does this app comply, on which evidence, and what was not validated."""

from __future__ import annotations

import dataclasses

from appaudit.checker.model import CheckResult, ItemResult, Tally, Verdict
from appaudit.checks.catalog import load_catalog
from appaudit.evidence.model import EvidenceBundle, Status
from appaudit.report.i18n import tr
from appaudit.report.view.cells import clip
from appaudit.report.view.items import category_views, verdict_counts
from appaudit.report.view.model import Badge, CategoryView, Cell, Fact, Overview, ScopeEntry, TopFinding
from appaudit.report.view.verdicts import SOURCE_LABELS, anchor, confidence_label, seriousness_key, verdict_badge

MAX_TOP_FINDINGS = 8
# The verdicts that are findings: what a reader must act on or look at, in this order.
_FINDINGS = (Verdict.VIOLATION, Verdict.ERROR, Verdict.NEEDS_REVIEW, Verdict.INCONCLUSIVE)
# Evidence source -> the evidence parts that provide it.
_SOURCE_PARTS = {"static": ("manifest", "dex"), "traffic": ("traffic",), "ui": ("device",), "policy": ("policy",)}


def build_overview(
    bundle: EvidenceBundle,
    check: CheckResult | None,
    prefix: str,
    categories: tuple[CategoryView, ...] | None = None,
) -> Overview:
    """The overview; without verdicts it says plainly that nothing was evaluated."""
    scope = _scope(bundle, check)
    not_validated = _not_validated(bundle, check)
    if check is None:
        return Overview(
            answer=tr("No item of the Determination Rules was evaluated for this report."),
            answer_detail=tr("This report lists evidence only."),
            answer_css="ans-na",
            grade="—",
            grade_css="grade-na",
            score_facts=(),
            totals=(),
            categories=(),
            top_findings=(),
            more_findings="",
            scope=scope,
            not_validated=not_validated,
        )
    t = check.score.overall
    answer, detail, css = _answer(check, t)
    findings = sorted((r for r in check.results if r.verdict in _FINDINGS), key=seriousness_key)
    top = tuple(_top(r, prefix) for r in findings[:MAX_TOP_FINDINGS])
    more = tr("+ {n} more findings in the items below", n=len(findings) - len(top)) if len(findings) > len(top) else ""
    # The counts only: the page builds the categories with their items once and passes them in.
    categories = (
        tuple(dataclasses.replace(c, items=()) for c in categories)
        if categories is not None
        else category_views(check, bundle, prefix, with_items=False)
    )
    return Overview(
        answer=answer,
        answer_detail=detail,
        answer_css=css,
        grade=_grade_text(t),
        grade_css="grade-na" if t.grade == "insufficient evidence" else f"grade-{t.grade.lower()}",
        score_facts=_score_facts(check, t),
        totals=verdict_counts(check.results),
        categories=categories,
        top_findings=top,
        more_findings=more,
        scope=scope,
        not_validated=not_validated,
    )


def _answer(check: CheckResult, t: Tally) -> tuple[str, str, str]:
    violations = [r.item_id for r in check.results if r.verdict is Verdict.VIOLATION and r.suppressed_by is None]
    accepted = [r.item_id for r in check.results if r.verdict is Verdict.VIOLATION and r.suppressed_by is not None]
    undecided = t.items - t.decided
    if violations:
        return (
            tr("Does not comply: {n} of the 31 items are violated.", n=len(violations)),
            tr("Violated: {items}. {undecided} items were not decided by this run.",
               items=", ".join(violations), undecided=undecided),
            "ans-bad",
        )  # fmt: skip
    if accepted:
        return (
            tr("Violations found, all accepted by suppressions: {items}.", items=", ".join(accepted)),
            tr("Accepted findings still break the rules; they only no longer fail the CI gate."),
            "ans-warn",
        )
    if t.decided == 0:
        return (
            tr("Not enough evidence to answer: no item could be decided."),
            tr("Add traffic, device runs, the privacy-policy text or an auditor's assessment."),
            "ans-na",
        )
    if t.grade == "insufficient evidence":
        return (
            tr("No violation found in the {decided} items decided, but that is too few to judge the app.",
               decided=t.decided),
            tr("{undecided} of 31 items were not decided: compliance is not established.", undecided=undecided),
            "ans-warn",
        )  # fmt: skip
    open_items = t.needs_review + t.inconclusive + t.not_assessed + t.error
    return (
        tr("No violation found in the {decided} items decided.", decided=t.decided),
        tr("{open} items still need review or more evidence before the app can be called compliant.", open=open_items)
        if open_items
        else tr("Every item was decided, and none is violated."),
        "ans-ok" if not open_items else "ans-warn",
    )


def _grade_text(t: Tally) -> str:
    return tr("insufficient evidence") if t.grade == "insufficient evidence" else t.grade


def _score_facts(check: CheckResult, t: Tally) -> tuple[Fact, ...]:
    ratio = "—" if t.pass_ratio is None else f"{t.pass_ratio:.0%}"
    by = ", ".join(f"{tr(SOURCE_LABELS.get(s, s))} {n}" for s, n in check.score.decided_by if n) or "—"
    return (
        Fact(tr("Items decided"), Cell(text=tr("{decided} of {items} ({coverage} coverage)",
                                               decided=t.decided, items=t.items, coverage=f"{t.coverage:.0%}"))),
        Fact(tr("Decided by evidence"), Cell(text=by, sub=tr("an item may rest on more than one source"))),
        Fact(tr("Passed of decided"), Cell(text=ratio)),
        Fact(tr("How the score is computed"), Cell(text=tr(check.score.formula), css="small")),
    )  # fmt: skip


def _top(r: ItemResult, prefix: str) -> TopFinding:
    item = load_catalog().get(r.item_id)
    title = tr(item.title_en) if item else r.item_id
    summary = r.assessment.note if r.source == "auditor" and r.assessment else r.summary
    return TopFinding(
        item_id=r.item_id,
        anchor=anchor(prefix, r.item_id),
        title=clip(title, 120)[0],
        verdict=verdict_badge(r),
        confidence=confidence_label(r.confidence),
        summary=clip(summary, 300)[0],
    )


def _part_state(bundle: EvidenceBundle, names: tuple[str, ...]) -> str:
    states = [p.status for n in names if (p := bundle.part(n)) is not None]
    if not states:
        return "missing"
    if all(s is Status.OK for s in states):
        return "ok"
    if any(s in (Status.OK, Status.PARTIAL) for s in states):
        return "partial"
    return "failed"


_STATE_BADGES = {
    "ok": ("collected", "b-ok"),
    "partial": ("partial", "b-warn"),
    "failed": ("failed", "b-bad"),
    "missing": ("not collected", "b-muted"),
}


def _scope(bundle: EvidenceBundle, check: CheckResult | None) -> tuple[ScopeEntry, ...]:
    decided = dict(check.score.decided_by) if check else {}
    out = []
    for source, parts in _SOURCE_PARTS.items():
        state = _part_state(bundle, parts)
        text, css = _STATE_BADGES[state]
        detail = _source_detail(bundle, source, decided.get(source) if state != "missing" else None)
        out.append(ScopeEntry(tr(SOURCE_LABELS[source]), Badge(tr(text), css), detail))
    assessments = sum(1 for r in check.results if r.source == "auditor") if check else 0
    out.append(
        ScopeEntry(
            tr("auditor"),
            Badge(tr("collected"), "b-ok") if assessments else Badge(tr("not collected"), "b-muted"),
            tr("{n} items judged by an auditor", n=assessments) if assessments else tr("no auditor assessment given"),
        )
    )
    return tuple(out)


def _source_detail(bundle: EvidenceBundle, source: str, decided: int | None) -> str:
    parts = []
    if source == "traffic" and bundle.traffic is not None:
        parts.append(tr("{n} requests", n=len(bundle.traffic.flows)))
    if source == "ui" and bundle.device is not None:
        runs = ", ".join(r.id for r in bundle.device.runs)
        parts.append(tr("runs {runs} on {driver} device", runs=runs or "—", driver=bundle.device.device.driver))
    if source == "policy" and bundle.policy is not None:
        n = len(bundle.policy.documents)
        parts.append(tr("1 document read") if n == 1 else tr("{n} documents read", n=n))
    if decided is not None:
        one = decided == 1
        parts.append(tr("1 decided item rests on it") if one else tr("{n} decided items rest on it", n=decided))
    return " · ".join(parts)


def _not_validated(bundle: EvidenceBundle, check: CheckResult | None) -> tuple[str, ...]:
    out: list[str] = []
    if bundle.device is None:
        out.append(
            tr("No device run: consent dialogs, permission prompts, click paths and refusals were not observed.")
        )
    else:
        out.extend(clip(v, 300)[0] for v in bundle.device.not_validated)
    traffic = bundle.traffic
    if traffic is None:
        out.append(tr("No traffic capture: what the app sends, when and to whom was not observed."))
    else:
        if traffic.capture.interception_verified is not True:
            out.append(tr("HTTPS interception was not verified: encrypted traffic may have gone unseen."))
        if traffic.unobservable:
            n = len(traffic.unobservable)
            out.append(
                tr("1 host could not be observed (certificate pinning or an untrusted CA).")
                if n == 1
                else tr("{n} hosts could not be observed (certificate pinning or an untrusted CA).", n=n)
            )
    if bundle.policy is None:
        out.append(tr("No privacy-policy text was read: what the policy declares was not compared with the app."))
    out.append(tr("Code downloaded or decrypted at run time, reflection and native code can escape static analysis."))
    if check is not None:
        missing = [r.item_id for r in check.results if r.verdict is Verdict.NOT_ASSESSED]
        if missing:
            out.append(tr("Not assessed for lack of evidence: {items}.", items=", ".join(missing)))
    return tuple(out)
